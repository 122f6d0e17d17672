-- Reference data loaded by `kpi load-reference`: administrative units (both hierarchies and the
-- 2025 lineage), the indicator catalogue, meeting calendar, reporting units, focal points,
-- assignments and targets. Every statement is idempotent.
create schema if not exists reference;

create table if not exists reference.admin_unit (
    admin_unit_key text primary key,
    hierarchy text not null check (hierarchy in ('pre_2025', 'post_2025')),
    admin_level text not null check (admin_level in ('province', 'district', 'commune')),
    official_code text not null,
    name text not null,
    short_name text not null,
    division_type text not null,
    parent_key text references reference.admin_unit (admin_unit_key),
    province_key text not null,
    valid_from date,
    valid_to date,
    source text not null,
    unique (hierarchy, admin_level, official_code)
);

create table if not exists reference.admin_unit_lineage (
    legacy_unit_key text not null references reference.admin_unit (admin_unit_key),
    new_unit_key text not null references reference.admin_unit (admin_unit_key),
    is_primary boolean not null,
    is_divided boolean not null,
    effective_date date not null,
    primary key (legacy_unit_key, new_unit_key)
);

create table if not exists reference.indicator (
    indicator_code text primary key,
    name_vi text not null,
    name_en text not null,
    unit_of_measure text not null,
    direction text not null check (direction in ('higher_is_better', 'lower_is_better')),
    value_kind text not null
    check (value_kind in ('count', 'money', 'quantity', 'percentage', 'rate', 'rank')),
    time_aggregation text not null
    check (time_aggregation in ('sum', 'last', 'weighted_average', 'rank')),
    unit_aggregation text not null check (unit_aggregation in ('sum', 'weighted_average', 'none')),
    weight_indicator_code text references reference.indicator (indicator_code)
    deferrable initially deferred,
    min_value numeric,
    max_value numeric,
    periodicity text not null check (periodicity in ('month', 'quarter', 'year')),
    admin_levels text[] not null,
    sector text not null
);

create table if not exists reference.reporting_period (
    period_code text primary key,
    period_type text not null
    check (period_type in ('month', 'quarter', 'half_year', 'nine_months', 'year')),
    period_year integer not null,
    calendar_start date not null,
    calendar_end date not null,
    admin_cutoff_start date not null,
    admin_cutoff_end date not null
);

create table if not exists reference.meeting_calendar (
    province_key text not null references reference.admin_unit (admin_unit_key),
    meeting_date date not null,
    reporting_period text not null references reference.reporting_period (period_code),
    meeting_name text not null,
    lock_days_before integer not null,
    lock_date date not null,
    primary key (province_key, meeting_date)
);

create table if not exists reference.reporting_unit (
    unit_code text primary key,
    unit_name text not null,
    unit_type text not null check (unit_type in ('department', 'district_office', 'commune')),
    admin_unit_key text not null references reference.admin_unit (admin_unit_key),
    province_key text not null references reference.admin_unit (admin_unit_key)
);

create table if not exists reference.focal_point (
    unit_code text not null references reference.reporting_unit (unit_code),
    full_name text not null,
    email text not null,
    phone text,
    valid_from date not null,
    primary key (unit_code, valid_from)
);

create table if not exists reference.assignment (
    unit_code text not null references reference.reporting_unit (unit_code),
    indicator_code text not null references reference.indicator (indicator_code),
    plan_year integer not null,
    annual_target numeric not null,
    decision_ref text,
    primary key (unit_code, indicator_code, plan_year)
);

create table if not exists reference.target (
    unit_code text not null,
    indicator_code text not null,
    plan_year integer not null,
    period_code text not null references reference.reporting_period (period_code),
    target_value numeric not null,
    decided_on date not null,
    decision_ref text,
    primary key (unit_code, indicator_code, period_code, decided_on),
    foreign key (unit_code, indicator_code, plan_year)
    references reference.assignment (unit_code, indicator_code, plan_year)
);
