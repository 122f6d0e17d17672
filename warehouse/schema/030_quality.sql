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
