"""Inputs of the dbt tests: reference files in ``data/`` and submissions written straight into
the raw tables (the intake contract), in two batches to exercise incremental builds."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from itertools import groupby
from pathlib import Path

import psycopg

DATA_DIR = Path(__file__).parent / "data"
# Later batches are processed after everything before them: batch 2 brings new 2026 files, batch 3
# a legacy (2024) file loaded late, which reaches the post-2025 successors through the lineage.
PROCESSED_AT = {
    2: datetime.fromisoformat("2026-04-02T08:00:00+07:00"),
    3: datetime.fromisoformat("2026-04-03T08:00:00+07:00"),
}


def read_submissions() -> list[dict]:
    with open(DATA_DIR / "submissions.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def insert_submissions(conn: psycopg.Connection, batch: int) -> int:
    """Insert one file per unit, period and reception time of a batch; return the file count."""
    rows = [r for r in read_submissions() if int(r["batch"]) == batch]

    def file_key(row: dict) -> tuple:
        return row["unit_code"], row["period_code"], row["received_at"]

    files = 0
    for (unit, period, received), values in groupby(sorted(rows, key=file_key), key=file_key):
        values = list(values)
        received_at = datetime.fromisoformat(received)
        processed_at = PROCESSED_AT.get(batch, received_at + timedelta(minutes=5))
        name = f"{unit}_{period}_{received_at:%Y%m%dT%H%M}.csv"
        file_id = conn.execute(
            """insert into raw.submission_file
                   (file_name, sha256, file_format, size_bytes, received_at, processed_at, status,
                    unit_code, period_code, template_version, row_count)
               values (%s, %s, 'csv', 100, %s, %s, 'loaded', %s, %s, 'v1', %s)
               returning file_id""",
            (name, name, received_at, processed_at, unit, period, len(values)),
        ).fetchone()[0]
        with conn.cursor().copy(
            "copy raw.submission_value (file_id, source_row, unit_code, period_code, indicator_code, value)"
            " from stdin"
        ) as copy:
            for row_number, row in enumerate(values, start=2):
                copy.write_row([file_id, row_number, unit, period, row["indicator_code"], row["value"]])
        files += 1
    return files
