with

source as (
    select * from {{ source('raw', 'current_submission_value') }}
),

renamed as (
    select
        file_id,
        received_at,
        processed_at,
        unit_code as reporting_unit_code,
        period_code,
        indicator_code,
        value,
        version,
        lock_date
    from source
)

select * from renamed
