"""Run every data-quality check and keep ``dq.finding`` in step with what the data shows now.

Each run computes all findings inside PostgreSQL for one moment (``as_of``), then upserts them:
a new finding is inserted, one still present gets its ``last_seen_at`` and evidence refreshed
(and is reopened if it had been resolved), and an open one no longer present is marked resolved.
Nothing is ever deleted. Running twice with the same ``as_of`` changes nothing.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

import psycopg

from quality.rules import FINDING_COLUMNS, PREPARE, RULES
from quality.thresholds import Thresholds
from warehouse.database import connect
from warehouse.settings import load_settings

log = logging.getLogger(__name__)

SQL_RULES = tuple(RULES)
# Medians sort every unit's series: give the run's sorts and hashes room instead of disk.
WORK_MEM = "256MB"
EXPECTATION_RULE = "expectation_failed"

# Deterministic and readable: rule|unit|indicator|period (|subject for expectation failures).
FINDING_KEY = (
    "concat_ws('|', rule, coalesce(unit_code, ''), coalesce(indicator_code, ''),"
    " coalesce(period_code, ''), subject)"
)


def _require_aware(as_of: datetime) -> None:
    if as_of.tzinfo is None:
        raise ValueError(f"as_of {as_of.isoformat()} has no time zone; pass an aware datetime")


def collect_findings(conn: psycopg.Connection, as_of: datetime, thresholds: Thresholds | None = None,
                     stale_after_days: int | None = None) -> dict[str, float]:
    """Compute every SQL rule into the temporary table dq_run; return seconds per step."""
    thresholds = thresholds or Thresholds()
    params = {"as_of": as_of, **thresholds.sql_params(),
              "stale_after_days": stale_after_days if stale_after_days is not None
              else load_settings().stale_after_days}
    timings = {}
    start = time.perf_counter()
    conn.execute("select set_config('work_mem', %s, true)", (WORK_MEM,))
    # JIT compiled each of these statements for 0.5-2 s (EXPLAIN ANALYZE at national scale);
    # the sorts and hashes that dominate them do not run faster for it.
    conn.execute("select set_config('jit', 'off', true)")
    # Joins on (unit, indicator, period) look skewed to the planner, which judges a hash bucket
    # by one column (~3,000 units for ~4M rows): it sorts millions of rows for merge joins
    # instead, about twice as slow as the hash joins here.
    conn.execute("select set_config('enable_mergejoin', 'off', true)")
    for table, query in PREPARE.items():
        conn.execute(f"create temp table {table} on commit drop as {query}", params)
        # Temporary tables get no statistics from autovacuum: the planner needs them.
        conn.execute(f"analyze {table}")
        timings[f"prepare:{table}"] = time.perf_counter() - start
        start = time.perf_counter()
    conn.execute(
        "create temp table dq_run (rule text, severity text, unit_code text, indicator_code text,"
        " period_code text, province_key text, evidence jsonb, subject text) on commit drop"
    )
    for rule, query in RULES.items():
        start = time.perf_counter()
        conn.execute(f"insert into dq_run ({FINDING_COLUMNS}) {query}", params)
        timings[rule] = time.perf_counter() - start
    return timings


def upsert_findings(conn: psycopg.Connection, as_of: datetime, rules: tuple[str, ...]) -> dict[str, int]:
    """Merge dq_run into dq.finding; resolve open findings of the checked rules not seen now."""
    opened = conn.execute(
        f"""
        with keyed as (
            select distinct on (finding_key) {FINDING_KEY} as finding_key, *
            from dq_run order by finding_key
        ), merged as (
            insert into dq.finding as f (finding_key, rule, severity, unit_code, indicator_code,
                                         period_code, province_key, evidence, first_seen_at, last_seen_at)
            select finding_key, rule, severity, unit_code, indicator_code, period_code, province_key,
                   evidence, %(as_of)s, %(as_of)s
            from keyed
            on conflict (finding_key) do update set
                severity = excluded.severity,
                evidence = excluded.evidence,
                last_seen_at = greatest(f.last_seen_at, excluded.last_seen_at),
                resolved_at = null
            where f.evidence is distinct from excluded.evidence
               or f.severity is distinct from excluded.severity
               or f.resolved_at is not null
               or f.last_seen_at < excluded.last_seen_at
            returning (xmax = 0) as inserted
        )
        select count(*) filter (where inserted), count(*) filter (where not inserted) from merged
        """,
        {"as_of": as_of},
    ).fetchone()
    resolved = conn.execute(
        f"""
        update dq.finding as f set resolved_at = %(as_of)s
        where f.resolved_at is null and f.rule = any(%(rules)s)
          and not exists (select from dq_run where {FINDING_KEY} = f.finding_key)
        """,
        {"as_of": as_of, "rules": list(rules)},
    ).rowcount
    return {"opened": opened[0], "updated": opened[1], "resolved": resolved}


def run_quality_checks(as_of: datetime, *, url: str | None = None, expectations: bool = True,
                       thresholds: Thresholds | None = None) -> dict:
    """Run the expectation suites and every rule as of a moment; return counts per rule."""
    _require_aware(as_of)
    report: dict = {"as_of": as_of.isoformat()}
    checked = SQL_RULES
    with connect(url) as conn, conn.transaction():
        report["timings"] = collect_findings(conn, as_of, thresholds)
        if expectations:
            from quality.expectations import run_expectations

            start = time.perf_counter()
            gx = run_expectations(url=url)
            report["timings"]["expectations"] = time.perf_counter() - start
            report["timings"].update({f"expectations:{step}": seconds for step, seconds in gx.timings.items()})
            report["expectations"] = gx.summary()
            gx.insert_failures(conn)
            checked = (*SQL_RULES, EXPECTATION_RULE)
        counts = dict(conn.execute(
            "select rule, count(*) from dq_run group by rule").fetchall())
        report["by_rule"] = {rule: counts.get(rule, 0) for rule in checked}
        start = time.perf_counter()
        report.update(upsert_findings(conn, as_of, checked))
        report["timings"]["upsert"] = time.perf_counter() - start
    log.info("Quality checks as of %s: %s opened, %s resolved", as_of.isoformat(),
             report["opened"], report["resolved"])
    return report
