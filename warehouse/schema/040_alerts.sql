-- Alert log: one row per alert and channel. The unique (alert_key, channel) makes delivery
-- exactly-once: planning inserts with `on conflict do nothing`, sending locks the row, and a
-- row that is sent, dropped (its findings were fixed) or expired is never picked up again.
create schema if not exists alerting;

create table if not exists alerting.alert_log (
    log_id bigint generated always as identity primary key,
    alert_key text not null,
    channel text not null check (channel in ('email', 'webhook')),
    kind text not null
    check (kind in ('reminder', 'final_warning', 'lock_summary', 'inconsistency')),
    unit_code text,
    province_key text,
    lock_date date,
    meeting_date date,
    recipient_name text,
    recipient text,
    -- What the message needs besides its items: unit name, meeting name, phone, stage.
    details jsonb not null default '{}'::jsonb,
    -- The findings the alert is about (finding_key, rule, indicator, period, template, ...);
    -- after sending, only those that were still open and listed in the message.
    items jsonb not null,
    status text not null default 'pending'
    check (status in ('pending', 'sent', 'failed', 'dropped', 'expired')),
    attempts integer not null default 0,
    planned_at timestamptz not null,
    last_attempt_at timestamptz,
    next_attempt_at timestamptz not null,
    sent_at timestamptz,
    last_error text,
    message_id text,
    unique (alert_key, channel)
);

create index if not exists alert_log_due
on alerting.alert_log (next_attempt_at) where status in ('pending', 'failed');

-- Finds the alerts that already cover a finding (items @> '[{"finding_key": ...}]').
create index if not exists alert_log_items on alerting.alert_log using gin (items jsonb_path_ops);
