"""Which alerts are due at a moment: the escalation schedule relative to each lock date.

For a lock date L (data entry closes at 00:00 local time on L) and its meeting M:

* from L - d for each reminder offset d (default 5): a reminder to each unit with missing,
  partial or stale items of the periods locked on L;
* from L - 1 (the final-warning offset): a final warning to the same units;
* from L to M: a summary to the planning office of the units that must explain in person at the
  meeting (giải trình tại Hội nghị giao ban), i.e. those still missing items at the lock.

Only the latest stage that has started is due, so a job that did not run on L - 5 sends one
reminder on L - 4, not two. An inconsistency finding is due to its unit as soon as it is open,
whatever the date. Everything is read from ``dq.finding`` (open = ``resolved_at is null``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import psycopg
from psycopg.rows import dict_row

from alerts.config import LOCAL_TIME, AlertSettings
from ingestion.templates import template_file_name
from warehouse.periods import InvalidPeriod, parse_period

# Findings about what a unit has not (fully, recently, timely) reported.
REMINDER_RULES = frozenset({"missing_submission", "partial_submission", "stale_submission"})
# Items with no information in the meeting report: the unit's head explains at the meeting.
SUMMARY_RULES = frozenset({"missing_submission", "partial_submission", "late_submission"})
COMPLETENESS_RULES = REMINDER_RULES | SUMMARY_RULES

KINDS = ("reminder", "final_warning", "lock_summary", "inconsistency")


@dataclass
class PlannedAlert:
    """One alert due now, before it is written to the log (one row per channel)."""

    alert_key: str
    kind: str
    unit_code: str | None
    province_key: str | None
    lock_date: date | None
    meeting_date: date | None
    recipient_name: str | None
    recipient: str | None
    items: list[dict]
    details: dict = field(default_factory=dict)


def local_date(moment: datetime) -> date:
    """The calendar date in Viet Nam at a moment (a naive moment is taken as local time)."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(LOCAL_TIME).date()


def as_local(moment: datetime) -> datetime:
    """Make a moment timezone-aware, reading a naive one as Viet Nam local time."""
    return moment.replace(tzinfo=LOCAL_TIME) if moment.tzinfo is None else moment


def stage_on(today: date, lock_date: date, meeting_date: date, settings: AlertSettings) -> str | None:
    """Name the escalation stage of a lock on a day: reminder_<d>d, final_warning, lock_summary."""
    if today >= lock_date:
        return "lock_summary" if today <= meeting_date else None
    starts = [(lock_date - timedelta(days=d), f"reminder_{d}d") for d in settings.reminder_days]
    starts.append((lock_date - timedelta(days=settings.final_warning_days), "final_warning"))
    started = [(start, name) for start, name in starts if start <= today]
    return max(started)[1] if started else None


PERIOD_WORDS = {"half_year": "6 tháng đầu năm {year}", "nine_months": "9 tháng năm {year}",
                "year": "năm {year}"}
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def period_label(code: str | None) -> str:
    """Say a period the way a Vietnamese report does: tháng 03/2026, quý I/2026, năm 2026."""
    if not code:
        return ""
    try:
        period = parse_period(code)
    except InvalidPeriod:
        return code
    if period.period_type == "month":
        return f"tháng {period.first_month:02d}/{period.year}"
    if period.period_type == "quarter":
        return f"quý {ROMAN[period.quarter]}/{period.year}"
    return PERIOD_WORDS[period.period_type].format(year=period.year)


OPEN_FINDINGS = """
select
    finding.finding_key,
    finding.rule,
    finding.severity,
    finding.unit_code,
    unit.unit_name,
    finding.indicator_code,
    indicator.name_vi as indicator_name,
    finding.period_code,
    coalesce(finding.province_key, unit.province_key) as province_key,
    finding.evidence,
    period_lock.lock_date,
    period_lock.meeting_date,
    calendar.meeting_name
from dq.finding as finding
left join reference.reporting_unit as unit on finding.unit_code = unit.unit_code
left join reference.indicator as indicator on finding.indicator_code = indicator.indicator_code
left join reference.period_lock as period_lock
    on coalesce(finding.province_key, unit.province_key) = period_lock.province_key
    and finding.period_code = period_lock.period_code
left join reference.meeting_calendar as calendar
    on period_lock.province_key = calendar.province_key
    and period_lock.meeting_date = calendar.meeting_date
where finding.resolved_at is null and finding.first_seen_at <= %(as_of)s
order by finding.unit_code, finding.period_code, finding.indicator_code, finding.rule, finding.finding_key
"""

FOCAL_POINTS = """
select distinct on (focal.unit_code)
    focal.unit_code, focal.full_name, focal.email, focal.phone, unit.unit_name
from reference.focal_point as focal
inner join reference.reporting_unit as unit on focal.unit_code = unit.unit_code
where focal.valid_from <= %(today)s
order by focal.unit_code, focal.valid_from desc
"""

LOCKS = """
select province_key, lock_date, meeting_date, meeting_name
from reference.meeting_calendar
where meeting_date >= %(today)s
order by province_key, lock_date, meeting_date
"""

COVERED = """
select candidate.finding_key
from unnest(%(keys)s::text[]) as candidate (finding_key)
where exists (
    select from alerting.alert_log as logged
    where logged.kind = 'inconsistency'
      and logged.items @> jsonb_build_array(jsonb_build_object('finding_key', candidate.finding_key))
)
"""


