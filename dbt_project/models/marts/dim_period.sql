-- Reporting periods: months, quarters, 6 months, 9 months and years.
with

periods as (
    select * from {{ ref('int_periods') }}
),

final as (
    select
        period_code,
        period_type,
        period_year,
        calendar_start,
        calendar_end,
        admin_cutoff_start,
        admin_cutoff_end,
        first_month,
        last_month,
        quarter_number,
        to_date_period_code,
        previous_year_period_code,
        is_mid_year
    from periods
)

select * from final
