"""Every rule finds what was planted and nothing else; lock, snapshot and resolution behave."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta

import psycopg
import pytest

from quality.checks import run_quality_checks
from quality.lock import lock_due_meetings, units_to_explain
from tests.quality.conftest import AS_OF, PLANTED, VIETNAM, submit


def open_findings(url: str) -> dict[tuple, dict]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select rule, unit_code, indicator_code, period_code, severity, evidence"
            " from dq.finding where resolved_at is null").fetchall()
    return {tuple(r[:4]): {"severity": r[4], "evidence": r[5]} for r in rows}


def test_every_planted_imperfection_is_found_and_nothing_else(quality_url):
    report = run_quality_checks(AS_OF, url=quality_url, expectations=False)
    found = open_findings(quality_url)
    assert set(found) == PLANTED
    assert not [key for key in found if key[1] == "C0"]
    assert report["opened"] == len(PLANTED) and report["resolved"] == 0
    for rule in {key[0] for key in PLANTED}:
        assert report["by_rule"][rule] == len([k for k in PLANTED if k[0] == rule])
    # Severity follows the lock: October is locked (error), November not yet (warning).
    assert found[("missing_submission", "C4", "JOBS_CREATED", "2026-10")]["severity"] == "error"
    assert found[("missing_submission", "C4", "JOBS_CREATED", "2026-11")]["severity"] == "warning"
    slip = found[("unit_slip", "C6", "BUDGET_REVENUE", "2026-05")]["evidence"]
    assert slip["likely_factor"] == 1000 and 2.0 < slip["likely_value"] < 3.0
    rollup = found[("inconsistent_rollup", "DEPT", "JOBS_CREATED", "2026-06")]["evidence"]
    assert rollup["units_reported"] == rollup["units_expected"] == 8
    assert rollup["relative_difference"] == pytest.approx(0.2, abs=0.001)
    # Idempotent: the same moment again changes nothing.
    again = run_quality_checks(AS_OF, url=quality_url, expectations=False)
    assert (again["opened"], again["updated"], again["resolved"]) == (0, 0, 0)


def test_a_fix_resolves_the_finding_without_deleting_it(quality_url):
    run_quality_checks(AS_OF, url=quality_url, expectations=False)
    with psycopg.connect(quality_url) as conn:
        submit(conn, "C4", "2026-11", {"JOBS_CREATED": 144.0, "BUDGET_REVENUE": 2.41},
               datetime(2026, 11, 28, 8, 0, tzinfo=VIETNAM))
        conn.commit()
    later = AS_OF + timedelta(days=2)
    report = run_quality_checks(later, url=quality_url, expectations=False)
    assert report["resolved"] == 3  # two November items and the stale unit
    with psycopg.connect(quality_url) as conn:
        rows = conn.execute(
            "select rule, indicator_code, first_seen_at, resolved_at from dq.finding"
            " where unit_code = 'C4' and (period_code = '2026-11' or rule = 'stale_submission')"
        ).fetchall()
    assert len(rows) == 3
    assert all(r[2] == AS_OF and r[3] == later for r in rows)
    assert ("missing_submission", "C4", "JOBS_CREATED", "2026-10") in open_findings(quality_url)


def test_a_version_received_after_as_of_is_not_in_force_yet(quality_url):
    # The day after AS_OF (before November's lock) C6 resends November with revenue x1,000.
    with psycopg.connect(quality_url) as conn:
        submit(conn, "C6", "2026-11", {"JOBS_CREATED": 166.0, "BUDGET_REVENUE": 2710.0},
               datetime(2026, 11, 28, 8, 0, tzinfo=VIETNAM))
        conn.commit()
    slip = ("unit_slip", "C6", "BUDGET_REVENUE", "2026-11")
    run_quality_checks(AS_OF, url=quality_url, expectations=False)
    assert set(open_findings(quality_url)) == PLANTED  # the first version is the one in force
    run_quality_checks(AS_OF + timedelta(days=2), url=quality_url, expectations=False)
    assert slip in open_findings(quality_url)  # now the resent one is


def test_the_snapshot_ignores_submissions_after_the_lock(quality_url):
    locked = lock_due_meetings(AS_OF, url=quality_url)
    assert [m["meeting_date"] for m in locked][-1] == "2026-11-05"
    assert lock_due_meetings(AS_OF, url=quality_url) == []  # idempotent
    explain = {u["unit_code"]: u for u in units_to_explain(date(2026, 11, 5), url=quality_url)}
    assert {u: e["missing_items"] for u, e in explain.items()} == {"C2": 1, "C3": 2, "C4": 2}

    def as_locked(conn):
        return conn.execute("select unit_code, indicator_code, period_code, value from"
                            " snapshot.values_as_locked('2026-11-05') order by 1, 2, 3").fetchall()

    with psycopg.connect(quality_url) as conn:
        before = as_locked(conn)
        raw_before = conn.execute("select count(*) from raw.submission_value").fetchone()[0]
        submit(conn, "C2", "2026-10", {"BUDGET_REVENUE": 2.3}, datetime(2026, 11, 20, 8, tzinfo=VIETNAM))
        conn.commit()
        late = conn.execute("select is_late from raw.submission_value_version where unit_code = 'C2'"
                            " and period_code = '2026-10' and indicator_code = 'BUDGET_REVENUE'").fetchall()
        assert late == [(True,)]
        assert conn.execute("select count(*) from raw.submission_value").fetchone()[0] == raw_before + 1
        assert lock_due_meetings(AS_OF + timedelta(days=1), url=quality_url) == []
        assert as_locked(conn) == before
    assert units_to_explain(date(2026, 11, 5), url=quality_url)[0]["unit_code"] in explain
    assert {u["unit_code"] for u in units_to_explain(date(2026, 11, 5), url=quality_url)} == {"C2", "C3", "C4"}
    with pytest.raises(LookupError, match="not locked"):
        units_to_explain(date(2026, 12, 4), url=quality_url)


def test_as_of_without_time_zone_is_refused(quality_url):
    with pytest.raises(ValueError, match="time zone"):
        run_quality_checks(datetime(2026, 11, 27), url=quality_url)


def test_expectations_run_in_the_database_with_analytics_off(quality_url):
    from quality.expectations import PROJECT_DIR, get_context, gx_environment, run_expectations

    config = (PROJECT_DIR / "gx" / "great_expectations.yml").read_text(encoding="utf-8")
    assert "analytics_enabled: false" in config
    assert "connection_string: ${KPI_WAREHOUSE_URL}" in config and quality_url not in config
    with gx_environment(quality_url):
        assert os.environ["GX_ANALYTICS_ENABLED"] == "False"
        assert get_context().variables.analytics_enabled is False
    run = run_expectations(url=quality_url)
    assert any("stg_raw__current_submission_values" in s for s in run.skipped)  # dbt not run here
    failed = {(f["suite"], f["expectation"].split(":")[0]) for f in run.failures}
    assert failed == {("raw_submission_value", "unexpected_rows_expectation")}  # the 101% rate
    assert run.failures[0]["observed_value"] == "1"  # one row: C7's 101 % trained-labour rate
    report = run_quality_checks(AS_OF, url=quality_url)
    assert report["by_rule"]["expectation_failed"] == 1


def test_a_value_sent_twice_in_one_file_fails_the_uniqueness_expectation(quality_url):
    from quality.expectations import run_expectations

    with psycopg.connect(quality_url) as conn:
        conn.execute(
            "insert into raw.submission_value (file_id, source_row, unit_code, period_code, indicator_code, value)"
            " select file_id, source_row + 100, unit_code, period_code, indicator_code, value + 1"
            " from raw.submission_value where unit_code = 'C0' and period_code = '2026-01'"
            " and indicator_code = 'JOBS_CREATED'")
        conn.commit()
    run = run_expectations(url=quality_url)
    failed = sorted((f["suite"], f["observed_value"]) for f in run.failures)
    # Both rows of the pair, next to C7's 101 % rate; the current value stays one per item.
    assert failed == [("raw_submission_value", "1"), ("raw_submission_value", "2")]
    assert "file_id" in next(f["expectation"] for f in run.failures if f["observed_value"] == "2")