def focal_points(conn: psycopg.Connection, today: date) -> dict[str, dict]:
    """The focal point in force on a day for each unit (latest valid_from on or before it)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return {row["unit_code"]: row for row in cur.execute(FOCAL_POINTS, {"today": today})}


def _item(finding: dict) -> dict:
    return {
        "finding_key": finding["finding_key"],
        "rule": finding["rule"],
        "severity": finding["severity"],
        "unit_code": finding["unit_code"],
        "unit_name": finding["unit_name"],
        "indicator_code": finding["indicator_code"],
        "indicator_name": finding["indicator_name"],
        "period_code": finding["period_code"],
        "period_label": period_label(finding["period_code"]),
        "template_file": (template_file_name(finding["unit_code"], finding["period_code"])
                          if finding["unit_code"] and finding["period_code"] else None),
        "evidence": finding["evidence"] or {},
    }


def _contact(focal: dict | None) -> tuple[str | None, str | None, dict]:
    if not focal:
        return None, None, {}
    return focal["full_name"], focal["email"], {"recipient_phone": focal["phone"]}


def _by(rows, *keys):
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in keys), []).append(row)
    return groups


def _lock_alerts(findings, locks, today, settings, contacts) -> list[PlannedAlert]:
    """Reminders, final warnings and lock summaries for the locks whose stage has started."""
    alerts = []
    dated = _by([f for f in findings if f["lock_date"] and f["rule"] in COMPLETENESS_RULES],
                "province_key", "lock_date")
    # A unit-wide finding (stockpiling: no update for N days) has no period: it goes with every
    # reminder of its province's upcoming lock.
    undated = [f for f in findings if f["period_code"] is None and f["rule"] in REMINDER_RULES]
    for lock in locks:
        province, lock_date, meeting = lock["province_key"], lock["lock_date"], lock["meeting_date"]
        stage = stage_on(today, lock_date, meeting, settings)
        if stage is None:
            continue
        group = dated.get((province, lock_date), [])
        common = {"meeting_name": lock["meeting_name"], "stage": stage}
        if stage == "lock_summary":
            alerts += _summary(group, province, lock_date, meeting, common, settings, contacts)
            continue
        group = group + [f for f in undated if f["province_key"] == province]
        kind = "final_warning" if stage == "final_warning" else "reminder"
        for (unit,), unit_findings in sorted(_by(group, "unit_code").items(), key=lambda kv: str(kv[0])):
            items = [_item(f) for f in unit_findings if f["rule"] in REMINDER_RULES]
            if not items or unit is None:
                continue
            name, email, extra = _contact(contacts.get(unit))
            alerts.append(PlannedAlert(
                f"{stage}:{unit}:{lock_date}", kind, unit, province, lock_date, meeting, name, email, items,
                {**common, "unit_name": unit_findings[0]["unit_name"], **extra}))
    return alerts


def _summary(group, province, lock_date, meeting, common, settings, contacts) -> list[PlannedAlert]:
    """The list of units that must explain at the meeting, for the planning office."""
    items = [_item(f) for f in group if f["rule"] in SUMMARY_RULES]
    if not items:
        return []
    for item in items:
        focal = contacts.get(item["unit_code"]) or {}
        item["focal_point"] = {k: focal.get(k) for k in ("full_name", "email", "phone")}
    office = settings.planning_office_unit
    name, email, extra = _contact(contacts.get(office))
    return [PlannedAlert(
        f"lock_summary:{province}:{lock_date}", "lock_summary", office, province, lock_date, meeting,
        name, email, items, {**common, "unit_name": (contacts.get(office) or {}).get("unit_name"), **extra})]


def _inconsistency_alerts(conn, findings, settings, contacts) -> list[PlannedAlert]:
    """One alert per unit for its open inconsistency findings that no alert has covered yet."""
    candidates = [f for f in findings if f["rule"] not in COMPLETENESS_RULES
                  and f["severity"] in settings.inconsistency_severities]
    if not candidates:
        return []
    covered = {row[0] for row in conn.execute(COVERED, {"keys": [f["finding_key"] for f in candidates]})}
    alerts = []
    fresh = [f for f in candidates if f["finding_key"] not in covered]
    for (unit,), group in sorted(_by(fresh, "unit_code").items(), key=lambda kv: str(kv[0])):
        # A finding of no particular unit (e.g. a provincial roll-up) goes to the planning office.
        recipient_unit = unit or settings.planning_office_unit
        keys = sorted(f["finding_key"] for f in group)
        digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]
        name, email, extra = _contact(contacts.get(recipient_unit))
        alerts.append(PlannedAlert(
            f"inconsistency:{recipient_unit}:{digest}", "inconsistency", recipient_unit,
            group[0]["province_key"], None, None, name, email, [_item(f) for f in group],
            {"unit_name": group[0]["unit_name"] or (contacts.get(recipient_unit) or {}).get("unit_name"),
             "stage": "inconsistency", **extra}))
    return alerts


def plan_alerts(conn: psycopg.Connection, as_of: datetime, settings: AlertSettings) -> list[PlannedAlert]:
    """Every alert due at as_of according to the schedule and the open findings."""
    as_of = as_local(as_of)
    today = local_date(as_of)
    with conn.cursor(row_factory=dict_row) as cur:
        findings = cur.execute(OPEN_FINDINGS, {"as_of": as_of}).fetchall()
        locks = cur.execute(LOCKS, {"today": today}).fetchall()
    contacts = focal_points(conn, today)
    return _lock_alerts(findings, locks, today, settings, contacts) + _inconsistency_alerts(
        conn, findings, settings, contacts)
