{#
  Roll performance rows of child units up to their parent (`parent_admin_unit_key` of the
  children relation), by each indicator's unit_aggregation:
    sum: actuals and targets add up;
    weighted_average: sum(value * weight) / sum(weight), the weight being the child's value of the
    weight indicator for the latest period of the same year ending on or before the period's end;
    none (and every rank): not rolled up, no row.
  Coverage: expected and reported units add up; a child without its weight counts as not
  reported. Incomplete is not a total: when some expected unit has not reported, the actual is
  null and only `reported_subtotal` (the aggregate over the units that did report) is given.
  Targets roll up only when every child has one.
#}
{% macro rollup_performance(children, indicators, periods) -%}
    {{ return(adapter.dispatch('rollup_performance')(children, indicators, periods)) }}
{%- endmacro %}

{% macro postgres__rollup_performance(children, indicators, periods) -%}
    with

    rollup_children as (
        select
            child.*,
            rule.unit_aggregation,
            rule.weight_indicator_code
        from {{ children }} as child
        inner join {{ indicators }} as rule on child.indicator_code = rule.indicator_code
        where rule.unit_aggregation in ('sum', 'weighted_average') and rule.time_aggregation != 'rank'
    ),

    rollup_weights as (
        select distinct on (child.admin_unit_key, child.indicator_code, child.period_code)
            child.admin_unit_key,
            child.indicator_code,
            child.period_code,
            weight.actual_to_date as weight_value
        from rollup_children as child
        inner join {{ periods }} as child_period on child.period_code = child_period.period_code
        inner join {{ children }} as weight
            on
                child.admin_unit_key = weight.admin_unit_key
                and child.weight_indicator_code = weight.indicator_code
                and child.period_year = weight.period_year
        inner join {{ periods }} as weight_period
            on
                weight.period_code = weight_period.period_code
                and weight_period.calendar_end <= child_period.calendar_end
        where child.unit_aggregation = 'weighted_average' and weight.actual_to_date is not null
        order by
            child.admin_unit_key,
            child.indicator_code,
            child.period_code,
            weight_period.calendar_end desc,
            weight_period.calendar_start desc
    ),

    rollup_weighted as (
        select
            child.*,
            case
                when child.unit_aggregation = 'sum' then 1
                else rollup_weights.weight_value
            end as weight_value,
            case
                when child.unit_aggregation = 'weighted_average' and rollup_weights.weight_value is null then 0
                else child.reported_units
            end as usable_reported_units,
            case
                when child.unit_aggregation = 'weighted_average' and rollup_weights.weight_value is null then 0
                else child.reported_units_to_date
            end as usable_reported_units_to_date
        from rollup_children as child
        left join rollup_weights
            on
                child.admin_unit_key = rollup_weights.admin_unit_key
                and child.indicator_code = rollup_weights.indicator_code
                and child.period_code = rollup_weights.period_code
    ),

    rollup_aggregated as (
        select
            parent_admin_unit_key as admin_unit_key,
            indicator_code,
            period_code,
            period_year,
            min(unit_aggregation) as unit_aggregation,
            sum(expected_units) as expected_units,
            sum(usable_reported_units) as reported_units,
            sum(usable_reported_units_to_date) as reported_units_to_date,
            count(*) as children,
            -- Weighted sums; for summed indicators every weight is 1.
            sum(actual_period * weight_value) as actual_period_sum,
            sum(weight_value) filter (where actual_period is not null) as actual_period_weight,
            sum(actual_to_date * weight_value) as actual_to_date_sum,
            sum(weight_value) filter (where actual_to_date is not null) as actual_to_date_weight,
            count(period_target * weight_value) as period_targets,
            sum(period_target * weight_value) as period_target_sum,
            sum(weight_value) filter (where period_target is not null) as period_target_weight,
            count(adjusted_period_target * weight_value) as adjusted_targets,
            sum(adjusted_period_target * weight_value) as adjusted_target_sum,
            sum(weight_value) filter (where adjusted_period_target is not null) as adjusted_target_weight,
            count(carry_over_target) as carry_overs,
            sum(carry_over_target) as carry_over_sum,
            count(cumulative_target * weight_value) as cumulative_targets,
            sum(cumulative_target * weight_value) as cumulative_target_sum,
            sum(weight_value) filter (where cumulative_target is not null) as cumulative_target_weight,
            count(annual_target * weight_value) as annual_targets,
            sum(annual_target * weight_value) as annual_target_sum,
            sum(weight_value) filter (where annual_target is not null) as annual_target_weight,
            max(last_file_processed_at) as last_file_processed_at
        from rollup_weighted
        group by parent_admin_unit_key, indicator_code, period_code, period_year
    )

    select
        admin_unit_key,
        indicator_code,
        period_code,
        period_year,
        expected_units,
        reported_units,
        reported_units_to_date,
        case
            when reported_units = expected_units
                then {{ _rollup_value('actual_period_sum', 'actual_period_weight') }}
        end as actual_period,
        case
            when reported_units_to_date = expected_units
                then {{ _rollup_value('actual_to_date_sum', 'actual_to_date_weight') }}
        end as actual_to_date,
        {{ _rollup_value('actual_period_sum', 'actual_period_weight') }} as reported_subtotal,
        case when period_targets = children then {{ _rollup_value('period_target_sum', 'period_target_weight') }} end
            as period_target,
        case when unit_aggregation = 'sum' and carry_overs = children then carry_over_sum end
            as carry_over_target,
        case when adjusted_targets = children then {{ _rollup_value('adjusted_target_sum', 'adjusted_target_weight') }} end
            as adjusted_period_target,
        case
            when cumulative_targets = children then {{ _rollup_value('cumulative_target_sum', 'cumulative_target_weight') }}
        end as cumulative_target,
        case when annual_targets = children then {{ _rollup_value('annual_target_sum', 'annual_target_weight') }} end
            as annual_target,
        last_file_processed_at
    from rollup_aggregated
{%- endmacro %}

{# Summed indicators add up; weighted ones divide by the weights. #}
{% macro _rollup_value(total, weights) -%}
    {#- trim_scale: a division leaves trailing zeros (67.5000000000000000). #}
    case when unit_aggregation = 'sum' then {{ total }} else trim_scale({{ total }} / nullif({{ weights }}, 0)) end
{%- endmacro %}

{# The leaf figures of the changed partitions, with each unit's level and parent: what a roll-up starts from. #}
{% macro leaf_rows_with_parent(changed) -%}
    select
        leaf.*,
        unit.admin_level,
        unit.parent_admin_unit_key
    from {{ ref('int_performance_leaf') }} as leaf
    inner join {{ ref('stg_reference__admin_units') }} as unit on leaf.admin_unit_key = unit.admin_unit_key
    where {{ in_changed_partitions(changed, 'leaf') }}
{%- endmacro %}

{# The columns a child row gives to rollup_performance. #}
{% macro rollup_child_columns(alias, parent_key) -%}
    {{ alias }}.admin_unit_key,
    {{ parent_key }} as parent_admin_unit_key,
    {{ alias }}.indicator_code,
    {{ alias }}.period_code,
    {{ alias }}.period_year,
    {{ alias }}.expected_units,
    {{ alias }}.reported_units,
    {{ alias }}.reported_units_to_date,
    {{ alias }}.actual_period,
    {{ alias }}.actual_to_date,
    {{ alias }}.period_target,
    {{ alias }}.carry_over_target,
    {{ alias }}.adjusted_period_target,
    {{ alias }}.cumulative_target,
    {{ alias }}.annual_target,
    {{ alias }}.last_file_processed_at
{%- endmacro %}

{#
  The figure of an administrative unit at a level: its own report where a unit of that level is
  assigned the indicator (value_source 'reported'), otherwise the roll-up of its children
  ('rolled_up'). `leaf` holds own reports with their admin_level; `rolled` the roll-ups.
#}
{% macro own_report_or_rollup(leaf, rolled, level) -%}
    {{ return(adapter.dispatch('own_report_or_rollup')(leaf, rolled, level)) }}
{%- endmacro %}

{% macro postgres__own_report_or_rollup(leaf, rolled, level) -%}
    with own as (
        select * from {{ leaf }}
        where admin_level = '{{ level }}'
    )

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
        unit.province_key,
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
    from {{ rolled }} as rolled
    inner join {{ ref('stg_reference__admin_units') }} as unit on rolled.admin_unit_key = unit.admin_unit_key
    where not exists (
        select from own
        where
            own.admin_unit_key = rolled.admin_unit_key
            and own.indicator_code = rolled.indicator_code
            and own.period_code = rolled.period_code
    )
{%- endmacro %}
