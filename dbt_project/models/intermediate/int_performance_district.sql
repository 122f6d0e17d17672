-- Incremental by province x year partitions (configured in dbt_project.yml).
-- District figures (legacy hierarchy): the district's own report where it is assigned the
-- indicator, otherwise the roll-up of its communes. Only legacy provinces have districts, so only
-- their partitions are looked at (a post-2025-only warehouse has no district row to rebuild).
{%- set changed = changed_partitions(hierarchy='pre_2025') %}
with

leaf as (
    {{ leaf_rows_with_parent(changed) }}
),

district_children as (
    select {{ rollup_child_columns('leaf', 'leaf.parent_admin_unit_key') }}
    from leaf
    inner join {{ ref('stg_reference__admin_units') }} as parent
        on leaf.parent_admin_unit_key = parent.admin_unit_key
    where parent.admin_level = 'district'
),

rolled as (
    {{ rollup_performance('district_children', ref('stg_reference__indicators'), ref('int_periods')) }}
),

final as (
    {{ own_report_or_rollup('leaf', 'rolled', 'district') }}
)

select * from final
