-- Incremental by province x year partitions (configured in dbt_project.yml).
-- Every submission an assignment expects: one per reporting unit, indicator and base period of
-- the plan year (months, quarters or the year, by the indicator's periodicity).
{%- set changed = changed_partitions() %}
with

assignments as (
    select * from {{ ref('stg_reference__assignments') }}
),

units as (
    select * from {{ ref('stg_reference__reporting_units') }}
),

indicators as (
    select * from {{ ref('stg_reference__indicators') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

watermarks as (
    {{ partition_watermarks(changed) }}
),

final as (
    select
        assignments.reporting_unit_code,
        units.admin_unit_key,
        units.province_key,
        assignments.indicator_code,
        assignments.plan_year as period_year,
        periods.period_code,
        periods.calendar_start,
        periods.calendar_end,
        watermarks.last_file_processed_at
    from assignments
    inner join units on assignments.reporting_unit_code = units.reporting_unit_code
    inner join indicators on assignments.indicator_code = indicators.indicator_code
    inner join periods
        on
            assignments.plan_year = periods.period_year
            and indicators.periodicity = periods.period_type
    left join watermarks
        on
            units.province_key = watermarks.province_key
            and assignments.plan_year = watermarks.period_year
)

select * from final
where {{ in_changed_partitions(changed) }}
