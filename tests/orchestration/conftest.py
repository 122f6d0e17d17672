"""Fixtures for the Airflow tests: a dbt manifest, an Airflow home, a warehouse of their own.

Airflow reads its configuration when first imported, so these tests import it only inside
fixtures and tests, after ``session_env`` has pointed ``AIRFLOW_HOME`` at the session folder.
The DAGs here reload the reference tables, so they get a database of their own rather than the
shared session warehouse (whose reference data other tests layer with their own files).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from warehouse.database import apply_schema, with_database
from warehouse.settings import PROJECT_ROOT

DAGS_DIR = PROJECT_ROOT / "dags"
# A port nothing listens on: a DAG file that opens a connection at import fails loudly.
UNREACHABLE_URL = "postgresql://nobody@127.0.0.1:9/unreachable"


def airflow_cli() -> list[str]:
    return [sys.executable, "-m", "airflow"]


@pytest.fixture(scope="session")
def airflow_env(session_env, tmp_path_factory):
    """Airflow settings for these tests, and a dbt manifest in a private target folder.

    The manifest goes to ``DBT_TARGET_PATH`` (dbt's own variable, which the DAGs follow too) so
    that dbt runs of other tests or of a developer do not rewrite it while a DAG file reads it.
    The settings are applied per test (``use_airflow``), never to the whole session.
    """
    _, state = session_env
    target = tmp_path_factory.mktemp("dbt_target")
    settings = {
        "AIRFLOW_HOME": str(state / "airflow"),
        "DBT_TARGET_PATH": str(target),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
    }
    from warehouse.dbt import run_dbt

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DBT_TARGET_PATH", str(target))
        # dbt parse renders the profile but opens no connection: any URL will do.
        result = run_dbt(["parse"], url=UNREACHABLE_URL)
    assert result.success, "dbt parse failed"
    assert (target / "manifest.json").is_file()
    return settings


@pytest.fixture(scope="session")
def airflow_db(airflow_env):
    """A migrated SQLite metadata database under the session's Airflow home."""
    subprocess.run([*airflow_cli(), "db", "migrate"], env={**os.environ, **airflow_env},
                   check=True, capture_output=True, timeout=300)
    return airflow_env


@pytest.fixture
def use_airflow(airflow_db, monkeypatch):
    """Apply the Airflow settings to this test's process."""
    for name, value in airflow_db.items():
        monkeypatch.setenv(name, value)
    return airflow_db


@contextmanager
def fresh_warehouse(server_url: str) -> Iterator[str]:
    """Create a warehouse database with the schema applied; drop it afterwards."""
    name = f"kpi_orch_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    url = with_database(server_url, name)
    try:
        with psycopg.connect(url) as conn:
            apply_schema(conn)
        yield url
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s",
                (name,),
            )
            admin.execute(f'drop database if exists "{name}"')


@pytest.fixture(scope="session")
def orchestration_warehouse(server_url, session_env):
    """A warehouse database of these tests' own (tests point KPI_WAREHOUSE_URL at it)."""
    with fresh_warehouse(server_url) as url:
        yield url


def load_dagbag():
    """Parse the DAG folder as the dag-processor does."""
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(str(DAGS_DIR))
