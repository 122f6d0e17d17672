"""End to end: the chain of DAGs over the demo scenario, with dag.test() on a real PostgreSQL.

Files land → ``kpi_ingest_submissions`` loads them and updates ``raw_submissions`` →
``kpi_build_warehouse`` builds the marts → ``kpi_quality_checks`` records findings →
``kpi_alerts`` sends them to a local SMTP server; ``kpi_lock_periods`` freezes due meetings.
dag.test() runs one DAG, so the chain runs them in the order the assets chain them and the
tests check each asset event was recorded. The chain runs once for the module; each test
checks one acceptance point against that run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import psycopg
import pytest

from tests.conftest import REFERENCE_DIR
from tests.orchestration.conftest import fresh_warehouse, load_dagbag

pytestmark = pytest.mark.slow

# Planted kind -> the finding rule that must report it.
RULE_OF_KIND = {
    "missing": "missing_submission",
    "not_yet_submitted": "missing_submission",
    "partial": "partial_submission",
    "late": "late_submission",
    "stale": "stale_submission",
    "inconsistent_sum": "inconsistent_rollup",
    "decreasing_cumulative": "decreasing_cumulative",
    "outlier": "outlier",
    "unit_slip": "unit_slip",
}
# Planted faults that intake rejects or a resubmission corrects: no finding may remain.
NO_FINDING_KINDS = {"malformed", "resubmitted"}
# A department's provincial total is the sum of what its communes sent, so a commune's outlier
# or x1,000 slip also makes the department's figure for that month stand out.
CARRIED_INTO_TOTALS = {"outlier", "unit_slip"}


def asset_events(name: str) -> int:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        return session.query(AssetEvent).join(
            AssetModel, AssetEvent.asset_id == AssetModel.id).filter(AssetModel.name == name).count()


def return_value(run, task_id: str):
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.query(XComModel.value).filter(
            XComModel.dag_id == run.dag_id, XComModel.run_id == run.run_id,
            XComModel.task_id == task_id, XComModel.key == "return_value").one()
    return XComModel.deserialize_value(row)


def task_state(run, task_id: str) -> str:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        return str(session.query(TaskInstance.state).filter(
            TaskInstance.dag_id == run.dag_id, TaskInstance.run_id == run.run_id,
            TaskInstance.task_id == task_id).scalar())


@dataclass
class ChainRun:
    url: str
    scenario: object
    planted: list[dict]
    states: dict[str, str] = field(default_factory=dict)
    ingest_summary: dict = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)
    messages: list = field(default_factory=list)
    rerun: dict = field(default_factory=dict)


@pytest.fixture(scope="module")
def chain(airflow_db, server_url, tmp_path_factory) -> ChainRun:
    from tests.alerts.conftest import SmtpServer
    from warehouse.commands import setup_warehouse
    from warehouse.scenario import ScenarioConfig, generate_scenario

    config = ScenarioConfig()
    smtp = SmtpServer()
    smtp.start()
    with fresh_warehouse(server_url) as url, pytest.MonkeyPatch.context() as mp:
        for name, value in airflow_db.items():
            mp.setenv(name, value)
        scenario = generate_scenario(tmp_path_factory.mktemp("chain") / "scenario", config)
        mp.setenv("KPI_WAREHOUSE_URL", url)
        mp.setenv("KPI_LANDING_DIR", str(scenario.landing_dir))
        mp.setenv("KPI_SMTP_HOST", "127.0.0.1")
        mp.setenv("KPI_SMTP_PORT", str(smtp.port))
        mp.setenv("KPI_SMTP_FROM", "kpi@stc.gialai.gov.vn")
        setup_warehouse([REFERENCE_DIR, scenario.reference_dir])
        bag = load_dagbag()
        assert bag.import_errors == {}
        planted = json.loads((scenario.root / "planted.json").read_text(encoding="utf-8"))["planted"]
        run = ChainRun(url, scenario, planted)
        as_of = config.as_of  # every DAG runs "as of" the scenario's day, never the wall clock
        try:
            ingest = bag.dags["kpi_ingest_submissions"].test(logical_date=as_of)
            run.states["ingest"] = str(ingest.state)
            run.ingest_summary = return_value(ingest, "ingest")
            run.states["announce_new_data"] = task_state(ingest, "announce_new_data")
            run.events["raw_submissions"] = asset_events("raw_submissions")
            for name, dag_id in [("build", "kpi_build_warehouse"), ("lock", "kpi_lock_periods"),
                                 ("quality", "kpi_quality_checks"), ("alerts", "kpi_alerts")]:
                run.states[name] = str(bag.dags[dag_id].test(logical_date=as_of).state)
            run.events["marts"] = asset_events("marts")
            run.events["dq_findings"] = asset_events("dq_findings")
            run.messages = list(smtp.inbox.messages)

            # Rerun: nothing new to load, so no rebuild is announced, and no alert is sent twice.
            again = bag.dags["kpi_ingest_submissions"].test(logical_date=as_of)
            run.rerun["loaded"] = return_value(again, "ingest")["loaded"]
            run.rerun["announce_new_data"] = task_state(again, "announce_new_data")
            bag.dags["kpi_alerts"].test(logical_date=as_of)
            run.rerun["messages"] = len(smtp.inbox.messages)
            yield run
        finally:
            smtp.stop()


def _open_findings(url: str) -> list[dict]:
    with psycopg.connect(url) as conn:
        cursor = conn.execute(
            "select rule, unit_code, indicator_code, period_code from dq.finding where resolved_at is null")
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _matches(finding: dict, item: dict) -> bool:
    return (finding["rule"] == RULE_OF_KIND.get(item["kind"])
            and finding["unit_code"] == item["unit_code"]
            and item["period_code"] in (None, finding["period_code"])
            and item["indicator_code"] in (None, finding["indicator_code"]))


def _carried_into_a_total(finding: dict, planted: list[dict], department_units: set[str]) -> bool:
    return finding["unit_code"] in department_units and any(
        item["kind"] in CARRIED_INTO_TOTALS and item["indicator_code"] == finding["indicator_code"]
        and item["period_code"] == finding["period_code"] for item in planted)


def test_the_dags_run_in_chain_and_a_rerun_changes_nothing(chain):
    assert set(chain.states.values()) == {"success"}, chain.states
    assert chain.ingest_summary["loaded"] > 4000
    assert chain.ingest_summary["rejected"] == sum(p["kind"] == "malformed" for p in chain.planted)
    assert chain.events["raw_submissions"] >= 1 and chain.events["marts"] >= 1
    assert chain.events["dq_findings"] >= 1
    assert chain.messages, "no alert reached the SMTP server"
    assert chain.rerun == {"loaded": 0, "announce_new_data": "skipped", "messages": len(chain.messages)}
    with psycopg.connect(chain.url) as conn:
        communes = conn.execute(
            """select count(distinct admin_unit_key) from marts.fct_indicator_performance
               where admin_unit_key like 'post_2025:commune:%'""").fetchone()[0]
    assert communes == 135


def test_every_planted_imperfection_is_found_and_every_finding_was_planted(chain):
    findings = _open_findings(chain.url)
    with psycopg.connect(chain.url) as conn:
        departments = {row[0] for row in conn.execute(
            "select unit_code from reference.reporting_unit where unit_type = 'department'")}
    expected = [p for p in chain.planted if p["kind"] in RULE_OF_KIND]
    not_found = [p for p in expected if not any(_matches(f, p) for f in findings)]
    assert not_found == []
    unexplained = [f for f in findings
                   if not any(_matches(f, p) for p in expected)
                   and not _carried_into_a_total(f, chain.planted, departments)]
    assert unexplained == []
    for item in chain.planted:
        if item["kind"] in NO_FINDING_KINDS:
            assert not any(f["unit_code"] == item["unit_code"] and f["period_code"] == item["period_code"]
                           for f in findings), item


def test_the_clean_unit_yields_no_finding(chain):
    with psycopg.connect(chain.url) as conn:
        count = conn.execute("select count(*) from dq.finding where unit_code = %s",
                             (chain.scenario.clean_unit_code,)).fetchone()[0]
    assert count == 0


def test_alerts_reach_the_focal_points_of_units_with_open_items(chain):
    with psycopg.connect(chain.url) as conn:
        stale_unit = next(p["unit_code"] for p in chain.planted if p["kind"] == "stale")
        address = conn.execute("select email from reference.focal_point where unit_code = %s",
                               (stale_unit,)).fetchone()[0]
    to_stale_unit = [message for recipients, message in chain.messages if address in recipients]
    assert to_stale_unit, f"no alert to {address}"
    body = to_stale_unit[0].get_body(preferencelist=("plain",)).get_content()
    assert stale_unit in body
    assert "11/2026" in body  # the November items still missing before the 1 December lock
