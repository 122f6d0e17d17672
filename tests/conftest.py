"""Shared fixtures: one warehouse database for the whole session.

With ``KPI_WAREHOUSE_URL`` (or ``PG*``) set, the session creates a throw-away database on that
server; otherwise it starts an embedded PostgreSQL (pgserver) in a temporary folder. Either way
every test sees ``KPI_WAREHOUSE_URL`` pointing at the session database.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest

from warehouse.database import apply_schema, with_database
from warehouse.settings import PROJECT_ROOT, configured_warehouse_url

REFERENCE_DIR = PROJECT_ROOT / "reference_data"
# pgserver logs at interpreter exit, after pytest has closed its log capture.
logging.getLogger("pgserver").setLevel(logging.WARNING)


# Airflow fixes its home (and so its metadata database) when first imported, which can happen
# while test modules are collected: point it at the session's folder before anything else.
SESSION_STATE = Path(tempfile.mkdtemp(prefix="kpi-test-state-"))
os.environ["AIRFLOW_HOME"] = str(SESSION_STATE / "airflow")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(PROJECT_ROOT / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"


@pytest.fixture(scope="session")
def session_env():
    """Point the project's settings at session-private folders."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KPI_STATE_DIR", str(SESSION_STATE))
        mp.setenv("AIRFLOW_HOME", str(SESSION_STATE / "airflow"))
        mp.setenv("DO_NOT_TRACK", "1")
        yield mp, SESSION_STATE
    shutil.rmtree(SESSION_STATE, ignore_errors=True)


@pytest.fixture(scope="session")
def server_url(tmp_path_factory):
    """URL of a PostgreSQL server's maintenance database: the configured one or an embedded one."""
    url = configured_warehouse_url()
    if url:
        yield url
        return
    import pgserver

    # Outside pytest's rotating temp folders: a concurrent pytest run may prune those.
    pgdata = Path(tempfile.mkdtemp(prefix="kpi-test-pgdata-"))
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    yield server.get_uri("postgres")
    server.cleanup()
    shutil.rmtree(pgdata, ignore_errors=True)


@pytest.fixture(scope="session")
def warehouse_url(server_url, session_env):
    """A fresh database for this session, with the warehouse tables created."""
    mp, _ = session_env
    name = f"kpi_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    url = with_database(server_url, name)
    mp.setenv("KPI_WAREHOUSE_URL", url)
    with psycopg.connect(url) as conn:
        apply_schema(conn)
    yield url
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", (name,)
        )
        admin.execute(f'drop database if exists "{name}"')


@pytest.fixture
def db(warehouse_url):
    """A connection to the session warehouse, rolled back after the test."""
    with psycopg.connect(warehouse_url) as conn:
        yield conn
        conn.rollback()


def write_csv(path: Path, header: str, *rows: str) -> Path:
    """Write a small CSV file for a test (UTF-8, header then rows)."""
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path
