"""One dbt build per session on the sample inputs, then incremental builds after a second batch of
files (new 2026 figures) and a third (a late legacy file), and a full refresh, so tests can compare
incremental and full builds."""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import REFERENCE_DIR
from tests.dbt.sample_data import DATA_DIR, insert_submissions
from warehouse.dbt import run_dbt
from warehouse.reference import load_reference

INCREMENTAL_MARTS = (
    "fct_indicator_performance",
    "fct_indicator_trend",
    "fct_submission_status",
    "fct_completeness_by_unit",
    "fct_completeness_by_indicator",
    "fct_completeness_by_level",
)


def _rows(url: str, table: str) -> list[dict]:
    with psycopg.connect(url) as conn:
        cursor = conn.execute(f"select * from marts.{table}")
        names = [column.name for column in cursor.description]
        rows = cursor.fetchall()
    # Every column decides the order: a grain's key alone leaves ties in no particular order.
    return [dict(zip(names, row, strict=True)) for row in sorted(rows, key=repr)]


def _build(args: list[str], url: str):
    result = run_dbt(args, url=url)
    assert result.success, result.failures()
    return result


@pytest.fixture(scope="session")
def dbt_warehouse(warehouse_url):
    """The session warehouse after: build (batch 1), incremental builds (batches 2 and 3), full refresh."""
    with psycopg.connect(warehouse_url) as conn:
        load_reference(conn, [REFERENCE_DIR, DATA_DIR])
        insert_submissions(conn, batch=1)
    first = _build(["build"], warehouse_url)
    before = {table: _rows(warehouse_url, table) for table in INCREMENTAL_MARTS}
    with psycopg.connect(warehouse_url) as conn:
        insert_submissions(conn, batch=2)
    incremental = _build(["build"], warehouse_url)
    after_incremental = {table: _rows(warehouse_url, table) for table in INCREMENTAL_MARTS}
    with psycopg.connect(warehouse_url) as conn:
        insert_submissions(conn, batch=3)
    legacy_incremental = _build(["build"], warehouse_url)
    after_legacy = {table: _rows(warehouse_url, table) for table in INCREMENTAL_MARTS}
    _build(["run", "--full-refresh"], warehouse_url)
    after_full = {table: _rows(warehouse_url, table) for table in INCREMENTAL_MARTS}
    return {
        "url": warehouse_url,
        "first_build": first,
        "incremental_build": incremental,
        "legacy_incremental_build": legacy_incremental,
        "before": before,
        "incremental": after_incremental,
        "after_legacy_file": after_legacy,
        "full_refresh": after_full,
    }


@pytest.fixture
def marts(dbt_warehouse):
    """A connection to the built warehouse, rolled back after the test."""
    with psycopg.connect(dbt_warehouse["url"]) as conn:
        yield conn
        conn.rollback()
