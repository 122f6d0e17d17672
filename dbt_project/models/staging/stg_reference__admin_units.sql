with

source as (
    select * from {{ source('reference', 'admin_unit') }}
),

renamed as (
    select
        admin_unit_key,
        hierarchy,
        admin_level,
        official_code,
        name as admin_unit_name,
        short_name as admin_unit_short_name,
        division_type,
        parent_key as parent_admin_unit_key,
        province_key,
        valid_from,
        valid_to
    from source
)

select * from renamed
