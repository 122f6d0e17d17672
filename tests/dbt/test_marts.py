"""Roll-ups, lineage, submission status, incremental builds and the project's own rules."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from tests.dbt.conftest import INCREMENTAL_MARTS
from warehouse.dbt import run_dbt
from warehouse.settings import load_settings

PROVINCE = "post_2025:province:52"


def performance(conn, unit: str, indicator: str, period: str) -> dict:
    cursor = conn.execute(
        "select * from marts.fct_indicator_performance"
        " where admin_unit_key = %s and indicator_code = %s and period_code = %s",
        (unit, indicator, period),
    )
    row = cursor.fetchone()
    assert row is not None, (unit, indicator, period)
    return dict(zip([c.name for c in cursor.description], row, strict=True))


def _inserted(build, model: str) -> int:
    index = {r["unique_id"]: r for r in build.node_results}
    return int(index[f"model.provincial_kpi.{model}"]["message"].split()[-1])


def test_incremental_build_gives_the_same_rows_as_a_full_refresh(dbt_warehouse):
    for table in INCREMENTAL_MARTS:
        assert dbt_warehouse["after_legacy_file"][table] == dbt_warehouse["full_refresh"][table], table
        # Each batch did change something, so the comparison means something.
        assert dbt_warehouse["before"][table] != dbt_warehouse["incremental"][table], table
        assert dbt_warehouse["incremental"][table] != dbt_warehouse["after_legacy_file"][table], table


def test_incremental_build_rebuilt_only_the_partition_with_new_files(dbt_warehouse):
    # Only the 2026 rows of the new Gia Lai were inserted again, not the 2024 Bình Định ones.
    inserted = _inserted(dbt_warehouse["incremental_build"], "fct_indicator_performance")
    rows = dbt_warehouse["full_refresh"]["fct_indicator_performance"]
    total_2026 = sum(1 for row in rows if row["period_year"] == 2026)
    assert inserted == total_2026 < len(rows)


def test_late_legacy_file_reaches_the_successor_series_incrementally(dbt_warehouse):
    def december(rows):
        return [
            (row["series_source"], row["actual_period"]) for row in rows
            if (row["admin_unit_key"], row["indicator_code"], row["period_code"])
            == ("post_2025:commune:21952", "JOBS_CREATED", "2024-12")
        ]

    # The file reported 40 instead of 25 for December 2024 of the legacy commune; its successor's
    # series shows it after the incremental build, and only the 2024 partition of the series was
    # rebuilt, not the 2026 one.
    assert december(dbt_warehouse["incremental"]["fct_indicator_trend"]) == [("legacy_lineage", 25)]
    assert december(dbt_warehouse["after_legacy_file"]["fct_indicator_trend"]) == [("legacy_lineage", 40)]
    trend = dbt_warehouse["full_refresh"]["fct_indicator_trend"]
    inserted = _inserted(dbt_warehouse["legacy_incremental_build"], "fct_indicator_trend")
    assert inserted == sum(1 for row in trend if row["period_year"] == 2024) < len(trend)


def test_incomplete_rollup_carries_coverage_and_no_total(marts):
    row = performance(marts, PROVINCE, "JOBS_CREATED", "2026-Q1")
    assert (row["value_source"], row["expected_units"], row["reported_units"]) == ("rolled_up", 2, 1)
    assert row["coverage_pct"] == Decimal("50.00")
    assert row["is_complete"] is False
    assert row["actual_period"] is None and row["pct_of_period_target"] is None
    assert row["reported_subtotal"] == 90
    assert row["status"] == "chua_bao_cao"
    assert row["period_target"] == 150


def test_complete_month_rolls_up_to_a_total(marts):
    row = performance(marts, PROVINCE, "JOBS_CREATED", "2026-02")
    assert (row["reported_units"], row["actual_period"], row["period_target"], row["status"]) == (2, 50, 50, "dat")


def test_rate_rolls_up_weighted_by_its_weight_indicator(marts):
    row = performance(marts, PROVINCE, "TRAINED_LABOUR_RATE", "2026-Q1")
    # (68 × 20,000 + 57 × 10,000) / 30,000 and targets (66 × 20,000 + 57 × 10,000) / 30,000.
    assert round(row["actual_period"], 10) == round(Decimal(1930000) / Decimal(30000), 10)
    assert row["period_target"] == 63
    assert row["status"] == "vuot"
    assert performance(marts, PROVINCE, "LABOUR_FORCE", "2026-Q1")["actual_period"] == 30000


def test_legacy_series_reaches_the_new_commune_through_the_lineage(marts):
    successor = marts.execute(
        "select primary_successor_key from marts.dim_admin_unit where admin_unit_key = 'pre_2025:commune:21952'"
    ).fetchone()[0]
    assert successor == "post_2025:commune:21952"
    series = dict(
        (period, (source, actual))
        for period, source, actual in marts.execute(
            "select period_code, series_source, actual_period from marts.fct_indicator_trend"
            " where admin_unit_key = %s and indicator_code = 'JOBS_CREATED' and period_code in ('2024-Q1', '2026-Q1')",
            (successor,),
        )
    )
    assert series == {"2024-Q1": ("legacy_lineage", 75), "2026-Q1": ("post_2025", 90)}


def test_submission_status_tracks_versions_days_and_the_lock(marts):
    rows = {
        period: (received, versions, days, on_time, late, status, lock)
        for period, received, versions, days, on_time, late, status, lock in marts.execute(
            "select period_code, is_received, version_count, update_days, is_on_time, has_late_versions,"
            " submission_status, lock_date from marts.fct_submission_status"
            " where reporting_unit_code = 'HUYEN_TUY_PHUOC' and indicator_code = 'JOBS_CREATED'"
        )
    }
    assert len(rows) == 12
    assert rows["2024-01"] == (True, 2, 2, True, False, "on_time", date(2024, 4, 2))
    assert rows["2024-03"] == (True, 2, 2, True, True, "on_time", date(2024, 4, 2))
    missing = marts.execute(
        "select submission_status, is_received, version_count from marts.fct_submission_status"
        " where reporting_unit_code = 'XA_TUY_PHUOC_DONG' and indicator_code = 'JOBS_CREATED'"
        " and period_code = '2026-03'"
    ).fetchone()
    assert missing == ("missing", False, 0)


def test_completeness_per_unit_indicator_and_level(marts):
    unit = marts.execute(
        "select expected_submissions, received_submissions, received_pct from marts.fct_completeness_by_unit"
        " where reporting_unit_code = 'XA_TUY_PHUOC_DONG' and period_code = '2026-Q1'"
    ).fetchone()
    assert unit == (2, 2, Decimal("100.00"))
    indicator = marts.execute(
        "select expected_submissions, received_submissions, received_pct from marts.fct_completeness_by_indicator"
        " where indicator_code = 'JOBS_CREATED' and province_key = %s and period_code = '2026-03'",
        (PROVINCE,),
    ).fetchone()
    assert indicator == (2, 1, Decimal("50.00"))
    level = marts.execute(
        "select expected_submissions, received_submissions from marts.fct_completeness_by_level"
        " where province_key = %s and admin_level = 'commune' and period_code = '2026-01'",
        (PROVINCE,),
    ).fetchone()
    assert level == (2, 2)


def test_no_contact_details_reach_the_models(marts):
    columns = marts.execute(
        "select table_schema || '.' || table_name || '.' || column_name from information_schema.columns"
        " where table_schema in ('staging', 'intermediate', 'marts')"
        " and (column_name like '%%email%%' or column_name like '%%phone%%' or column_name = 'full_name')"
    ).fetchall()
    assert columns == []
    tables = [t for (t,) in marts.execute(
        "select table_name from information_schema.tables where table_schema = 'marts'")]
    for table in tables:
        hits = marts.execute(
            f"select count(*) from marts.{table} as t where t::text like '%%@%%'"  # noqa: S608
        ).fetchone()[0]
        assert hits == 0, table


def test_project_rules_hold_in_the_manifest(dbt_warehouse):
    manifest = json.loads((load_settings().dbt_project_dir / "target" / "manifest.json").read_text("utf-8"))
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    for name, node in models.items():
        assert node["description"], name
        layer = node["fqn"][1]
        assert name.startswith({"staging": "stg_", "intermediate": "int_", "marts": ("dim_", "fct_", "bridge_")}[layer]), name
        sources = node["depends_on"]["nodes"]
        if layer != "staging":
            assert not [s for s in sources if s.startswith("source.")], name
        else:
            assert len([s for s in sources if s.startswith("source.")]) == 1, name
        if layer == "marts":
            assert node["config"]["contract"]["enforced"], name
            assert node["columns"] and all(c["description"] for c in node["columns"].values()), name
    freshness = manifest["sources"]["source.provincial_kpi.raw.submission_file"]["freshness"]
    assert freshness["error_after"]["count"]
    unit_tests = {n["name"] for n in manifest["unit_tests"].values()}
    assert {"carry_over_across_quarters", "rollup_weights_rates_skips_ranks_marks_incomplete",
            "performance_status_percent_and_milestone", "missing_month_leaves_quarter_incomplete"} <= unit_tests
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False


def test_mart_columns_match_their_documentation(marts, dbt_warehouse):
    manifest = json.loads((load_settings().dbt_project_dir / "target" / "manifest.json").read_text("utf-8"))
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["fqn"][1] != "marts":
            continue
        actual = [c for (c,) in marts.execute(
            "select column_name from information_schema.columns where table_schema = 'marts' and table_name = %s"
            " order by ordinal_position", (node["name"],))]
        assert actual == list(node["columns"]), node["name"]


def test_docs_generate_works(dbt_warehouse):
    result = run_dbt(["docs", "generate"], url=dbt_warehouse["url"])
    assert result.success
    catalog = json.loads((load_settings().dbt_project_dir / "target" / "catalog.json").read_text("utf-8"))
    assert "model.provincial_kpi.fct_indicator_performance" in catalog["nodes"]
