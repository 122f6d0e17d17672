-- Administrative units of both hierarchies with their parent, validity and primary successor.
with

units as (
    select * from {{ ref('stg_reference__admin_units') }}
),

successors as (
    -- A few island districts have a primary successor at two levels (a commune and the
    -- province): prefer the same level, then the closer one.
    select distinct on (lineage.legacy_unit_key)
        lineage.legacy_unit_key,
        lineage.new_unit_key
    from {{ ref('stg_reference__admin_unit_lineage') }} as lineage
    inner join {{ ref('stg_reference__admin_units') }} as legacy on lineage.legacy_unit_key = legacy.admin_unit_key
    inner join {{ ref('stg_reference__admin_units') }} as successor on lineage.new_unit_key = successor.admin_unit_key
    where lineage.is_primary
    order by
        lineage.legacy_unit_key asc,
        successor.admin_level = legacy.admin_level desc,
        successor.admin_level = 'commune' desc
),

final as (
    select
        units.admin_unit_key,
        units.hierarchy,
        units.admin_level,
        units.official_code,
        units.admin_unit_name,
        units.admin_unit_short_name,
        units.division_type,
        units.parent_admin_unit_key,
        parent.admin_unit_name as parent_admin_unit_name,
        units.province_key,
        province.admin_unit_name as province_name,
        units.valid_from,
        units.valid_to,
        successors.new_unit_key as primary_successor_key
    from units
    left join units as parent on units.parent_admin_unit_key = parent.admin_unit_key
    inner join units as province on units.province_key = province.admin_unit_key
    left join successors on units.admin_unit_key = successors.legacy_unit_key
)

select * from final
