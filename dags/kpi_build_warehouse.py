"""
# Build the warehouse with dbt

Runs when `kpi_ingest_submissions` has loaded new files (the `raw_submissions` asset), not on a
timer. One task per dbt model (its tests included), grouped by layer (staging, intermediate,
marts), rendered from `dbt_project/target/manifest.json` so this file parses without dbt or a
database. A model whose build fails fails its task and stops the models that depend on it.

When the build succeeds, updates the `marts` asset: that starts `kpi_quality_checks`.
Same as `kpi dbt build`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, task

from orchestration.common import MARTS, RAW_SUBMISSIONS, START_DATE, default_args
from orchestration.dbt import dbt_task_group


@dag(
    dag_id="kpi_build_warehouse",
    schedule=[RAW_SUBMISSIONS],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,  # two builds replacing the same tables would collide
    default_args=default_args(execution_timeout=timedelta(minutes=30), retries=2),
    tags=["kpi", "dbt"],
    doc_md=__doc__,
)
def kpi_build_warehouse():
    @task(outlets=[MARTS])
    def announce_marts() -> None:
        """Update the marts asset once every model is built."""

    dbt_task_group() >> announce_marts()


kpi_build_warehouse()
