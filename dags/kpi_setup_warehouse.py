"""
# Set up the warehouse: reference data, then a full dbt build

Applies the warehouse DDL, reloads the reference files the data team edits (indicator
catalogue, meeting calendar, reporting units, focal points, assignments, targets) and the
administrative units, then runs one full `dbt build`. Nightly, and on demand after the
reference files change. Rerunning gives the same warehouse (the DDL is idempotent and the
reference tables are replaced as a whole).

Updates the `marts` asset, so the quality checks (and then the alerts) follow.
Same as `kpi load-reference` followed by `kpi dbt build`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import CronTriggerTimetable, dag, task

from orchestration.common import (
    MARTS,
    START_DATE,
    TIMEZONE,
    default_args,
    worker_identity,
)


@dag(
    dag_id="kpi_setup_warehouse",
    schedule=CronTriggerTimetable("0 1 * * *", timezone=TIMEZONE),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(execution_timeout=timedelta(minutes=30)),
    tags=["kpi", "reference", "dbt"],
    doc_md=__doc__,
)
def kpi_setup_warehouse():
    @task
    def load_reference() -> dict:
        """Create the tables and reload the reference data."""
        from warehouse.commands import setup_warehouse

        return {"rows": setup_warehouse(), **worker_identity()}

    @task(outlets=[MARTS])
    def dbt_build() -> dict:
        """Rebuild and test every dbt model: new reference data reaches every partition."""
        from warehouse.pipeline import build_warehouse

        return {**build_warehouse(full_refresh=True), **worker_identity()}

    load_reference() >> dbt_build()


kpi_setup_warehouse()
