-- Completeness per province, administrative level of the reporting unit and base period.
-- Incremental by province x period (configured in dbt_project.yml), from the changed partitions
-- of fct_submission_status.
{%- set changed = changed_partitions() %}
with

status as (
    select * from {{ ref('fct_submission_status') }}
    where {{ in_changed_partitions(changed) }}
),

units as (
    select * from {{ ref('stg_reference__admin_units') }}
),

final as (
    select
        status.province_key,
        units.hierarchy,
        units.admin_level,
        status.period_code,
        count(*)::integer as expected_submissions,
        (count(*) filter (where status.is_received))::integer as received_submissions,
        (count(*) filter (where status.is_on_time))::integer as on_time_submissions,
        round(100.0 * count(*) filter (where status.is_received) / count(*), 2) as received_pct,
        round(100.0 * count(*) filter (where status.is_on_time) / count(*), 2) as on_time_pct,
        max(status.last_file_processed_at) as last_file_processed_at
    from status
    inner join units on status.admin_unit_key = units.admin_unit_key
    group by status.province_key, units.hierarchy, units.admin_level, status.period_code
)

select * from final
