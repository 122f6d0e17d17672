-- Performance rows of every level: communes (own reports), districts and provinces (own
-- reports or roll-ups), with the unit's place in its hierarchy.
with

communes as (
    select
        leaf.admin_unit_key,
        leaf.indicator_code,
        leaf.period_code,
        leaf.period_year,
        leaf.province_key,
        'reported' as value_source,
        leaf.reporting_unit_code,
        leaf.expected_units,
        leaf.reported_units,
        leaf.reported_units_to_date,
        leaf.actual_period,
        leaf.actual_to_date,
        leaf.actual_period as reported_subtotal,
        leaf.period_target,
        leaf.carry_over_target,
        leaf.adjusted_period_target,
        leaf.cumulative_target,
        leaf.annual_target,
        leaf.last_file_processed_at
    from {{ ref('int_performance_leaf') }} as leaf
    inner join {{ ref('stg_reference__admin_units') }} as unit on leaf.admin_unit_key = unit.admin_unit_key
    where unit.admin_level = 'commune'
),

unioned as (
    select * from communes
    union all
    select * from {{ ref('int_performance_district') }}
    union all
    select * from {{ ref('int_performance_province') }}
),

final as (
    select
        unioned.*,
        unit.hierarchy,
        unit.admin_level
    from unioned
    inner join {{ ref('stg_reference__admin_units') }} as unit on unioned.admin_unit_key = unit.admin_unit_key
)

select * from final  -- noqa: AM04
