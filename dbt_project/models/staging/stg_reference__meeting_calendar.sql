with

source as (
    select * from {{ source('reference', 'meeting_calendar') }}
),

renamed as (
    select
        province_key,
        meeting_date,
        reporting_period as reviewed_period_code,
        meeting_name,
        lock_days_before,
        lock_date
    from source
)

select * from renamed
