"""Benchmark the dbt models: a full build, and an incremental build after 100 new files, each
next to the same aggregation written as one hand-written SQL statement, timed in the same run.

Data are synthesised straight into the reference and raw tables of a scratch database (COPY):
post-2025 communes of one province (``--scale province``, Gia Lai) or of all 34 provinces
(``--scale national``, 3,321 communes), the catalogue plus synthetic indicators (≥ 50), one
department per province, 24 months (2025-2026). Usage::

    .venv/bin/python bench/bench_dbt.py --scale province
    .venv/bin/python bench/bench_dbt.py --scale national
"""

from __future__ import annotations

import argparse
import json
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

from warehouse.database import apply_schema, warehouse_url, with_database
from warehouse.dbt import run_dbt
from warehouse.periods import periods_of_year
from warehouse.reference import load_reference
from warehouse.settings import PROJECT_ROOT

YEARS = (2025, 2026)
SYNTHETIC_INDICATORS = 16
NEW_FILES = 100
PROVINCE_SCALE_KEY = "post_2025:province:52"
RESULTS_DIR = Path(__file__).parent / "results"

# The same aggregation as the dbt marts, as one statement: each unit's own figures per period
# and to date by the time rule, the target in force, the province roll-up (sums and weighted
# averages, with coverage) and the status. Carry-over, lineage and the previous year are left out,
# so the baseline is, if anything, flattering to the hand-written side.
HAND_WRITTEN_SQL = """
create table bench_handwritten as
with targets as (
    select distinct on (unit_code, indicator_code, period_code) unit_code, indicator_code, period_code, target_value
    from reference.target order by unit_code, indicator_code, period_code, decided_on desc
),
expected as (
    select a.unit_code, u.admin_unit_key, u.province_key, a.indicator_code, i.time_aggregation, i.unit_aggregation,
           i.weight_indicator_code, i.direction, i.periodicity, a.annual_target, p.period_code as base_code,
           p.calendar_start as base_start, p.calendar_end as base_end, p.period_year
    from reference.assignment a
    join reference.reporting_unit u using (unit_code)
    join reference.indicator i using (indicator_code)
    join reference.reporting_period p on p.period_year = a.plan_year and p.period_type = i.periodicity
),
leaf as (
    select e.unit_code, e.admin_unit_key, e.province_key, e.indicator_code, e.time_aggregation, e.unit_aggregation,
           e.weight_indicator_code, e.direction, e.annual_target, p.period_code, p.calendar_end,
           count(*) filter (where e.base_start >= p.calendar_start) as expected_n,
           count(v.value) filter (where e.base_start >= p.calendar_start) as reported_n,
           sum(v.value) filter (where e.base_start >= p.calendar_start) as value_sum,
           count(*) as expected_td, count(v.value) as reported_td, sum(v.value) as value_td,
           (array_agg(v.value order by e.base_end desc))[1] as last_value,
           sum(t.target_value) filter (where e.base_start >= p.calendar_start) as base_target_sum
    from expected e
    join reference.reporting_period p
      on p.period_year = e.period_year and e.base_end <= p.calendar_end
     and (e.periodicity = 'month' or (e.periodicity = 'quarter' and p.period_type <> 'month')
          or p.period_type = 'year')
    left join raw.current_submission_value v
      on v.unit_code = e.unit_code and v.indicator_code = e.indicator_code and v.period_code = e.base_code
    left join targets t on t.unit_code = e.unit_code and t.indicator_code = e.indicator_code and t.period_code = e.base_code
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
    having count(*) filter (where e.base_start >= p.calendar_start) > 0
),
leaf_values as (
    select l.*,
           case when l.time_aggregation = 'sum' then case when reported_n = expected_n then value_sum end
                else last_value end as actual,
           case when l.time_aggregation = 'sum' then case when reported_td = expected_td then value_td end
                else last_value end as actual_to_date,
           coalesce(own.target_value, case when l.time_aggregation = 'sum' then l.base_target_sum end) as target
    from leaf l
    left join targets own on own.unit_code = l.unit_code and own.indicator_code = l.indicator_code
     and own.period_code = l.period_code
),
weighted as (
    select l.*, case when l.unit_aggregation = 'sum' then 1 else w.actual end as weight
    from leaf_values l
    left join leaf_values w on w.admin_unit_key = l.admin_unit_key and w.indicator_code = l.weight_indicator_code
     and w.period_code = l.period_code
),
province as (
    select u.parent_key as admin_unit_key, w.indicator_code, w.period_code, min(w.direction) as direction,
           min(w.unit_aggregation) as unit_aggregation, count(*) as expected_units,
           count(*) filter (where w.actual is not null and w.weight is not null) as reported_units,
           sum(w.actual * w.weight) as actual_sum, sum(w.weight) filter (where w.actual is not null) as weight_sum,
           sum(w.target * w.weight) as target_sum, sum(w.weight) filter (where w.target is not null) as target_weight
    from weighted w
    join reference.admin_unit u on u.admin_unit_key = w.admin_unit_key
    where u.admin_level = 'commune' and w.unit_aggregation <> 'none' and w.time_aggregation <> 'rank'
    group by 1, 2, 3
),
all_rows as (
    select admin_unit_key, indicator_code, period_code, direction, 1 as expected_units,
           case when actual is not null then 1 else 0 end as reported_units, actual, target
    from leaf_values
    union all
    select admin_unit_key, indicator_code, period_code, direction, expected_units, reported_units,
           case when reported_units = expected_units then
                case when unit_aggregation = 'sum' then actual_sum else actual_sum / nullif(weight_sum, 0) end end,
           case when unit_aggregation = 'sum' then target_sum else target_sum / nullif(target_weight, 0) end
    from province
)
select *,
       case when actual is null or target is null or target = 0 then null
            when direction = 'lower_is_better' then round(100 * (2 * target - actual) / target, 2)
            else round(100 * actual / target, 2) end as pct_of_period_target,
       case when reported_units < expected_units or actual is null then 'chua_bao_cao'
            when target is null then null
            when actual = target then 'dat'
            when (direction = 'lower_is_better') = (actual < target) then 'vuot'
            else 'khong_dat' end as status
from all_rows
"""


