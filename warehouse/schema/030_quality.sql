-- Data-quality findings: every check writes here; alerts and the briefing pack read from here.
-- A finding fixed by a resubmission is marked resolved, never deleted.
create schema if not exists dq;

create table if not exists dq.finding (
    finding_id bigint generated always as identity primary key,
    finding_key text not null unique,
    rule text not null,
    severity text not null check (severity in ('error', 'warning', 'info')),
    unit_code text,
    indicator_code text,
    period_code text,
    province_key text,
    evidence jsonb not null default '{}'::jsonb,
    first_seen_at timestamptz not null,
    last_seen_at timestamptz not null,
    resolved_at timestamptz
);

create index if not exists finding_open on dq.finding (unit_code) where resolved_at is null;

-- What each unit must report, and the lock that closes it: one row per target period of a unit
-- (targets are broken down by month or quarter; a revised target does not add an item).
create or replace view dq.expected_item as
select distinct
    target.unit_code,
    reporting_unit.province_key,
    reporting_unit.admin_unit_key,
    admin_unit.admin_level,
    target.indicator_code,
    target.period_code,
    period_lock.meeting_date,
    period_lock.lock_date,
    (period_lock.lock_date::timestamp at time zone 'Asia/Ho_Chi_Minh') as lock_at
from reference.target
inner join reference.reporting_unit on target.unit_code = reporting_unit.unit_code
inner join reference.admin_unit on reporting_unit.admin_unit_key = admin_unit.admin_unit_key
inner join reference.period_lock
    on
        reporting_unit.province_key = period_lock.province_key
        and target.period_code = period_lock.period_code;

-- Lock and snapshot: at each lock time the values in force are frozen per briefing meeting.
-- Rows are written once by `kpi lock` and never updated: later submissions stay in raw only.
create schema if not exists snapshot;

create table if not exists snapshot.meeting_lock (
    province_key text not null,
    meeting_date date not null,
    reporting_period text not null,
    lock_date date not null,
    lock_at timestamptz not null,
    frozen_at timestamptz not null,
    expected_items integer not null,
    reported_items integer not null,
    primary key (province_key, meeting_date)
);

create table if not exists snapshot.locked_item (
    province_key text not null,
    meeting_date date not null,
    unit_code text not null,
    indicator_code text not null,
    period_code text not null,
    is_expected boolean not null,
    value numeric,
    file_id bigint,
    received_at timestamptz,
    primary key (province_key, meeting_date, unit_code, indicator_code, period_code),
    foreign key (province_key, meeting_date) references snapshot.meeting_lock (province_key, meeting_date)
);

-- Values "as locked" for a meeting: what the briefing pack and marts show for that meeting.
create or replace function snapshot.values_as_locked(p_meeting_date date, p_province_key text default null)
returns table (
    province_key text,
    meeting_date date,
    unit_code text,
    indicator_code text,
    period_code text,
    value numeric,
    file_id bigint,
    received_at timestamptz
)
language sql stable as $$
    select
        item.province_key,
        item.meeting_date,
        item.unit_code,
        item.indicator_code,
        item.period_code,
        item.value,
        item.file_id,
        item.received_at
    from snapshot.locked_item as item
    where
        item.meeting_date = p_meeting_date
        and (p_province_key is null or item.province_key = p_province_key)
        and item.value is not null
$$;
