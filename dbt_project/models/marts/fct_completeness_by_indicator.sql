-- Completeness of each indicator's expected submissions per province and base period.
with

status as (
    select * from {{ ref('fct_submission_status') }}
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
        round(100.0 * count(*) filter (where is_on_time) / count(*), 2) as on_time_pct
    from status
    group by indicator_code, province_key, period_code
)

select * from final
