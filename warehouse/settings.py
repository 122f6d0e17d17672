"""One place for configuration.

The warehouse is named by one setting, ``KPI_WAREHOUSE_URL`` (a PostgreSQL URL). Without it the
standard libpq ``PG*`` variables are used; with neither, an embedded PostgreSQL (pgserver) is
started under the local state folder. Everything else derives from the resolved URL, including
the dbt profile, so credentials exist in one place only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

WAREHOUSE_URL_VARIABLE = "KPI_WAREHOUSE_URL"
STATE_DIR_VARIABLE = "KPI_STATE_DIR"
LIBPQ_VARIABLES = ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")


@dataclass(frozen=True)
class Settings:
    """Resolved configuration of one run."""

    state_dir: Path
    landing_dir: Path
    reference_dir: Path
    dbt_project_dir: Path
    airflow_home: Path
    lock_days_before_meeting: int
    stale_after_days: int

    @property
    def embedded_pgdata(self) -> Path:
        return self.state_dir / "pgdata"


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings from the environment, with defaults under the local state folder."""
    env = os.environ if environ is None else environ
    state_dir = Path(env.get(STATE_DIR_VARIABLE, PROJECT_ROOT / ".state")).resolve()
    return Settings(
        state_dir=state_dir,
        landing_dir=Path(env.get("KPI_LANDING_DIR", state_dir / "landing")),
        reference_dir=Path(env.get("KPI_REFERENCE_DIR", PROJECT_ROOT / "reference_data")),
        dbt_project_dir=Path(env.get("KPI_DBT_PROJECT_DIR", PROJECT_ROOT / "dbt_project")),
        airflow_home=Path(env.get("AIRFLOW_HOME", state_dir / "airflow")),
        lock_days_before_meeting=int(env.get("KPI_LOCK_DAYS_BEFORE_MEETING", "3")),
        stale_after_days=int(env.get("KPI_STALE_AFTER_DAYS", "14")),
    )


def configured_warehouse_url(environ: dict[str, str] | None = None) -> str | None:
    """Return the warehouse URL from the environment, or None when nothing is configured."""
    env = os.environ if environ is None else environ
    if env.get(WAREHOUSE_URL_VARIABLE):
        return env[WAREHOUSE_URL_VARIABLE]
    if any(env.get(name) for name in LIBPQ_VARIABLES):
        from psycopg.conninfo import make_conninfo

        # Spelled out (not left to libpq) so the dbt profile gets the same values.
        params = {
            "host": env.get("PGHOST", "localhost"),
            "port": env.get("PGPORT", "5432"),
            "user": env.get("PGUSER", os.environ.get("USER", "postgres")),
            "dbname": env.get("PGDATABASE", env.get("PGUSER", "postgres")),
        }
        if env.get("PGPASSWORD"):
            params["password"] = env["PGPASSWORD"]
        return conninfo_to_url(make_conninfo(**params))
    return None


def conninfo_to_url(conninfo: str) -> str:
    """Turn a libpq key=value string into a postgresql:// URL."""
    from urllib.parse import quote

    from psycopg.conninfo import conninfo_to_dict

    parts = conninfo_to_dict(conninfo)
    user = quote(str(parts.get("user", "postgres")), safe="")
    password = parts.get("password")
    auth = f"{user}:{quote(str(password), safe='')}" if password else user
    host = parts.get("host", "localhost")
    port = parts.get("port", "5432")
    return f"postgresql://{auth}@{host}:{port}/{parts.get('dbname', 'postgres')}"
