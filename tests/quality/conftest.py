"""A small Gia Lai province with planted imperfections, loaded straight into raw.

Eight communes (C0..C7) and one department (DEPT) report 2025 and 2026 figures, each file
received two days after the data cut-off (on time). ``PLANTED`` lists every imperfection and the
finding it must produce; C0 is clean. A base database is built once; tests that change data get
their own copy (``create database ... template``).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from tests.conftest import REFERENCE_DIR, write_csv
from warehouse.database import apply_schema, with_database
from warehouse.periods import parse_period
from warehouse.reference import load_reference

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
AS_OF = datetime(2026, 11, 27, 9, 0, tzinfo=VIETNAM)
PROVINCE = "post_2025:province:52"
COMMUNES = [f"C{i}" for i in range(8)]
MONTHS = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)]
QUARTERS = [f"{y}-Q{q}" for y in (2025, 2026) for q in range(1, 5)]

# (rule, unit, indicator, period) that the planted data below must produce, and nothing else.
PLANTED = {
    ("missing_submission", "C1", "JOBS_CREATED", "2026-08"),
    ("missing_submission", "C1", "BUDGET_REVENUE", "2026-08"),
    ("partial_submission", "C2", "BUDGET_REVENUE", "2026-10"),
    ("late_submission", "C3", None, "2026-10"),
    ("stale_submission", "C4", None, None),
    ("missing_submission", "C4", "JOBS_CREATED", "2026-10"),
    ("missing_submission", "C4", "BUDGET_REVENUE", "2026-10"),
    ("missing_submission", "C4", "JOBS_CREATED", "2026-11"),
    ("missing_submission", "C4", "BUDGET_REVENUE", "2026-11"),
    ("outlier", "C5", "JOBS_CREATED", "2026-07"),
    ("unit_slip", "C6", "BUDGET_REVENUE", "2026-05"),
    # The provincial total is the sum of what the 8 communes sent: it carries C5's and C6's faults.
    ("outlier", "DEPT", "BUDGET_REVENUE", "2026-05"),
    ("outlier", "DEPT", "JOBS_CREATED", "2026-07"),
    ("rate_out_of_range", "C7", "TRAINED_LABOUR_RATE", "2026-Q2"),
    # Last March C7 reported a third of its usual jobs: an outlier then, a jump against it now.
    ("outlier", "C7", "JOBS_CREATED", "2025-03"),
    ("yoy_jump", "C7", "JOBS_CREATED", "2026-03"),
    ("inconsistent_rollup", "DEPT", "JOBS_CREATED", "2026-06"),
    ("decreasing_cumulative", "DEPT", "NEW_RURAL_COMMUNES", "2026-Q3"),
}


def received_on_time(period_code: str, days_after_cutoff: int = 2) -> datetime:
    day = parse_period(period_code).admin_cutoff_end + timedelta(days=days_after_cutoff)
    return datetime.combine(day, time(9), VIETNAM)


def submit(conn: psycopg.Connection, unit: str, period: str, values: dict[str, float],
           received: datetime) -> int:
    """Insert one loaded file and its values, as the intake would."""
    name = f"{unit}_{period}_{received:%Y%m%dT%H%M}.csv"
    file_id = conn.execute(
        "insert into raw.submission_file (file_name, sha256, file_format, size_bytes, received_at,"
        " processed_at, status, unit_code, period_code, row_count)"
        " values (%s, %s, 'csv', 100, %s, %s, 'loaded', %s, %s, %s) returning file_id",
        (name, hashlib.sha256(f"{name}{uuid.uuid4()}".encode()).hexdigest(), received, received,
         unit, period, len(values)),
    ).fetchone()[0]
    for row, (indicator, value) in enumerate(values.items(), start=2):
        conn.execute("insert into raw.submission_value values (%s, %s, %s, %s, %s, %s, null)",
                     (file_id, row, unit, period, indicator, value))
    return file_id


def _commune_month(i: int, period: str) -> dict[str, float]:
    p = parse_period(period)
    jobs = 100 + 10 * i + p.last_month % 3 + 4 * (p.year - 2025)
    if i == 7 and period == "2025-03":
        jobs = 30
    return {"JOBS_CREATED": float(jobs), "BUDGET_REVENUE": round(2.0 + 0.1 * i + 0.01 * p.last_month, 2)}


def _commune_quarter(i: int, period: str) -> dict[str, float]:
    base = 85.0 if i == 7 else 70.0 + 0.5 * i
    return {"TRAINED_LABOUR_RATE": round(base + 0.1 * parse_period(period).quarter, 2)}


def _send(conn, unit, period, values):
    """Apply the planted imperfections to one file; return the values as sent (or None)."""
    if parse_period(period).calendar_end >= AS_OF.date().replace(day=1) and period != "2026-11":
        return None  # not due yet
    if (unit, period) == ("C1", "2026-08") or (unit == "C4" and period in ("2026-10", "2026-11", "2026-Q4")):
        return None
    values = dict(values)
    received = received_on_time(period)
    if (unit, period) == ("C2", "2026-10"):
        values.pop("BUDGET_REVENUE")
    if (unit, period) == ("C3", "2026-10"):
        submit(conn, unit, period, values, datetime(2026, 11, 6, 10, 0, tzinfo=VIETNAM))
        return None
    if (unit, period) == ("C5", "2026-07"):
        values["JOBS_CREATED"] *= 8
    if (unit, period) == ("C6", "2026-05"):
        values["BUDGET_REVENUE"] = round(values["BUDGET_REVENUE"] * 1000, 2)
    if (unit, period) == ("C7", "2026-Q2"):
        values["TRAINED_LABOUR_RATE"] = 101.0
    submit(conn, unit, period, values, received)
    return values


def _reference_files(directory, communes: list[str]):
    units = [f"C{i},Xã {i},commune,{key}" for i, key in enumerate(communes)]
    write_csv(directory / "reporting_units.csv", "unit_code,unit_name,unit_type,admin_unit_key",
              *units, f"DEPT,Sở Tài chính,department,{PROVINCE}")
    write_csv(directory / "focal_points.csv", "unit_code,full_name,email,phone,valid_from",
              *[f"{u},Nguyễn Văn {u},{u.lower()}@example.gov.vn,,2025-01-01" for u in [*COMMUNES, "DEPT"]])
    plan = [(u, ind, MONTHS) for u in [*COMMUNES, "DEPT"] for ind in ("JOBS_CREATED", "BUDGET_REVENUE")]
    plan += [(u, "TRAINED_LABOUR_RATE", QUARTERS) for u in COMMUNES]
    plan += [("DEPT", "NEW_RURAL_COMMUNES", QUARTERS)]
    write_csv(directory / "assignments.csv", "unit_code,indicator_code,plan_year,annual_target,decision_ref",
              *[f"{u},{ind},{y},100," for u, ind, _ in plan for y in (2025, 2026)])
    write_csv(directory / "targets.csv", "unit_code,indicator_code,period_code,target_value,decided_on,decision_ref",
              *[f"{u},{ind},{p},10,2024-12-27," for u, ind, periods in plan for p in periods])


def _plant_data(conn) -> None:
    sent: dict[tuple[str, str], dict] = {}
    for i, unit in enumerate(COMMUNES):
        for period in MONTHS:
            sent[(unit, period)] = _send(conn, unit, period, _commune_month(i, period)) or {}
        for period in QUARTERS:
            _send(conn, unit, period, _commune_quarter(i, period))
    for period in MONTHS:
        if not any(sent[(u, period)] for u in COMMUNES):
            continue
        totals = {ind: round(sum(sent[(u, period)].get(ind, 0) for u in COMMUNES), 2)
                  for ind in ("JOBS_CREATED", "BUDGET_REVENUE")}
        if period == "2026-06":
            totals["JOBS_CREATED"] = round(totals["JOBS_CREATED"] * 1.25)
        submit(conn, "DEPT", period, totals, received_on_time(period, 3))
    rural = dict(zip(QUARTERS, [40, 42, 44, 46, 48, 50, 45], strict=False))
    for period, value in rural.items():
        submit(conn, "DEPT", period, {"NEW_RURAL_COMMUNES": float(value)}, received_on_time(period, 3))


@pytest.fixture(scope="session")
def quality_base(server_url, session_env, tmp_path_factory):
    """Name of a database holding the planted province (used as a template)."""
    name = f"kpi_quality_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    url = with_database(server_url, name)
    with psycopg.connect(url) as conn:
        apply_schema(conn)
        load_reference(conn, [REFERENCE_DIR])
        conn.commit()
        communes = [r[0] for r in conn.execute(
            "select admin_unit_key from reference.admin_unit where parent_key = %s"
            " order by admin_unit_key limit 8", (PROVINCE,))]
        directory = tmp_path_factory.mktemp("quality_reference")
        _reference_files(directory, communes)
        load_reference(conn, [REFERENCE_DIR, directory])
        _plant_data(conn)
        conn.commit()
    yield server_url, name
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def quality_url(quality_base, monkeypatch):
    """A private copy of the planted database for one test."""
    server_url, base = quality_base
    name = f"{base}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'create database "{name}" template "{base}"')
    url = with_database(server_url, name)
    monkeypatch.setenv("KPI_WAREHOUSE_URL", url)
    yield url
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{name}" with (force)')
