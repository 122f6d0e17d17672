-- Focal-point e-mail of the file is left out: contact details stay out of the models.
with

source as (
    select * from {{ source('raw', 'submission_value_version') }}
),

renamed as (
    select
        file_id,
        file_name,
        received_at,
        processed_at,
        source_row,
        unit_code as reporting_unit_code,
        period_code,
        indicator_code,
        value,
        note,
        meeting_date,
        lock_date,
        version,
        is_late
    from source
)

select * from renamed
