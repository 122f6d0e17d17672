"""Lock and snapshot: freeze, at each meeting's lock time, the values in force for that meeting.

Entry for a period locks at 00:00 (Asia/Ho_Chi_Minh) of its lock date, three days before the
briefing meeting (seed 004). The snapshot keeps, for every item the meeting reviews, the value
received before the lock (or none): later files stay in raw, marked late, and never touch it.
Because the cut is made on ``received_at``, a lock run late still freezes exactly what had
arrived before the lock. The units that must explain in person come from the snapshot.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

import psycopg
from psycopg.rows import dict_row

from warehouse.database import connect

log = logging.getLogger(__name__)

DUE_MEETINGS = """
    select calendar.province_key, calendar.meeting_date, calendar.reporting_period, calendar.lock_date,
           calendar.lock_date::timestamp at time zone 'Asia/Ho_Chi_Minh' as lock_at
    from reference.meeting_calendar as calendar
    where calendar.lock_date::timestamp at time zone 'Asia/Ho_Chi_Minh' <= %(as_of)s
      and not exists (select from snapshot.meeting_lock as locked
                      where locked.province_key = calendar.province_key
                        and locked.meeting_date = calendar.meeting_date)
    order by lock_at, calendar.province_key
"""

FREEZE_ITEMS = """
    create temp table lock_item on commit drop as
    with in_force as (
        select distinct on (v.unit_code, v.period_code, v.indicator_code)
            v.unit_code, v.period_code, v.indicator_code, v.value, v.file_id, v.received_at
        from raw.submission_value_version as v
        inner join reference.reporting_unit as unit on v.unit_code = unit.unit_code
        where unit.province_key = %(province_key)s and v.meeting_date = %(meeting_date)s
          and v.received_at < %(lock_at)s
        order by v.unit_code, v.period_code, v.indicator_code, v.version desc
    ),
    expected as (
        select unit_code, indicator_code, period_code
        from dq.expected_item
        where province_key = %(province_key)s and meeting_date = %(meeting_date)s
    )
    select coalesce(expected.unit_code, in_force.unit_code) as unit_code,
           coalesce(expected.indicator_code, in_force.indicator_code) as indicator_code,
           coalesce(expected.period_code, in_force.period_code) as period_code,
           expected.unit_code is not null as is_expected,
           in_force.value, in_force.file_id, in_force.received_at
    from expected
    full join in_force using (unit_code, indicator_code, period_code)
"""


def _freeze(conn: psycopg.Connection, meeting: dict, as_of: datetime) -> dict:
    conn.execute(FREEZE_ITEMS, meeting)
    expected, reported = conn.execute(
        "select count(*) filter (where is_expected),"
        " count(*) filter (where is_expected and value is not null) from lock_item"
    ).fetchone()
    inserted = conn.execute(
        """
        insert into snapshot.meeting_lock (province_key, meeting_date, reporting_period, lock_date,
                                           lock_at, frozen_at, expected_items, reported_items)
        values (%(province_key)s, %(meeting_date)s, %(reporting_period)s, %(lock_date)s,
                %(lock_at)s, %(frozen_at)s, %(expected)s, %(reported)s)
        on conflict do nothing
        """,
        {**meeting, "frozen_at": as_of, "expected": expected, "reported": reported},
    ).rowcount
    if inserted:
        conn.execute(
            """
            insert into snapshot.locked_item (province_key, meeting_date, unit_code, indicator_code,
                                              period_code, is_expected, value, file_id, received_at)
            select %(province_key)s, %(meeting_date)s, unit_code, indicator_code, period_code,
                   is_expected, value, file_id, received_at
            from lock_item
            """,
            meeting,
        )
    conn.execute("drop table lock_item")
    # ISO strings: the result travels as an Airflow XCom.
    return {"province_key": meeting["province_key"], "meeting_date": meeting["meeting_date"].isoformat(),
            "lock_date": meeting["lock_date"].isoformat(), "expected_items": expected, "reported_items": reported,
            "frozen": bool(inserted)}


def lock_due_meetings(as_of: datetime, *, url: str | None = None) -> list[dict]:
    """Freeze a snapshot for every meeting whose lock time has passed and that has none yet."""
    if as_of.tzinfo is None:
        raise ValueError(f"as_of {as_of.isoformat()} has no time zone; pass an aware datetime")
    frozen = []
    with connect(url) as conn:
        cursor = conn.cursor(row_factory=dict_row)
        for meeting in cursor.execute(DUE_MEETINGS, {"as_of": as_of}).fetchall():
            with conn.transaction():
                result = _freeze(conn, meeting, as_of)
            if result["frozen"]:
                log.info("Locked %s meeting %s: %s of %s items reported", meeting["province_key"],
                         meeting["meeting_date"], result["reported_items"], result["expected_items"])
                frozen.append(result)
    return frozen


def units_to_explain(meeting_date: date, *, province_key: str | None = None,
                     url: str | None = None) -> list[dict]:
    """Units with expected items missing from a meeting's snapshot (they explain in person)."""
    with connect(url) as conn:
        cursor = conn.cursor(row_factory=dict_row)
        locked = cursor.execute(
            "select province_key from snapshot.meeting_lock where meeting_date = %s"
            " and (%s::text is null or province_key = %s)",
            (meeting_date, province_key, province_key),
        ).fetchall()
        if not locked:
            raise LookupError(f"no snapshot for the meeting of {meeting_date}: it is not locked yet")
        return cursor.execute(
            """
            select item.province_key, item.unit_code, unit.unit_name, unit.unit_type,
                   count(*) filter (where item.value is null) as missing_items,
                   count(*) as expected_items,
                   jsonb_agg(jsonb_build_object('indicator_code', item.indicator_code,
                                                'period_code', item.period_code)
                             order by item.period_code, item.indicator_code)
                       filter (where item.value is null) as missing
            from snapshot.locked_item as item
            inner join reference.reporting_unit as unit on item.unit_code = unit.unit_code
            where item.meeting_date = %(meeting_date)s and item.is_expected
              and (%(province_key)s::text is null or item.province_key = %(province_key)s)
            group by item.province_key, item.unit_code, unit.unit_name, unit.unit_type
            having count(*) filter (where item.value is null) > 0
            order by item.province_key, missing_items desc, item.unit_code
            """,
            {"meeting_date": meeting_date, "province_key": province_key},
        ).fetchall()
