-- Focal-point contact details live in reference.focal_point and are deliberately not staged.
with

source as (
    select * from {{ source('reference', 'reporting_unit') }}
),

renamed as (
    select
        unit_code as reporting_unit_code,
        unit_name as reporting_unit_name,
        unit_type as reporting_unit_type,
        admin_unit_key,
        province_key
    from source
)

select * from renamed
