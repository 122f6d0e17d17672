"""DAG integrity: every DAG parses fast with no database, and follows the house rules."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import psycopg
import pytest

from orchestration.common import APPROVED_TAGS, OWNER
from tests.orchestration.conftest import DAGS_DIR, UNREACHABLE_URL, load_dagbag

EXPECTED_DAGS = {
    "kpi_setup_warehouse",
    "kpi_ingest_submissions",
    "kpi_build_warehouse",
    "kpi_quality_checks",
    "kpi_alerts",
    "kpi_lock_periods",
}
MAX_PARSE_SECONDS = 2.0


def cron_of(dag) -> str | None:
    """The cron expression of a DAG's schedule (also inside an asset-or-time schedule)."""
    timetable = getattr(dag.timetable, "timetable", dag.timetable)
    return getattr(timetable, "expression", None)


def assets_of(dag) -> set[str]:
    """Names of the assets whose update triggers the DAG."""
    def names(condition) -> set[str]:
        if hasattr(condition, "objects"):  # AssetAll / AssetAny
            return set().union(*(names(part) for part in condition.objects))
        return {condition.name}

    condition = getattr(dag.timetable, "asset_condition", None)
    return names(condition) if condition is not None else set()


@pytest.fixture(scope="module")
def dagbag(airflow_env, tmp_path_factory):
    """The DAG folder parsed with no warehouse reachable and any connection attempt refused."""
    empty_state = tmp_path_factory.mktemp("no_state")
    with pytest.MonkeyPatch.context() as mp:
        for name, value in airflow_env.items():
            mp.setenv(name, value)
        mp.setenv("KPI_WAREHOUSE_URL", UNREACHABLE_URL)
        mp.setenv("KPI_STATE_DIR", str(empty_state))
        mp.delenv("AIRFLOW__COSMOS__ENABLE_TELEMETRY")
        opened = []

        def refuse(*args, **kwargs):
            opened.append(args)
            raise AssertionError("a DAG file opened a database connection while being parsed")

        mp.setattr(psycopg, "connect", refuse)
        bag = load_dagbag()
        yield bag
    assert not opened
    # Nothing started the embedded server either.
    assert list(empty_state.iterdir()) == []


def test_every_dag_parses_without_errors_and_fast(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == EXPECTED_DAGS
    files = {stat.file: stat.duration.total_seconds() for stat in dagbag.dagbag_stats}
    assert set(files) == {p.name for p in DAGS_DIR.glob("*.py")}
    slow = {name: seconds for name, seconds in files.items() if seconds >= MAX_PARSE_SECONDS}
    assert not slow, f"DAG files slower than {MAX_PARSE_SECONDS} s to parse: {slow}"


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAGS))
def test_dag_follows_the_house_rules(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    assert dag.doc_md and dag.doc_md.strip().startswith("# "), "doc_md with a title"
    assert dag.tags and set(dag.tags) <= APPROVED_TAGS, f"tags {dag.tags}"
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert dag.default_args["owner"] == OWNER
    # A schedule (cron) or an asset trigger: no DAG waits for someone to remember it.
    assert cron_of(dag) or assets_of(dag), "neither a cron schedule nor an asset trigger"
    for task in dag.tasks:
        assert task.owner == OWNER
        assert task.retries >= 1, f"{task.task_id} has no retries"
        assert task.retry_exponential_backoff, f"{task.task_id} retries without back-off"
        assert task.execution_timeout is not None, f"{task.task_id} has no time limit"
    # DagBag refuses cyclic DAGs; topological order covering every task confirms it.
    assert len(list(dag.topological_sort())) == len(dag.tasks)


def test_the_dags_chain_through_assets(dagbag):
    """ingest → build → quality → alerts: each DAG runs on the asset the previous one updates."""

    def outlets(dag_id):
        return {o.name for t in dagbag.dags[dag_id].tasks for o in t.outlets}

    def triggers(dag_id):
        return assets_of(dagbag.dags[dag_id])

    assert outlets("kpi_ingest_submissions") == {"raw_submissions"}
    assert triggers("kpi_build_warehouse") == {"raw_submissions"}
    assert outlets("kpi_build_warehouse") == {"marts"}
    assert outlets("kpi_setup_warehouse") == {"marts"}
    assert triggers("kpi_quality_checks") == {"marts"}
    assert outlets("kpi_quality_checks") == {"dq_findings"}
    assert triggers("kpi_alerts") == {"dq_findings"}
    # The alerts also run every morning: an asset-or-time schedule with a cron part.
    assert cron_of(dagbag.dags["kpi_alerts"]) == "30 7 * * *"
    assert cron_of(dagbag.dags["kpi_ingest_submissions"]) == "*/15 * * * *"


def test_build_dag_has_one_task_per_dbt_model_grouped_by_layer(dagbag, airflow_env):
    from pathlib import Path

    manifest = json.loads((Path(airflow_env["DBT_TARGET_PATH"]) / "manifest.json").read_text())
    models = {n["name"] for n in manifest["nodes"].values()
              if n["resource_type"] == "model" and n["package_name"] == "provincial_kpi"}
    assert models, "the dbt project has models"
    dag = dagbag.dags["kpi_build_warehouse"]
    model_tasks = {t.task_id.split(".")[-1].removesuffix("_model_build"): t.task_id
                   for t in dag.tasks if t.task_id.startswith("dbt.")}
    assert set(model_tasks) == models
    # Grouped by the model's folder: dbt.models.<layer>.<model>.
    assert {tid.split(".")[2] for tid in model_tasks.values()} <= {"staging", "intermediate", "marts"}
    # The marts asset is announced only after every model is built.
    announce = dag.get_task("announce_marts")
    assert announce.upstream_task_ids and set(announce.get_flat_relative_ids(upstream=True)) >= set(
        model_tasks.values())


def test_cosmos_telemetry_is_off_even_without_the_deployment_setting(airflow_env):
    """Parsing the build DAG switches cosmos telemetry off, even in a process that imported
    cosmos earlier with no opt-out in its environment (cosmos caches its settings at import)."""
    script = (
        "import json, cosmos.telemetry as t\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        "before = t.should_emit()\n"
        f"bag = DagBag({str(DAGS_DIR)!r})\n"
        "assert 'kpi_build_warehouse' in bag.dag_ids, bag.import_errors\n"
        "print(json.dumps([before, t.should_emit()]))\n"
    )
    opt_outs = {"DO_NOT_TRACK", "SCARF_NO_ANALYTICS", "AIRFLOW__COSMOS__ENABLE_TELEMETRY"}
    env = {k: v for k, v in {**os.environ, **airflow_env}.items() if k not in opt_outs}
    env["KPI_WAREHOUSE_URL"] = UNREACHABLE_URL
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=120, check=True)
    before, after = json.loads(out.stdout.strip().splitlines()[-1])
    assert before is True, "control: without an opt-out cosmos would report usage"
    assert after is False
