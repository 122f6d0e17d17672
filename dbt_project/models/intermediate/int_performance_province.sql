-- Incremental by province x year partitions (configured in dbt_project.yml).
-- Province figures: the province's own report (its departments) where assigned, otherwise the
-- roll-up of its districts (legacy) or of its communes (post-2025).
{%- set changed = changed_partitions() %}
with

leaf as (
    {{ leaf_rows_with_parent(changed) }}
),

province_children as (
    select {{ rollup_child_columns('leaf', 'leaf.parent_admin_unit_key') }}
    from leaf
    inner join {{ ref('stg_reference__admin_units') }} as parent
        on leaf.parent_admin_unit_key = parent.admin_unit_key
    where parent.admin_level = 'province' and leaf.admin_level = 'commune'

    union all

    select {{ rollup_child_columns('district', 'unit.parent_admin_unit_key') }}
    from {{ ref('int_performance_district') }} as district
    inner join {{ ref('stg_reference__admin_units') }} as unit on district.admin_unit_key = unit.admin_unit_key
    where {{ in_changed_partitions(changed, 'district') }}
),

rolled as (
    {{ rollup_performance('province_children', ref('stg_reference__indicators'), ref('int_periods')) }}
),

final as (
    {{ own_report_or_rollup('leaf', 'rolled', 'province') }}
)

select * from final
