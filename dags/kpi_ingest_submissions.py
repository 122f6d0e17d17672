"""
# Ingest submissions from the landing folder

Every 15 minutes (and on demand), reads the files units dropped into the landing folder,
validates them, loads the good ones into `raw.*` and rejects the bad ones with the file, row,
column and value at fault. A file already loaded is not loaded again, so a rerun changes nothing.

When at least one file was loaded, updates the `raw_submissions` asset: that starts
`kpi_build_warehouse`. A run that found nothing new ends with `announce_new_data` skipped.
Calls `ingestion.intake.ingest_landing_folder`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import CronTriggerTimetable, dag, task

from orchestration.common import (
    RAW_SUBMISSIONS,
    START_DATE,
    TIMEZONE,
    default_args,
    run_time,
    worker_identity,
)


@dag(
    dag_id="kpi_ingest_submissions",
    schedule=CronTriggerTimetable("*/15 * * * *", timezone=TIMEZONE),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,  # two scans of one folder must not race for the same files
    default_args=default_args(execution_timeout=timedelta(minutes=20)),
    tags=["kpi", "ingestion"],
    doc_md=__doc__,
)
def kpi_ingest_submissions():
    @task
    def ingest(**context) -> dict:
        """Load the new files of the landing folder."""
        from ingestion.intake import ingest_landing_folder

        summary = ingest_landing_folder(processed_at=run_time(context))
        return {**summary.as_dict(), "new_data": bool(summary.loaded), **worker_identity()}

    @task(outlets=[RAW_SUBMISSIONS])
    def announce_new_data(summary: dict, **context) -> None:
        """Update the raw_submissions asset, only when something was loaded."""
        from airflow.sdk.exceptions import AirflowSkipException

        if not summary["new_data"]:
            # A skipped task emits no asset event: no rebuild for an empty scan.
            raise AirflowSkipException("no new file loaded")
        context["outlet_events"][RAW_SUBMISSIONS].extra = {
            "rows_loaded": summary.get("rows_loaded"),
        }

    announce_new_data(ingest())


kpi_ingest_submissions()
