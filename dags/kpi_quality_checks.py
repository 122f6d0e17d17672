"""
# Data-quality checks

Runs after each warehouse build (the `marts` asset). Checks completeness, timeliness and
consistency of the submissions as of the run's time and upserts the findings into `dq.finding`
(one row per finding key; findings no longer true are marked resolved), so a rerun changes
nothing.

Updates the `dq_findings` asset: that starts `kpi_alerts`.
Calls `quality.checks.run_quality_checks`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, task

from orchestration.common import (
    FINDINGS,
    MARTS,
    START_DATE,
    default_args,
    run_time,
    worker_identity,
)


@dag(
    dag_id="kpi_quality_checks",
    schedule=[MARTS],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(execution_timeout=timedelta(minutes=20)),
    tags=["kpi", "quality"],
    doc_md=__doc__,
)
def kpi_quality_checks():
    @task(outlets=[FINDINGS])
    def run_checks(**context) -> dict:
        """Run every check as of the run's time."""
        from quality.checks import run_quality_checks

        return {**run_quality_checks(run_time(context)), **worker_identity()}

    run_checks()


kpi_quality_checks()
