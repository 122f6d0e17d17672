-- Legacy → post-2025 unit lineage (one row per legacy and new unit pair).
with

lineage as (
    select * from {{ ref('stg_reference__admin_unit_lineage') }}
),

units as (
    select * from {{ ref('stg_reference__admin_units') }}
),

final as (
    select
        lineage.legacy_unit_key,
        lineage.new_unit_key,
        legacy.admin_level as legacy_admin_level,
        successor.admin_level as new_admin_level,
        lineage.is_primary,
        lineage.is_divided,
        lineage.effective_date
    from lineage
    inner join units as legacy on lineage.legacy_unit_key = legacy.admin_unit_key
    inner join units as successor on lineage.new_unit_key = successor.admin_unit_key
)

select * from final
