-- Completeness of each indicator's expected submissions per province and base period.
-- Incremental by province x period (configured in dbt_project.yml), from the changed partitions
-- of fct_submission_status.
{%- set changed = changed_partitions() %}
with

status as (
    select * from {{ ref('fct_submission_status') }}
    where {{ in_changed_partitions(changed) }}
),

final as (
    select
        indicator_code,
        province_key,
        period_code,
        count(*)::integer as expected_submissions,
        (count(*) filter (where is_received))::integer as received_submissions,
        (count(*) filter (where is_on_time))::integer as on_time_submissions,
        round(100.0 * count(*) filter (where is_received) / count(*), 2) as received_pct,
        round(100.0 * count(*) filter (where is_on_time) / count(*), 2) as on_time_pct,
        max(last_file_processed_at) as last_file_processed_at
    from status
    group by indicator_code, province_key, period_code
)

select * from final
