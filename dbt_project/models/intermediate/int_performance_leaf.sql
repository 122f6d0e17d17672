-- Incremental by province x year partitions (configured in dbt_project.yml).
-- Each reporting unit's own figures against its targets, one row per administrative unit,
-- indicator and period, with the quarterly carry-over (cộng dồn) of summed indicators:
--   adjusted target of Q1 = target of Q1;
--   shortfall of a quarter = adjusted target - actual, kept only when it is against the unit
--   (positive for higher-is-better, negative for lower-is-better: an excess over a cap lowers
--   the next cap); a quarter not reported counts as nothing achieved;
--   adjusted target of the next quarter = its target + that shortfall.
-- The carry-over stops at Q4 (it does not cross into the next plan year).
{%- set changed = changed_partitions() %}
with

actuals as (
    select * from {{ ref('int_leaf_actuals') }}
    where {{ in_changed_partitions(changed) }}
),

targets as (
    select * from {{ ref('int_leaf_targets') }}
    where {{ in_changed_partitions(changed) }}
),

indicators as (
    select * from {{ ref('stg_reference__indicators') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

joined as (
    select
        actuals.*,
        targets.period_target,
        targets.cumulative_target,
        targets.annual_target,
        indicators.direction,
        indicators.time_aggregation,
        periods.quarter_number
    from actuals
    inner join targets
        on
            actuals.reporting_unit_code = targets.reporting_unit_code
            and actuals.indicator_code = targets.indicator_code
            and actuals.period_code = targets.period_code
    inner join indicators on actuals.indicator_code = indicators.indicator_code
    inner join periods on actuals.period_code = periods.period_code
),

quarters as (
    select
        reporting_unit_code,
        indicator_code,
        period_year,
        min(direction) as direction,
        min(period_target) filter (where quarter_number = 1) as target_1,
        min(period_target) filter (where quarter_number = 2) as target_2,
        min(period_target) filter (where quarter_number = 3) as target_3,
        min(period_target) filter (where quarter_number = 4) as target_4,
        coalesce(min(actual_period) filter (where quarter_number = 1), 0) as actual_1,
        coalesce(min(actual_period) filter (where quarter_number = 2), 0) as actual_2,
        coalesce(min(actual_period) filter (where quarter_number = 3), 0) as actual_3
    from joined
    where time_aggregation = 'sum' and quarter_number is not null
    group by reporting_unit_code, indicator_code, period_year
),

carry_1 as (
    select
        quarters.*,
        {{ carry_over_shortfall('quarters.direction', 'quarters.target_1', 'quarters.actual_1') }} as carry_into_2
    from quarters
),

carry_2 as (
    select
        carry_1.*,
        {{ carry_over_shortfall(
            'carry_1.direction', '(carry_1.target_2 + carry_1.carry_into_2)', 'carry_1.actual_2'
        ) }} as carry_into_3
    from carry_1
),

carry_3 as (
    select
        carry_2.*,
        {{ carry_over_shortfall(
            'carry_2.direction', '(carry_2.target_3 + carry_2.carry_into_3)', 'carry_2.actual_3'
        ) }} as carry_into_4
    from carry_2
),

carry_over as (
    select
        carry_3.reporting_unit_code,
        carry_3.indicator_code,
        carry_3.period_year,
        quarter_carry.quarter_number,
        quarter_carry.carry_over_target
    from carry_3
    cross join lateral (
        values
        (1, 0::numeric),
        (2, carry_3.carry_into_2),
        (3, carry_3.carry_into_3),
        (4, carry_3.carry_into_4)
    ) as quarter_carry (quarter_number, carry_over_target)
),

final as (
    select
        joined.admin_unit_key,
        joined.indicator_code,
        joined.period_code,
        joined.period_year,
        joined.province_key,
        joined.reporting_unit_code,
        joined.actual_period,
        joined.actual_to_date,
        joined.period_target,
        carry_over.carry_over_target,
        joined.cumulative_target,
        joined.annual_target,
        joined.last_file_processed_at,
        1 as expected_units,
        case when joined.is_period_complete then 1 else 0 end as reported_units,
        case when joined.is_to_date_complete then 1 else 0 end as reported_units_to_date,
        case
            when carry_over.quarter_number is not null
                then joined.period_target + carry_over.carry_over_target
            else joined.period_target
        end as adjusted_period_target
    from joined
    left join carry_over
        on
            joined.reporting_unit_code = carry_over.reporting_unit_code
            and joined.indicator_code = carry_over.indicator_code
            and joined.period_year = carry_over.period_year
            and joined.quarter_number = carry_over.quarter_number
)

select * from final
