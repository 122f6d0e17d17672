"""
# Lock data entry before the briefing meetings, and snapshot

Data entry for a period is locked 3 days before the province's socio-economic briefing meeting
(Hội nghị giao ban), from 00:00 Asia/Ho_Chi_Minh on the lock date of the meeting calendar
(`reference.meeting_calendar.lock_date`). Runs daily just after midnight, Vietnam time, and
locks every meeting whose lock date has come and that is not yet locked, taking the snapshot the
meeting will use. A meeting already locked is left alone, so a rerun changes nothing, and a day
the scheduler missed is caught up by the next run.

A daily run rather than a timetable built from the calendar: a timetable would read the
warehouse inside the scheduler, and a calendar edited mid-year would change the schedule of runs
already planned. Calls `quality.lock.lock_due_meetings`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import CronTriggerTimetable, dag, task

from orchestration.common import START_DATE, TIMEZONE, default_args, run_time, worker_identity


@dag(
    dag_id="kpi_lock_periods",
    schedule=CronTriggerTimetable("5 0 * * *", timezone=TIMEZONE),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(execution_timeout=timedelta(minutes=15)),
    tags=["kpi", "lock", "quality"],
    doc_md=__doc__,
)
def kpi_lock_periods():
    @task
    def lock_due_meetings(**context) -> dict:
        """Lock and snapshot the meetings whose lock date has come."""
        from quality.lock import lock_due_meetings

        locked = lock_due_meetings(run_time(context))
        return {"locked": locked, **worker_identity()}

    lock_due_meetings()


kpi_lock_periods()
