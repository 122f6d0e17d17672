"""DAG defaults, the assets that chain the DAGs, and helpers every task uses."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import Asset

TIMEZONE = "Asia/Ho_Chi_Minh"
# A fixed date in the past: with catchup=False only the latest interval runs.
START_DATE = datetime(2026, 1, 1, tzinfo=UTC)

OWNER = "kpi-data-team"
# Tags a DAG may carry; the integrity test rejects any other, so the UI filters stay meaningful.
APPROVED_TAGS = frozenset(
    {"kpi", "ingestion", "dbt", "reference", "quality", "alerts", "lock"}
)

# Assets chain the DAGs: each is updated by the task that changed the data, and the next DAG
# runs when it is updated, so the warehouse is rebuilt only when something was loaded.
RAW_SUBMISSIONS = Asset(name="raw_submissions", uri="kpi://warehouse/raw/submission_value")
MARTS = Asset(name="marts", uri="kpi://warehouse/marts")
FINDINGS = Asset(name="dq_findings", uri="kpi://warehouse/dq/finding")


def default_args(execution_timeout: timedelta, retries: int = 3) -> dict[str, Any]:
    """Task defaults: retries with exponential back-off and a hard time limit."""
    return {
        "owner": OWNER,
        "retries": retries,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=30),
        "execution_timeout": execution_timeout,
    }


def run_time(context: dict[str, Any]) -> datetime:
    """Return the moment this run stands for (never the wall clock), as an aware UTC datetime.

    Timed runs have a data interval; asset-triggered and manual runs may have no logical date
    in Airflow 3 but always have ``run_after``. A retry gets the same value, so tasks that take
    it as their ``as_of`` give the same result when rerun.
    """
    moment = (
        context.get("data_interval_end")
        or context.get("logical_date")
        or context["dag_run"].run_after
    )
    return datetime.fromtimestamp(moment.timestamp(), tz=UTC)


def worker_identity() -> dict[str, Any]:
    """Say where a task ran (host, process, the worker's name when one is set)."""
    return {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "worker": os.environ.get("KPI_WORKER_NAME"),
    }
