-- Newest processed file per province and year; a year's figures also depend on the previous
-- year's (change on the same period), so its watermark is the newer of the two.
with

files as (
    select * from {{ ref('stg_raw__submission_files') }}
    where file_status = 'loaded'
),

units as (
    select * from {{ ref('stg_reference__reporting_units') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

per_year as (
    select
        units.province_key,
        periods.period_year,
        max(files.processed_at) as processed_at
    from files
    inner join units on files.reporting_unit_code = units.reporting_unit_code
    inner join periods on files.period_code = periods.period_code
    group by units.province_key, periods.period_year
),

final as (
    select
        coalesce(this_year.province_key, last_year.province_key) as province_key,
        coalesce(this_year.period_year, last_year.period_year + 1) as period_year,
        greatest(this_year.processed_at, last_year.processed_at) as last_file_processed_at
    from per_year as this_year
    full outer join per_year as last_year
        on
            this_year.province_key = last_year.province_key
            and this_year.period_year = last_year.period_year + 1
)

select * from final
