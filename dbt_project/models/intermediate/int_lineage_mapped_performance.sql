-- Incremental by province x year partitions of the successors (configured in dbt_project.yml):
-- a legacy partition with new files rebuilds the partitions it moves onto, from every legacy
-- partition that moves onto them.
-- Legacy (pre-2025) figures moved onto the post-2025 unit that succeeded them at the same level
-- (commune → commune, province → province) through the primary lineage, aggregated by each
-- indicator's unit rule, so a new unit has a series before 1 July 2025. A legacy unit divided
-- between several new units goes whole to its primary successor.
{%- set changed = changed_partitions(lineage=true) %}
with

legacy as (
    select * from {{ ref('int_performance_all') }}
    where hierarchy = 'pre_2025' and {{ in_partitions(none if changed is none else changed['predecessors']) }}
),

lineage as (
    select * from {{ ref('stg_reference__admin_unit_lineage') }}
    where is_primary
),

units as (
    select * from {{ ref('stg_reference__admin_units') }}
),

mapped_children as (
    select {{ rollup_child_columns('legacy', 'lineage.new_unit_key') }}
    from legacy
    inner join lineage on legacy.admin_unit_key = lineage.legacy_unit_key
    inner join units as successor on lineage.new_unit_key = successor.admin_unit_key
    where
        successor.admin_level = legacy.admin_level
        and {{ partition_filter(
            'successor.province_key', 'legacy.period_year', none if changed is none else changed['successors']
        ) }}
),

mapped as (
    {{ rollup_performance('mapped_children', ref('stg_reference__indicators'), ref('int_periods')) }}
),

legacy_units as (
    select
        mapped_children.parent_admin_unit_key as admin_unit_key,
        mapped_children.indicator_code,
        mapped_children.period_code,
        count(*) as legacy_unit_count
    from mapped_children
    group by mapped_children.parent_admin_unit_key, mapped_children.indicator_code, mapped_children.period_code
),

final as (
    select
        mapped.*,
        successor.province_key,
        legacy_units.legacy_unit_count
    from mapped
    inner join legacy_units
        on
            mapped.admin_unit_key = legacy_units.admin_unit_key
            and mapped.indicator_code = legacy_units.indicator_code
            and mapped.period_code = legacy_units.period_code
    inner join units as successor on mapped.admin_unit_key = successor.admin_unit_key
)

select * from final
