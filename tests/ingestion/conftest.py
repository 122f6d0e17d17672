"""Intake fixtures: a private warehouse database with real reference data, a landing folder, files.

The intake commits (one transaction per file), so its tests get a database of their own on the
session's server, loaded once with the repository's catalogue and calendar plus the units in
``fixtures/reference`` (real Gia Lai wards and a department), and emptied of raw rows per test.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from ingestion.catalog import LOCAL_TZ
from ingestion.intake import IngestSummary, ingest_landing_folder
from ingestion.readers import CSV_COLUMNS
from ingestion.templates import fill_template, write_template
from tests.conftest import REFERENCE_DIR
from warehouse.database import apply_schema, with_database
from warehouse.reference import load_reference

FIXTURE_REFERENCE = Path(__file__).parent / "fixtures" / "reference"
CSV_HEADER = ",".join(CSV_COLUMNS)

# Gia Lai 2026: the January meeting is on 5 February, so January entry locks on 2 February.
JANUARY_ON_TIME = datetime(2026, 1, 20, 9, 0, tzinfo=LOCAL_TZ)
JANUARY_LATE = datetime(2026, 2, 3, 10, 0, tzinfo=LOCAL_TZ)


@pytest.fixture(scope="package")
def intake_url(server_url, session_env):
    """A database of its own for the intake tests, with the reference data loaded."""
    name = f"kpi_intake_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    url = with_database(server_url, name)
    with psycopg.connect(url) as conn:
        apply_schema(conn)
        conn.commit()
        load_reference(conn, [REFERENCE_DIR, FIXTURE_REFERENCE])
        conn.commit()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KPI_WAREHOUSE_URL", url)
        yield url
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", (name,))
        admin.execute(f'drop database if exists "{name}"')


@pytest.fixture
def conn(intake_url):
    """An autocommit connection; the raw tables start empty in every test."""
    with psycopg.connect(intake_url, autocommit=True) as connection:
        connection.execute("truncate raw.submission_value, raw.submission_file restart identity")
        yield connection


@pytest.fixture
def landing(tmp_path, conn):
    folder = tmp_path / "landing"
    folder.mkdir()
    return folder


@pytest.fixture(scope="package")
def template_dir(tmp_path_factory):
    """Blank templates, generated once per unit and period."""
    return tmp_path_factory.mktemp("templates")


def received(path: Path, when: datetime) -> Path:
    """Set a file's modification time: the intake takes it as the time the file was received."""
    stamp = when.timestamp()
    os.utime(path, (stamp, stamp))
    return path


def write_csv_file(folder: Path, name: str, *rows: str, header: str = CSV_HEADER,
                   when: datetime = JANUARY_ON_TIME, encoding: str = "utf-8") -> Path:
    path = folder / name
    lines = [header, *rows] if header is not None else list(rows)
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return received(path, when)


def write_xlsx_file(conn, template_dir: Path, folder: Path, name: str, values: dict,
                    notes: dict | None = None, *, unit: str = "XA_QUY_NHON", period: str = "2026-01",
                    when: datetime = JANUARY_ON_TIME) -> Path:
    """A template from the generator, filled as a unit would, dropped in the landing folder."""
    template = template_dir / f"{unit}_{period}.xlsx"
    if not template.exists():
        write_template(conn, unit, period, template)
    path = fill_template(template, values, notes, out_path=folder / name)
    return received(path, when)


def ingest(landing: Path, url: str, **kwargs) -> IngestSummary:
    return ingest_landing_folder(landing, url=url, **kwargs)


def count(conn, table: str) -> int:
    return conn.execute(f"select count(*) from {table}").fetchone()[0]
