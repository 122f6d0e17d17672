"""The alert job: plan what is due, write it to the alert log once, deliver what is pending.

Exactly once: an alert is a row per channel in ``alerting.alert_log`` keyed by (alert_key,
channel). Planning inserts with ``on conflict do nothing``, so a second run plans nothing new;
delivery locks the row (``for update skip locked``) in its own transaction, so two runs at once
never send the same row. A failed send stays in the log with its error and is retried after an
exponential back-off; an alert whose findings were all fixed before it went out is dropped.
"""

from __future__ import annotations

import logging
from collections import Counter
from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import TextIO

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from alerts.channels import SENDERS, DeliveryError
from alerts.config import AlertConfigError, AlertSettings, load_alert_settings
from alerts.render import Message, render
from alerts.schedule import PlannedAlert, as_local, focal_points, local_date, plan_alerts
from warehouse.database import connect

log = logging.getLogger(__name__)

COUNTS = ("planned", "sent", "skipped_already_sent", "dropped_fixed", "failed", "expired")
# Reminders and final warnings are about entering data before the lock: useless after it.
EXPIRES_AT_LOCK = ("reminder", "final_warning")

INSERT = """
insert into alerting.alert_log (
    alert_key, channel, kind, unit_code, province_key, lock_date, meeting_date,
    recipient_name, recipient, details, items, planned_at, next_attempt_at
)
values (
    %(alert_key)s, %(channel)s, %(kind)s, %(unit_code)s, %(province_key)s, %(lock_date)s,
    %(meeting_date)s, %(recipient_name)s, %(recipient)s, %(details)s, %(items)s, %(as_of)s, %(as_of)s
)
on conflict (alert_key, channel) do nothing
returning log_id
"""

DUE = """
select log_id from alerting.alert_log
where status in ('pending', 'failed') and next_attempt_at <= %(as_of)s
order by next_attempt_at, log_id
"""

CLAIM = """
select * from alerting.alert_log
where log_id = %(log_id)s and status in ('pending', 'failed') and next_attempt_at <= %(as_of)s
for update skip locked
"""


def backoff(attempts: int, settings: AlertSettings) -> timedelta:
    """Wait before the next try after `attempts` failures: doubling, capped."""
    minutes = settings.retry_base_minutes * 2 ** max(attempts - 1, 0)
    return timedelta(minutes=min(minutes, settings.retry_max_minutes))


def record_plan(conn: psycopg.Connection, alerts: list[PlannedAlert], channels: tuple[str, ...],
                as_of: datetime, counts: Counter) -> None:
    """Write each due alert to the log once per channel; count those already sent."""
    for alert in alerts:
        for channel in channels:
            params = {**vars(alert), "channel": channel, "as_of": as_of,
                      "items": Jsonb(alert.items), "details": Jsonb(alert.details)}
            if conn.execute(INSERT, params).fetchone():
                counts["planned"] += 1
                continue
            status = conn.execute(
                "select status from alerting.alert_log where alert_key = %s and channel = %s",
                (alert.alert_key, channel)).fetchone()[0]
            if status == "sent":
                counts["skipped_already_sent"] += 1


def _close(conn, log_id: int, status: str, **columns) -> None:
    assignments = ", ".join(f"{name} = %({name})s" for name in columns)
    conn.execute(f"update alerting.alert_log set status = %(status)s{', ' if columns else ''}{assignments}"
                 " where log_id = %(log_id)s", {"status": status, "log_id": log_id, **columns})


def _recipient(conn, row: dict, today) -> tuple[str | None, str | None, dict]:
    """The stored recipient, or the unit's focal point in force now when there was none."""
    if row["recipient"]:
        return row["recipient_name"], row["recipient"], row["details"]
    focal = focal_points(conn, today).get(row["unit_code"])
    if not focal:
        return None, None, row["details"]
    details = {**row["details"], "recipient_phone": focal["phone"]}
    details.setdefault("unit_name", focal["unit_name"])
    return focal["full_name"], focal["email"], details


