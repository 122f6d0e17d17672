"""One dbt build per session on the sample inputs, then an incremental run after a second batch
of files and a full refresh, so tests can compare the two."""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import REFERENCE_DIR
from tests.dbt.sample_data import DATA_DIR, insert_submissions
from warehouse.dbt import run_dbt
from warehouse.reference import load_reference

INCREMENTAL_MARTS = ("fct_indicator_performance", "fct_submission_status")


def _rows(url: str, table: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(f"select * from marts.{table} order by 1, 2, 3").fetchall()


def _build(args: list[str], url: str):
    result = run_dbt(args, url=url)
    assert result.success, result.failures()
    return result


@pytest.fixture(scope="session")
def dbt_warehouse(warehouse_url):
    """The session warehouse after: build (batch 1), incremental build (batch 2), full refresh."""
    with psycopg.connect(warehouse_url) as conn:
        load_reference(conn, [REFERENCE_DIR, DATA_DIR])
        insert_submissions(conn, batch=1)
    first = _build(["build"], warehouse_url)
    before = {table: _rows(warehouse_url, table) for table in INCREMENTAL_MARTS}
    with psycopg.connect(warehouse_url) as conn:
        insert_submissions(conn, batch=2)
    incremental = _build(["build"], warehouse_url)
    after_incremental = {table: _rows(warehouse_url, table) for table in INCREMENTAL_MARTS}
    _build(["run", "--full-refresh"], warehouse_url)
    after_full = {table: _rows(warehouse_url, table) for table in INCREMENTAL_MARTS}
    return {
        "url": warehouse_url,
        "first_build": first,
        "incremental_build": incremental,
        "before": before,
        "incremental": after_incremental,
        "full_refresh": after_full,
    }


@pytest.fixture
def marts(dbt_warehouse):
    """A connection to the built warehouse, rolled back after the test."""
    with psycopg.connect(dbt_warehouse["url"]) as conn:
        yield conn
        conn.rollback()
