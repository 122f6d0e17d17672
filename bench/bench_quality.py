"""Benchmark: every quality check on national-scale data against one hand-written SQL scan.

Synthesises, via COPY into a scratch database, 34 provinces x 3,321 communes (+ one department
per province), 50 indicators, 24 months (~4M values, one file per unit and month), with a few
planted faults. Then, in the same run, times ``run_quality_checks`` (GX suites in the database +
SQL rules + upsert) and one hand-written SQL statement computing the same checks, and reports
the ratio and the peak memory (ru_maxrss) of this process.

    .venv/bin/python bench/bench_quality.py [--server-url URL] [--keep]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quality.checks import WORK_MEM, run_quality_checks  # noqa: E402
from quality.rules import RULES  # noqa: E402
from warehouse.database import apply_schema, warehouse_url, with_database  # noqa: E402
from warehouse.periods import periods_of_year  # noqa: E402
from warehouse.reference import load_reference  # noqa: E402
from warehouse.settings import PROJECT_ROOT  # noqa: E402

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
AS_OF = datetime(2026, 11, 27, 9, 0, tzinfo=VIETNAM)
# 24 months up to the month due at the next lock (2026-11, locked on 1 December).
MONTHS = ["2024-12"] + [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)][:23]
INDICATORS = 50

# One scan: the same rules (counts per rule) read straight from the base tables.
BASELINE = """
with v as (
    select distinct on (sv.unit_code, sv.period_code, sv.indicator_code)
        sv.unit_code, sv.period_code, sv.indicator_code, sv.value, f.received_at,
        u.province_key, u.admin_unit_key, a.admin_level, a.parent_key, i.value_kind,
        i.time_aggregation, i.unit_aggregation, i.min_value, i.max_value,
        p.period_type, p.period_year, p.calendar_end
    from raw.submission_value sv
    join raw.submission_file f on f.file_id = sv.file_id and f.status = 'loaded'
    join reference.reporting_unit u on u.unit_code = sv.unit_code
    join reference.admin_unit a on a.admin_unit_key = u.admin_unit_key
    join reference.indicator i on i.indicator_code = sv.indicator_code
    join reference.reporting_period p on p.period_code = sv.period_code
    left join reference.period_lock l on l.province_key = u.province_key and l.period_code = sv.period_code
    where f.received_at <= %(as_of)s
      and (l.lock_date is null or f.received_at < l.lock_date::timestamp at time zone 'Asia/Ho_Chi_Minh')
    order by sv.unit_code, sv.period_code, sv.indicator_code, f.received_at desc, f.file_id desc
),
s as (
    select unit_code, indicator_code, period_type, percentile_cont(0.5) within group (order by value) med
    from v group by 1, 2, 3
),
sm as (
    select s.*, percentile_cont(0.5) within group (order by abs(v.value - s.med)) mad
    from s join v using (unit_code, indicator_code, period_type) group by 1, 2, 3, 4
),
scored as (
    select v.*, sm.med, sm.mad, v.value / nullif(sm.med, 0) ratio,
           0.6745 * (v.value - sm.med) / nullif(sm.mad, 0) z,
           lag(v.value) over (partition by v.unit_code, v.indicator_code, v.period_year order by v.calendar_end) prev
    from v join sm using (unit_code, indicator_code, period_type)
),
expected as (
    select t.unit_code, t.indicator_code, t.period_code from reference.target t
),
children as (
    select parent_key, indicator_code, period_code, sum(value) total from v
    where unit_aggregation = 'sum' and parent_key is not null group by 1, 2, 3
)
select
    (select count(*) from expected e where not exists (select from v where v.unit_code = e.unit_code
        and v.period_code = e.period_code and v.indicator_code = e.indicator_code)) as missing,
    (select count(*) from v join children c on c.parent_key = v.admin_unit_key
        and c.indicator_code = v.indicator_code and c.period_code = v.period_code
        where abs(v.value - c.total) > 0.005 * greatest(abs(v.value), abs(c.total))) as rollup,
    count(*) filter (where value < min_value or value > max_value) as out_of_range,
    count(*) filter (where time_aggregation = 'last' and value_kind = 'count' and value < prev) as decreasing,
    count(*) filter (where ratio between 250 and 4000) as slip,
    count(*) filter (where abs(z) > 3.5 and abs(ratio - 1) >= 0.5 and not ratio between 250 and 4000) as outlier,
    count(*) filter (where value is null or unit_code is null) as null_keys,
    (select count(*) - count(distinct (unit_code, period_code, indicator_code)) from v) as duplicate_current
