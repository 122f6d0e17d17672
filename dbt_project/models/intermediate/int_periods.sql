-- Reporting periods with the attributes the performance models need: months covered, the
-- cumulative (from January) period ending at the same date, and the same period a year earlier.
with

periods as (
    select * from {{ ref('stg_reference__reporting_periods') }}
),

months as (
    select
        periods.*,
        extract(month from periods.calendar_start)::integer as first_month,
        extract(month from periods.calendar_end)::integer as last_month
    from periods
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
        case when period_type = 'quarter' then last_month / 3 end as quarter_number,
        -- The period from 1 January to this period's end, when the calendar has a code for it.
        case
            when last_month = 12 then period_year::text
            when last_month = 9 then period_year || '-9M'
            when last_month = 6 then period_year || '-H1'
            when last_month = 3 then period_year || '-Q1'
            when last_month = 1 then period_year || '-01'
        end as to_date_period_code,
        case
            when period_type = 'year' then (period_year - 1)::text
            else (period_year - 1) || substr(period_code, 5)
        end as previous_year_period_code,
        last_month = 6 as is_mid_year
    from months
)

select * from final
