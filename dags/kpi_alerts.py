"""
# Alerts to focal points and leaders

Every morning, and after each quality run (the `dq_findings` asset), sends the reminders and
escalations that are due as of the run's time: to the focal point (đầu mối) of each unit with
missing or inconsistent figures, then up the escalation ladder as the lock date nears. Every
alert is logged in `alerting.alert_log` and an alert already sent is not sent again, so a rerun
sends nothing twice. Trigger with `{"dry_run": true}` to see what would be sent.
Calls `alerts.dispatch.run_alerts`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, Param, dag, task

from orchestration.common import (
    FINDINGS,
    START_DATE,
    TIMEZONE,
    default_args,
    run_time,
    worker_identity,
)


@dag(
    dag_id="kpi_alerts",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("30 7 * * *", timezone=TIMEZONE),
        assets=[FINDINGS],
    ),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,  # two runs could both see an alert as unsent
    default_args=default_args(execution_timeout=timedelta(minutes=15)),
    params={"dry_run": Param(False, type="boolean", description="report, do not send")},
    tags=["kpi", "alerts"],
    doc_md=__doc__,
)
def kpi_alerts():
    @task
    def send_alerts(**context) -> dict:
        """Send the alerts due as of the run's time."""
        from alerts.dispatch import run_alerts

        as_of = run_time(context)
        result = run_alerts(as_of, dry_run=bool(context["params"]["dry_run"]))
        return {**result, **worker_identity()}

    send_alerts()


kpi_alerts()
