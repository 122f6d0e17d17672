with

source as (
    select * from {{ source('reference', 'admin_unit_lineage') }}
),

renamed as (
    select
        legacy_unit_key,
        new_unit_key,
        is_primary,
        is_divided,
        effective_date
    from source
)

select * from renamed
