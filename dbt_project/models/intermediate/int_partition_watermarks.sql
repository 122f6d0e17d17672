-- Newest processed file per province and year. A year's figures also depend on the previous
-- year's (change on the same period), and a legacy province's on its post-2025 successor's
-- (the legacy series moved through the lineage): each partition's watermark is the newest
-- file of everything that feeds it.
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

succession as (
    {{ province_succession(ref('stg_reference__admin_unit_lineage'), ref('stg_reference__admin_units')) }}
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

feeds as (
    select
        province_key,
        period_year,
        processed_at
    from per_year
    union all
    select
        province_key,
        period_year + 1 as period_year,
        processed_at
    from per_year
    union all
    -- The successor's series (same year) and its change on last year (the year after).
    select
        succession.province_key,
        per_year.period_year + shift.years as period_year,
        per_year.processed_at
    from per_year
    inner join succession on per_year.province_key = succession.legacy_province_key
    cross join (values (0), (1)) as shift (years)
),

final as (
    select
        province_key,
        period_year,
        max(processed_at) as last_file_processed_at
    from feeds
    group by province_key, period_year
)

select * from final
