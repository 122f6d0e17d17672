with

source as (
    select * from {{ source('reference', 'reporting_period') }}
),

renamed as (
    select
        period_code,
        period_type,
        period_year,
        calendar_start,
        calendar_end,
        admin_cutoff_start,
        admin_cutoff_end
    from source
)

select * from renamed
