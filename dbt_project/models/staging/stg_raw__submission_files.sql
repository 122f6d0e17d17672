with

source as (
    select * from {{ source('raw', 'submission_file') }}
),

renamed as (
    select
        file_id,
        file_name,
        file_format,
        received_at,
        processed_at,
        status as file_status,
        unit_code as reporting_unit_code,
        period_code,
        template_version,
        row_count,
        problem_count,
        is_late
    from source
)

select * from renamed
