"""Warehouse connection: the configured PostgreSQL, or an embedded one started on demand."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg

from warehouse.settings import Settings, configured_warehouse_url, load_settings

log = logging.getLogger(__name__)

SCHEMA_DIR = Path(__file__).parent / "schema"


@cache
def _embedded_server(pgdata: Path):
    import pgserver

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    log.info("Starting embedded PostgreSQL under %s", pgdata)
    # 'stop': the server stops with the last process using it; the data stays in pgdata.
    return pgserver.get_server(pgdata, cleanup_mode="stop")


def warehouse_url(settings: Settings | None = None) -> str:
    """Return the warehouse URL, starting the embedded PostgreSQL when nothing is configured."""
    url = configured_warehouse_url()
    if url:
        return url
    settings = settings or load_settings()
    return _embedded_server(settings.embedded_pgdata).get_uri("postgres")


def is_embedded() -> bool:
    return configured_warehouse_url() is None


def connect(url: str | None = None, **kwargs) -> psycopg.Connection:
    """Open a connection to the warehouse."""
    return psycopg.connect(url or warehouse_url(), **kwargs)


@contextmanager
def transaction(url: str | None = None) -> Iterator[psycopg.Connection]:
    """Yield a connection whose work commits on success and rolls back on error."""
    with connect(url) as conn, conn.transaction():
        yield conn


def url_parts(url: str) -> dict[str, str]:
    """Split a PostgreSQL URL into host, port, user, password and database (for the dbt profile)."""
    parsed = urlsplit(url)
    query = parse_qs(parsed.query)
    host = query.get("host", [parsed.hostname or "localhost"])[0]
    return {
        "host": host,
        "port": str(parsed.port or query.get("port", ["5432"])[0]),
        "user": unquote(parsed.username or "postgres"),
        "password": unquote(parsed.password or ""),
        "dbname": unquote(parsed.path.lstrip("/") or "postgres"),
    }


def with_database(url: str, dbname: str) -> str:
    """Return the same server URL pointing at another database."""
    parsed = urlsplit(url)
    return parsed._replace(path="/" + dbname).geturl()


def apply_schema(conn: psycopg.Connection) -> list[str]:
    """Create or update the warehouse's own tables (idempotent DDL files, applied in name order)."""
    applied = []
    for path in sorted(SCHEMA_DIR.glob("*.sql")):
        conn.execute(path.read_text(encoding="utf-8"))
        applied.append(path.name)
    return applied
