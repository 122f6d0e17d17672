"""The walking skeleton and the dbt build DAG, run with dag.test() on a real PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from tests.orchestration.conftest import load_dagbag


def dbt_models(target_path: str) -> dict[str, tuple[str, str]]:
    """Model name → (schema, relation name), from the manifest the DAG renders."""
    manifest = json.loads((Path(target_path) / "manifest.json").read_text(encoding="utf-8"))
    return {
        node["name"]: (node["schema"], node["alias"] or node["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["package_name"] == "provincial_kpi"
    }


def existing(conn: psycopg.Connection, relations) -> set[tuple[str, str]]:
    return {
        rel for rel in relations
        if conn.execute("select to_regclass(%s)", (f'"{rel[0]}"."{rel[1]}"',)).fetchone()[0]
    }


def task_states(run) -> dict[str, str]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.query(TaskInstance.task_id, TaskInstance.state).filter(
            TaskInstance.dag_id == run.dag_id, TaskInstance.run_id == run.run_id
        )
        return {task_id: str(state) for task_id, state in rows}


@pytest.mark.slow
def test_setup_then_per_model_build_on_a_real_warehouse(use_airflow, orchestration_warehouse,
                                                        monkeypatch):
    monkeypatch.setenv("KPI_WAREHOUSE_URL", orchestration_warehouse)
    bag = load_dagbag()
    assert bag.import_errors == {}
    models = dbt_models(use_airflow["DBT_TARGET_PATH"])

    # Walking skeleton: reference data, then one full dbt build.
    setup = bag.dags["kpi_setup_warehouse"].test()
    assert str(setup.state) == "success", task_states(setup)
    with psycopg.connect(orchestration_warehouse) as conn:
        provinces = conn.execute(
            "select count(*) from reference.admin_unit"
            " where hierarchy = 'post_2025' and admin_level = 'province'"
        ).fetchone()[0]
        assert provinces == 34
        assert conn.execute("select count(*) from reference.indicator").fetchone()[0] >= 25
        assert existing(conn, models.values()) == set(models.values())

        # Drop every model so that only the per-model tasks of the build DAG can bring them back.
        for schema in {schema for schema, _ in models.values()}:
            conn.execute(f'drop schema "{schema}" cascade')
        conn.commit()
        assert existing(conn, models.values()) == set()

    build = bag.dags["kpi_build_warehouse"].test()
    states = task_states(build)
    assert str(build.state) == "success", {t: s for t, s in states.items() if s != "success"}
    model_tasks = {t for t in states if t.startswith("dbt.")}
    assert len(model_tasks) == len(models)
    assert all(states[t] == "success" for t in model_tasks)
    assert states["announce_marts"] == "success"
    with psycopg.connect(orchestration_warehouse) as conn:
        assert existing(conn, models.values()) == set(models.values())
