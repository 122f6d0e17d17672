-- Intake: every file received (loaded or rejected) and the values of loaded files. Append-only:
-- a resubmission is a new file, a new version; nothing here is ever updated in place except a
-- file's status row written once by the loader.
create schema if not exists raw;

-- The lock that applies to a submission period: the first briefing meeting of the unit's
-- province whose reviewed period ends on or after the submission period's end.
create or replace view reference.period_lock as
select distinct on (calendar.province_key, submitted.period_code)
    calendar.province_key,
    submitted.period_code,
    calendar.meeting_date,
    calendar.lock_date
from reference.reporting_period as submitted
inner join reference.meeting_calendar as calendar on true
inner join reference.reporting_period as reviewed
    on calendar.reporting_period = reviewed.period_code
where
    submitted.period_type in ('month', 'quarter', 'year')
    and reviewed.calendar_end >= submitted.calendar_end
order by calendar.province_key asc, submitted.period_code asc, calendar.meeting_date asc;

create table if not exists raw.submission_file (
    file_id bigint generated always as identity primary key,
    file_name text not null,
    sha256 text not null unique,
    file_format text not null check (file_format in ('csv', 'xlsx', 'unknown')),
    size_bytes bigint not null,
    received_at timestamptz not null,
    processed_at timestamptz not null,
    status text not null check (status in ('loaded', 'rejected')),
    unit_code text,
    period_code text,
    template_version text,
    focal_point_email text,
    row_count integer not null default 0,
    problem_count integer not null default 0,
    is_late boolean,
    report jsonb not null default '[]'::jsonb
);

create index if not exists submission_file_unit_period
on raw.submission_file (unit_code, period_code, received_at);

create table if not exists raw.submission_value (
    file_id bigint not null references raw.submission_file (file_id),
    source_row integer not null,
    unit_code text not null,
    period_code text not null,
    indicator_code text not null,
    value numeric not null,
    note text,
    primary key (file_id, source_row)
);

-- Every loaded value with its file lineage, its version among the values of the same unit,
-- period and indicator, and whether it arrived on or after the lock date of its period.
create or replace view raw.submission_value_version as
select
    submission_file.file_id,
    submission_file.file_name,
    submission_file.sha256,
    submission_file.received_at,
    submission_file.processed_at,
    submission_file.template_version,
    submission_file.focal_point_email,
    submission_value.source_row,
    submission_value.unit_code,
    submission_value.period_code,
    submission_value.indicator_code,
    submission_value.value,
    submission_value.note,
    period_lock.meeting_date,
    period_lock.lock_date,
    row_number() over (
        partition by submission_value.unit_code, submission_value.period_code, submission_value.indicator_code
        order by submission_file.received_at, submission_file.file_id
    ) as version,
    coalesce(
        submission_file.received_at >= (period_lock.lock_date::timestamp at time zone 'Asia/Ho_Chi_Minh'),
        false
    ) as is_late
from raw.submission_value
inner join raw.submission_file on submission_value.file_id = submission_file.file_id
left join reference.reporting_unit on submission_value.unit_code = reporting_unit.unit_code
left join reference.period_lock
    on
        reporting_unit.province_key = period_lock.province_key
        and submission_value.period_code = period_lock.period_code
where submission_file.status = 'loaded';

-- The value in force: the latest version received before the lock of its period.
create or replace view raw.current_submission_value as
select distinct on (unit_code, period_code, indicator_code)
    file_id,
    file_name,
    sha256,
    received_at,
    processed_at,
    template_version,
    focal_point_email,
    source_row,
    unit_code,
    period_code,
    indicator_code,
    value,
    note,
    meeting_date,
    lock_date,
    version,
    is_late
from raw.submission_value_version
where not is_late
order by unit_code asc, period_code asc, indicator_code asc, version desc;

-- Added by the intake (ingestion/), as idempotent migrations of the tables above.
-- warning_count: findings that did not reject the file (after_lock, note_without_value).
-- stored_path: where the file was moved (<landing>/processed or <landing>/rejected).
-- value_text: the text a person typed in a spreadsheet cell (e.g. 1.784,4) when it was not a number.
alter table raw.submission_file add column if not exists warning_count integer not null default 0;
alter table raw.submission_file add column if not exists stored_path text;
alter table raw.submission_value add column if not exists value_text text;

comment on column raw.submission_file.report is
'Every problem found in the file: a list of {file, sheet, row, column, value, rule, message, severity}.';
comment on column raw.submission_file.is_late is
'Received on or after the lock date of its period (00:00 Asia/Ho_Chi_Minh); null when unknown.';
comment on column raw.submission_value.value_text is
'The value as typed when a spreadsheet cell held text (Vietnamese convention), else null.';
