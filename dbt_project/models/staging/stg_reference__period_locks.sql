with

source as (
    select * from {{ source('reference', 'period_lock') }}
),

renamed as (
    select
        province_key,
        period_code,
        meeting_date,
        lock_date
    from source
)

select * from renamed