from scored
"""


def synthesise(url: str, seed: int = 7) -> dict:
    """Fill a fresh warehouse database with national-scale submissions (COPY only)."""
    rng = random.Random(seed)
    counts = {}
    with psycopg.connect(url) as conn:
        apply_schema(conn)
        conn.commit()
        load_reference(conn, [PROJECT_ROOT / "reference_data"])
        conn.commit()
        provinces = [r[0] for r in conn.execute(
            "select admin_unit_key from reference.admin_unit where hierarchy = 'post_2025'"
            " and admin_level = 'province' order by 1")]
        communes = conn.execute(
            "select admin_unit_key, parent_key from reference.admin_unit where hierarchy = 'post_2025'"
            " and admin_level = 'commune' order by 1").fetchall()
        kinds = ["money"] * 25 + ["count"] * 15 + ["percentage"] * 5 + ["stock"] * 5
        with conn.transaction():
            conn.execute("""
                insert into reference.meeting_calendar
                select p.admin_unit_key, m.meeting_date, m.reporting_period, m.meeting_name,
                       m.lock_days_before, m.lock_date
                from reference.admin_unit p cross join reference.meeting_calendar m
                where p.hierarchy = 'post_2025' and p.admin_level = 'province'
                  and p.admin_unit_key <> m.province_key""")
            with conn.cursor().copy("copy reference.reporting_period from stdin") as copy:
                for p in [*periods_of_year(2024), *periods_of_year(2025)]:
                    copy.write_row([p.code, p.period_type, p.year, p.calendar_start, p.calendar_end,
                                    p.admin_cutoff_start, p.admin_cutoff_end])
            with conn.cursor().copy("copy reference.indicator (indicator_code, name_vi, name_en, unit_of_measure,"
                                    " direction, value_kind, time_aggregation, unit_aggregation, min_value,"
                                    " max_value, periodicity, admin_levels, sector) from stdin") as copy:
                for n, kind in enumerate(kinds):
                    value_kind = "count" if kind == "stock" else kind
                    copy.write_row([f"BENCH_{n:02d}", f"Chỉ tiêu {n}", f"Indicator {n}", "đv", "higher_is_better",
                                    value_kind, "last" if kind in ("stock", "percentage") else "sum",
                                    "sum" if kind in ("money", "count") else "none", 0,
                                    100 if kind == "percentage" else None, "month", "{province,commune}", "Bench"])
            units = [(f"X{c[0].split(':')[-1]}", c[0], c[1]) for c in communes]
            units += [(f"P{p.split(':')[-1]}", p, p) for p in provinces]
            with conn.cursor().copy("copy reference.reporting_unit from stdin") as copy:
                for code, key, province in units:
                    copy.write_row([code, code, "commune" if code[0] == "X" else "department", key,
                                    province if code[0] == "X" else key])
            # Departments report the provincial totals of the summed indicators only.
            plan = [(code, n) for code, _, _ in units for n, kind in enumerate(kinds)
                    if code[0] == "X" or kind in ("money", "count")]
            with conn.cursor().copy("copy reference.assignment from stdin") as copy:
                for code, n in plan:
                    for year in (2024, 2025, 2026):
                        copy.write_row([code, f"BENCH_{n:02d}", year, 100, None])
            with conn.cursor().copy("copy reference.target from stdin") as copy:
                for code, n in plan:
                    for period in MONTHS:
                        copy.write_row([code, f"BENCH_{n:02d}", int(period[:4]), period, 10,
                                        "2023-12-27", None])
            counts["units"], counts["indicators"] = len(units), INDICATORS
        counts.update(_submissions(conn, units, kinds, rng))
        conn.execute("analyze")
        conn.commit()
    return counts


def _value(kind: str, base: float, size: float, m: int, rng: random.Random) -> float:
    if kind == "percentage":
        return round(min(99.0, 60 + 20 * (size - 1) + rng.uniform(-0.3, 0.3)), 2)
    if kind == "stock":
        return float(round(base * size * 10) + m)
    value = base * size * (1 + 0.06 * m / 12) * rng.uniform(0.97, 1.03)
    value = float(round(value)) if kind == "count" else round(value, 2)
    if rng.random() < 2e-5:  # a rare planted slip or outlier
        value = round(value * (1000 if rng.random() < 0.5 else 8), 2)
    return value


def _submissions(conn: psycopg.Connection, units: list, kinds: list[str], rng: random.Random) -> dict:
    """One file per unit and month; departments send the sum of their communes."""
    size = {u[0]: rng.lognormvariate(0, 0.45) for u in units}
    base = [rng.uniform(1, 200) for _ in range(INDICATORS)]
    file_id, values = 0, 0
    with conn.transaction():
        files = conn.cursor().copy(
            "copy raw.submission_file (file_name, sha256, file_format, size_bytes, received_at,"
            " processed_at, status, unit_code, period_code, row_count) from stdin")
        with files as fcopy:
            for code, _, _ in units:
                for period in MONTHS:
                    p = next(x for x in periods_of_year(int(period[:4])) if x.code == period)
                    received = datetime.combine(p.admin_cutoff_end + timedelta(days=2 + (code[0] == "P")),
                                                dtime(9), VIETNAM)
                    file_id += 1
                    fcopy.write_row([f"{code}_{period}.csv", uuid.uuid4().hex, "csv", 1000, received,
                                     received, "loaded", code, period, INDICATORS])
        ids = dict(((r[0], r[1]), r[2]) for r in conn.execute(
            "select unit_code, period_code, file_id from raw.submission_file"))
        sums: dict[tuple, float] = {}
        with conn.cursor().copy("copy raw.submission_value (file_id, source_row, unit_code, period_code,"
                                " indicator_code, value) from stdin") as copy:
            for code, _, province in units:
                if code[0] == "P":
                    continue
                for m, period in enumerate(MONTHS):
                    for n, kind in enumerate(kinds):
                        value = _value(kind, base[n], size[code], m, rng)
                        copy.write_row([ids[(code, period)], n + 2, code, period, f"BENCH_{n:02d}", value])
                        values += 1
                        if kind in ("money", "count"):
                            key = (province, period, n)
                            sums[key] = sums.get(key, 0) + value
            for code, _, province in units:
                if code[0] != "P":
                    continue
                for period in MONTHS:
                    for n in range(len(kinds)):
                        total = sums.get((province, period, n))
                        if total is not None:
                            copy.write_row([ids[(code, period)], n + 2, code, period, f"BENCH_{n:02d}",
                                            round(total, 2)])
                            values += 1
    return {"files": file_id, "values": values}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server-url", help="PostgreSQL server (default: the warehouse's)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--synthesise", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.synthesise:
        print(json.dumps(synthesise(args.synthesise)))
        return 0
    server = args.server_url or warehouse_url()
    name = f"kpi_bench_quality_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    url = with_database(server, name)
    try:
        start = time.perf_counter()
        # In a child process: the peak memory reported below is the checks' alone.
        data = json.loads(subprocess.run([sys.executable, __file__, "--synthesise", url], check=True,
                                         capture_output=True, text=True).stdout)
        synth = time.perf_counter() - start

        start = time.perf_counter()
        with psycopg.connect(url) as conn:
            conn.execute("select set_config('work_mem', %s, true)", (WORK_MEM,))
            baseline = conn.execute(BASELINE, {"as_of": AS_OF}).fetchone()
        baseline_s = time.perf_counter() - start

        start = time.perf_counter()
        report = run_quality_checks(AS_OF, url=url)
        checks_s = time.perf_counter() - start
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        timings = report["timings"]
        breakdown = {"sql_rules": sum(v for k, v in timings.items() if k.startswith("prepare:") or k in RULES),
                     "expectations": timings.get("expectations", 0),
                     "upsert": timings.get("upsert", 0)}
        breakdown["other"] = checks_s - sum(breakdown.values())
        print(json.dumps({
            "data": data, "synthesis_s": round(synth, 1),
            "hand_written_scan_s": round(baseline_s, 2), "hand_written_counts": list(baseline),
            "run_quality_checks_s": round(checks_s, 2), "ratio": round(checks_s / baseline_s, 2),
            "peak_rss_mb_of_check_process": round(rss_mb),
            "checks_breakdown_s": {k: round(v, 1) for k, v in breakdown.items()},
            "findings_by_rule": report["by_rule"], "timings": {k: round(v, 2) for k, v in timings.items()},
            "expectations": report.get("expectations"),
        }, indent=1, default=str))
    finally:
        if not args.keep:
            with psycopg.connect(server, autocommit=True) as admin:
                admin.execute(f'drop database if exists "{name}" with (force)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