def scratch_database(server_url: str) -> str:
    """Create an empty database on the server, with the warehouse schema, and return its URL."""
    name = f"kpi_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    url = with_database(server_url, name)
    with psycopg.connect(url) as conn:
        apply_schema(conn)
    return url


def drop_database(server_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", (name,))
        admin.execute(f'drop database if exists "{name}"')


def _copy(conn: psycopg.Connection, table: str, columns: list[str], rows) -> int:
    count = 0
    with conn.cursor().copy(f"copy {table} ({', '.join(columns)}) from stdin") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _base_periods(periodicity: str) -> list:
    return [p for year in YEARS for p in periods_of_year(year) if p.period_type == periodicity]


def synthesise(conn: psycopg.Connection, scale: str, seed: int = 7) -> dict:
    """Fill the reference and raw tables; hold back NEW_FILES monthly files; return counts."""
    rng = random.Random(seed)
    load_reference(conn, [PROJECT_ROOT / "reference_data"])
    _copy(conn, "reference.reporting_period",
          ["period_code", "period_type", "period_year", "calendar_start", "calendar_end",
           "admin_cutoff_start", "admin_cutoff_end"],
          ([p.code, p.period_type, p.year, p.calendar_start, p.calendar_end, p.admin_cutoff_start,
            p.admin_cutoff_end] for p in periods_of_year(2025)))
    _copy(conn, "reference.indicator",
          ["indicator_code", "name_vi", "name_en", "unit_of_measure", "direction", "value_kind",
           "time_aggregation", "unit_aggregation", "periodicity", "admin_levels", "sector"],
          ([f"SYN_{n:02d}", f"Chỉ tiêu tổng hợp {n}", f"Synthetic indicator {n}", "đơn vị", "higher_is_better",
            "count", "sum", "sum", "quarter", "{province,commune}", "Tổng hợp"]
           for n in range(1, SYNTHETIC_INDICATORS + 1)))
    provinces = [key for (key,) in conn.execute(
        "select admin_unit_key from reference.admin_unit where hierarchy = 'post_2025' and admin_level = 'province'"
        + (" and admin_unit_key = %s" if scale == "province" else "") + " order by 1",
        (PROVINCE_SCALE_KEY,) if scale == "province" else ())]
    communes = conn.execute(
        "select admin_unit_key, province_key from reference.admin_unit where hierarchy = 'post_2025'"
        " and admin_level = 'commune' and province_key = any(%s) order by 1", (provinces,)).fetchall()
    indicators = conn.execute(
        "select indicator_code, periodicity, admin_levels from reference.indicator order by 1").fetchall()
    commune_indicators = [(code, per) for code, per, levels in indicators if "commune" in levels]
    department_indicators = [(code, per) for code, per, levels in indicators if levels == ["province"]]
    # Monthly briefing meetings on the 5th of the next month, locked 3 days before.
    meetings = []
    for province in provinces:
        for p in _base_periods("month"):
            meeting = p.calendar_end + timedelta(days=5)
            meetings.append([province, meeting, p.code, f"Giao ban {p.code}", 3, meeting - timedelta(days=3)])
    conn.execute("delete from reference.meeting_calendar")
    _copy(conn, "reference.meeting_calendar",
          ["province_key", "meeting_date", "reporting_period", "meeting_name", "lock_days_before", "lock_date"], meetings)
    units = [(f"XA_{key.rsplit(':', 1)[1]}", key, province, commune_indicators) for key, province in communes]
    units += [(f"SO_{p.rsplit(':', 1)[1]}", p, p, department_indicators) for p in provinces]
    _copy(conn, "reference.reporting_unit", ["unit_code", "unit_name", "unit_type", "admin_unit_key", "province_key"],
          ([code, code, "commune" if code.startswith("XA_") else "department", key, province]
           for code, key, province, _ in units))
    assignments, targets = [], []
    for code, _, _, assigned in units:
        for indicator, periodicity in assigned:
            for year in YEARS:
                annual = rng.randint(100, 1000) * 12
                assignments.append([code, indicator, year, annual])
                if periodicity in ("month", "quarter"):
                    parts = 12 if periodicity == "month" else 4
                    for p in _base_periods(periodicity):
                        if p.year == year:
                            targets.append([code, indicator, year, p.code, annual // parts, date(year - 1, 12, 20)])
    _copy(conn, "reference.assignment", ["unit_code", "indicator_code", "plan_year", "annual_target"], assignments)
    _copy(conn, "reference.target",
          ["unit_code", "indicator_code", "plan_year", "period_code", "target_value", "decided_on"], targets)
    held_back = {code for code, *_ in units[:NEW_FILES]}
    files, values, new_files, new_values = _submissions(units, rng, held_back)
    _copy_files(conn, files, values)
    conn.commit()
    return {"provinces": len(provinces), "communes": len(communes), "indicators": len(indicators),
            "reporting_units": len(units), "assignments": len(assignments), "targets": len(targets),
            "files": len(files), "values": len(values), "new_files": (new_files, new_values)}


def _submissions(units, rng: random.Random, held_back: set[str]):
    """One file per unit and base period with all its indicators of that periodicity."""
    files, values, new_files, new_values = [], [], [], []
    file_id = 0
    last_month = _base_periods("month")[-1].code
    for code, _, _, assigned in units:
        for periodicity in ("month", "quarter", "year"):
            codes = [indicator for indicator, per in assigned if per == periodicity]
            if not codes:
                continue
            for p in _base_periods(periodicity):
                file_id += 1
                received = datetime.combine(p.calendar_end, datetime.min.time(), UTC) + timedelta(days=1)
                late_batch = code in held_back and p.code == last_month
                target_files, target_values = (new_files, new_values) if late_batch else (files, values)
                target_files.append([file_id, f"{code}_{p.code}.csv", f"{code}-{p.code}", received, code, p.code])
                for row, indicator in enumerate(codes, start=2):
                    target_values.append([file_id, row, code, p.code, indicator, rng.randint(5, 120)])
    return files, values, new_files, new_values


def _copy_files(conn: psycopg.Connection, files: list, values: list, processed_at: datetime | None = None) -> None:
    conn.execute("create temporary table if not exists bench_file (file_id bigint, file_name text, sha256 text,"
                 " received_at timestamptz, unit_code text, period_code text) on commit drop")
    conn.execute("truncate bench_file")
    _copy(conn, "bench_file", ["file_id", "file_name", "sha256", "received_at", "unit_code", "period_code"], files)
    conn.execute(
        """insert into raw.submission_file (file_id, file_name, sha256, file_format, size_bytes, received_at,
               processed_at, status, unit_code, period_code, template_version, row_count)
           overriding system value
           select file_id, file_name, sha256, 'csv', 1000, received_at,
                  coalesce(%s, received_at + interval '5 minutes'), 'loaded', unit_code, period_code, 'v1', 0
           from bench_file""", (processed_at,))
    conn.execute("select setval(pg_get_serial_sequence('raw.submission_file', 'file_id'),"
                 " (select max(file_id) from raw.submission_file))")
    _copy(conn, "raw.submission_value", ["file_id", "source_row", "unit_code", "period_code", "indicator_code", "value"],
          values)
    conn.execute("analyze")


def _timed(label: str, results: dict, action) -> None:
    start = time.perf_counter()
    outcome = action()
    results[label] = round(time.perf_counter() - start, 2)
    if outcome is not None and hasattr(outcome, "success") and not outcome.success:
        raise SystemExit(f"{label} failed: {outcome.failures()[:3]}")
    print(f"{label}: {results[label]} s", flush=True)


def hand_written(url: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("drop table if exists bench_handwritten")
        conn.execute(HAND_WRITTEN_SQL)


def _dbt(args: list[str], url: str):
    # Own target folder: a benchmark must not disturb the project's target/ (tests, other runs).
    return run_dbt([*args, "--target-path", str(RESULTS_DIR / "target")], url=url)


def run(scale: str, keep: bool = False) -> dict:
    server = warehouse_url()
    url = scratch_database(server)
    results: dict = {"scale": scale, "measured_at": datetime.now(UTC).isoformat(timespec="seconds")}
    try:
        with psycopg.connect(url) as conn:
            start = time.perf_counter()
            counts = synthesise(conn, scale)
            new_files, new_values = counts.pop("new_files")
            results["synthesis_s"] = round(time.perf_counter() - start, 2)
        results.update(counts)
        print(json.dumps(counts), flush=True)
        _timed("dbt_full_run_s", results, lambda: _dbt(["run", "--full-refresh"], url))
        _timed("hand_written_sql_s", results, lambda: hand_written(url))
        latest = datetime.now(UTC) + timedelta(days=3650)  # processed after everything already loaded
        with psycopg.connect(url) as conn:
            _copy_files(conn, new_files, new_values, processed_at=latest)
            conn.commit()
        results["new_files_loaded"] = len(new_files)
        _timed("dbt_incremental_run_s", results, lambda: _dbt(["run"], url))
        _timed("hand_written_sql_after_new_files_s", results, lambda: hand_written(url))
        _timed("dbt_build_incremental_with_tests_s", results, lambda: _dbt(["build"], url))
        results["full_vs_hand_written"] = round(results["dbt_full_run_s"] / results["hand_written_sql_s"], 2)
        results["incremental_vs_full"] = round(results["dbt_incremental_run_s"] / results["dbt_full_run_s"], 2)
        with psycopg.connect(url) as conn:
            results["fct_indicator_performance_rows"] = conn.execute(
                "select count(*) from marts.fct_indicator_performance").fetchone()[0]
    finally:
        if not keep:
            drop_database(server, url)
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"bench_dbt_{scale}.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("province", "national"), default="province")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    print(json.dumps(run(args.scale, args.keep), indent=2))


if __name__ == "__main__":
    main()