def deliver_one(conn: psycopg.Connection, log_id: int, as_of: datetime, settings: AlertSettings,
                send) -> str | None:
    """Deliver one logged alert if it is still due; return what happened to it."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(CLAIM, {"log_id": log_id, "as_of": as_of}).fetchone()
    if row is None:
        return None  # another run has it, or it was handled meanwhile
    today = local_date(as_of)
    if row["kind"] in EXPIRES_AT_LOCK and today >= row["lock_date"]:
        _close(conn, log_id, "expired", last_error="not delivered before the lock date")
        return "expired"
    keys = [item["finding_key"] for item in row["items"]]
    still_open = {r[0] for r in conn.execute(
        "select finding_key from dq.finding where finding_key = any(%s) and resolved_at is null", (keys,))}
    items = [item for item in row["items"] if item["finding_key"] in still_open]
    if not items:
        _close(conn, log_id, "dropped", last_error="every finding was resolved before sending")
        return "dropped_fixed"
    name, address, details = _recipient(conn, row, today)
    attempts = row["attempts"] + 1
    try:
        if not address:
            raise DeliveryError(f"no focal point in force on {today} for unit {row['unit_code']}")
        message = render(alert_key=row["alert_key"], kind=row["kind"], recipient_name=name, recipient=address,
                         items=items, details=details, lock_date=row["lock_date"],
                         meeting_date=row["meeting_date"], today=today)
        message_id = send(row["channel"], message)
    except (OSError, DeliveryError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        log.warning("Alert %s by %s failed (attempt %d): %s", row["alert_key"], row["channel"], attempts, error)
        _close(conn, log_id, "failed", attempts=attempts, last_attempt_at=as_of, last_error=error,
               next_attempt_at=as_of + backoff(attempts, settings), recipient_name=name, recipient=address)
        return "failed"
    _close(conn, log_id, "sent", attempts=attempts, last_attempt_at=as_of, sent_at=as_of, last_error=None,
           message_id=message_id, items=Jsonb(items), recipient_name=name, recipient=address,
           details=Jsonb(details))
    return "sent"


def _printer(out: TextIO):
    def send(channel: str, message: Message) -> str:
        print(f"--- would send by {channel} to {message.recipient_name} <{message.recipient}>", file=out)
        print(f"Subject: {message.subject}", file=out)
        print(message.text, file=out)
        print(file=out)
        return "dry-run"
    return send


def _sender(settings: AlertSettings):
    def send(channel: str, message: Message) -> str:
        return SENDERS[channel](message, settings)
    return send


def _outer(conn: psycopg.Connection, dry_run: bool):
    # A dry run is one transaction rolled back at the end; otherwise each step commits on its own.
    return conn.transaction(force_rollback=True) if dry_run else nullcontext()


def run_alerts(as_of: datetime, *, dry_run: bool = False, url: str | None = None,
               settings: AlertSettings | None = None, out: TextIO | None = None) -> dict:
    """Plan and deliver the alerts due at as_of; return counts per outcome.

    With dry_run, everything is computed the same way and the messages are printed to `out`
    (stdout by default) instead of sent; the log is left unchanged.
    """
    settings = settings or load_alert_settings()
    channels = settings.channels
    if not channels:
        if not dry_run:
            raise AlertConfigError("no alert channel configured: set KPI_SMTP_HOST and/or KPI_WEBHOOK_URL")
        channels = ("email",)
    as_of = as_local(as_of)
    if dry_run:
        import sys

        send = _printer(out or sys.stdout)
    else:
        send = _sender(settings)
    counts: Counter = Counter({name: 0 for name in COUNTS})
    with connect(url, autocommit=True) as conn, _outer(conn, dry_run):
        with conn.transaction():
            record_plan(conn, plan_alerts(conn, as_of, settings), channels, as_of, counts)
        for (log_id,) in conn.execute(DUE, {"as_of": as_of}).fetchall():
            with conn.transaction():
                outcome = deliver_one(conn, log_id, as_of, settings, send)
            if outcome:
                counts[outcome] += 1
    result = dict(counts)
    log.info("Alerts at %s%s: %s", as_of.isoformat(), " (dry run)" if dry_run else "", result)
    return result


def resend(alert_key: str, as_of: datetime, *, channel: str | None = None, url: str | None = None) -> int:
    """Put a logged alert back in the queue (e.g. after fixing an address); return rows reset."""
    with connect(url) as conn:
        count = conn.execute(
            "update alerting.alert_log set status = 'pending', next_attempt_at = %(as_of)s"
            " where alert_key = %(key)s and (%(channel)s::text is null or channel = %(channel)s)",
            {"as_of": as_local(as_of), "key": alert_key, "channel": channel}).rowcount
        conn.commit()
    return count
