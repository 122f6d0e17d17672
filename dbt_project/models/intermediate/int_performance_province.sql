-- Incremental by province x year partitions (configured in dbt_project.yml).
-- depends_on: {{ ref('int_partition_watermarks') }}
-- Province figures: the province's own report (its departments) where assigned, otherwise the
-- roll-up of its districts (legacy) or of its communes (post-2025).
with

leaf as (
    select
        leaf.*,
        unit.admin_level,
        unit.parent_admin_unit_key
    from {{ ref('int_performance_leaf') }} as leaf
    inner join {{ ref('stg_reference__admin_units') }} as unit on leaf.admin_unit_key = unit.admin_unit_key
    where {{ in_changed_partitions('leaf') }}
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
    where {{ in_changed_partitions('district') }}
),

rolled as (
    {{ rollup_performance('province_children', ref('stg_reference__indicators'), ref('int_periods')) }}
),

own as (
    select * from leaf
    where admin_level = 'province'
),

final as (
    select
        own.admin_unit_key,
        own.indicator_code,
        own.period_code,
        own.period_year,
        own.province_key,
        'reported' as value_source,
        own.reporting_unit_code,
        own.expected_units,
        own.reported_units,
        own.reported_units_to_date,
        own.actual_period,
        own.actual_to_date,
        own.actual_period as reported_subtotal,
        own.period_target,
        own.carry_over_target,
        own.adjusted_period_target,
        own.cumulative_target,
        own.annual_target,
        own.last_file_processed_at
    from own

    union all

    select
        rolled.admin_unit_key,
        rolled.indicator_code,
        rolled.period_code,
        rolled.period_year,
        province.province_key,
        'rolled_up' as value_source,
        null as reporting_unit_code,
        rolled.expected_units,
        rolled.reported_units,
        rolled.reported_units_to_date,
        rolled.actual_period,
        rolled.actual_to_date,
        rolled.reported_subtotal,
        rolled.period_target,
        rolled.carry_over_target,
        rolled.adjusted_period_target,
        rolled.cumulative_target,
        rolled.annual_target,
        rolled.last_file_processed_at
    from rolled
    inner join {{ ref('stg_reference__admin_units') }} as province on rolled.admin_unit_key = province.admin_unit_key
    where not exists (
        select from own
        where
            own.admin_unit_key = rolled.admin_unit_key
            and own.indicator_code = rolled.indicator_code
            and own.period_code = rolled.period_code
    )
)

select * from final
