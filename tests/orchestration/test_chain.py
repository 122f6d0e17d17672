"""End to end: the chain of DAGs over the demo scenario, with dag.test() on a real PostgreSQL.

Files land → ``kpi_ingest_submissions`` loads them and updates ``raw_submissions`` →
``kpi_build_warehouse`` builds the marts → ``kpi_quality_checks`` records findings →
``kpi_alerts`` sends them to a local SMTP server; ``kpi_lock_periods`` freezes due meetings.
dag.test() runs one DAG, so the test runs them in the order the assets chain them and checks
each asset event was recorded.
"""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import REFERENCE_DIR
from tests.orchestration.conftest import fresh_warehouse, load_dagbag


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


@pytest.fixture
def chain_warehouse(server_url, session_env):
    with fresh_warehouse(server_url) as url:
        yield url


@pytest.mark.slow
def test_chain_of_dags_over_the_demo_scenario(use_airflow, chain_warehouse, monkeypatch,
                                              tmp_path):
    from tests.alerts.conftest import SmtpServer
    from warehouse.commands import setup_warehouse
    from warehouse.scenario import ScenarioConfig, generate_scenario

    config = ScenarioConfig()
    scenario = generate_scenario(tmp_path / "scenario", config)
    smtp = SmtpServer()
    smtp.start()
    try:
        monkeypatch.setenv("KPI_WAREHOUSE_URL", chain_warehouse)
        monkeypatch.setenv("KPI_LANDING_DIR", str(scenario.landing_dir))
        monkeypatch.setenv("KPI_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("KPI_SMTP_PORT", str(smtp.port))
        monkeypatch.setenv("KPI_SMTP_FROM", "kpi@stc.gialai.gov.vn")
        setup_warehouse([REFERENCE_DIR, scenario.reference_dir])
        bag = load_dagbag()
        assert bag.import_errors == {}
        as_of = config.as_of  # every DAG runs "as of" the scenario's day, never the wall clock

        ingest = bag.dags["kpi_ingest_submissions"].test(logical_date=as_of)
        assert str(ingest.state) == "success"
        summary = return_value(ingest, "ingest")
        assert summary["loaded"] > 0 and summary["rejected"] > 0  # the scenario plants bad files
        assert task_state(ingest, "announce_new_data") == "success"
        assert asset_events("raw_submissions") >= 1

        build = bag.dags["kpi_build_warehouse"].test(logical_date=as_of)
        assert str(build.state) == "success"
        assert asset_events("marts") >= 1

        quality = bag.dags["kpi_quality_checks"].test(logical_date=as_of)
        assert str(quality.state) == "success"
        assert asset_events("dq_findings") >= 1
        with psycopg.connect(chain_warehouse) as conn:
            findings = conn.execute("select count(*) from dq.finding").fetchone()[0]
        assert findings > 0

        alerts = bag.dags["kpi_alerts"].test(logical_date=as_of)
        assert str(alerts.state) == "success"
        assert smtp.inbox.messages, "no alert reached the SMTP server"
        sent = len(smtp.inbox.messages)

        lock = bag.dags["kpi_lock_periods"].test(logical_date=as_of)
        assert str(lock.state) == "success"

        # Rerun: nothing new to load, so no rebuild is announced, and no alert is sent twice.
        again = bag.dags["kpi_ingest_submissions"].test(logical_date=as_of)
        assert return_value(again, "ingest")["loaded"] == 0
        assert task_state(again, "announce_new_data") == "skipped"
        bag.dags["kpi_alerts"].test(logical_date=as_of)
        assert len(smtp.inbox.messages) == sent
    finally:
        smtp.stop()
