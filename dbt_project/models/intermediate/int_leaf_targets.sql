-- Incremental by province x year partitions (configured in dbt_project.yml).
-- Rebuilt by the same province x year partitions as the actuals, so that an incremental run after
-- new files does not recompute every target (reference changes need --full-refresh, as for all
-- incremental models).
-- Targets of each reporting unit's own figure for every period of the plan year.
-- The target in force for a period is the latest decided one. A period without its own target
-- takes, for summed indicators, the total of its base-period targets (or of its quarters'
-- targets for 6 months, 9 months and the year) when every one is set; the year falls back to
-- the annual target of the assignment; other indicators take the target of the shortest period
-- ending on the same day (a level to reach at that date). The cumulative target is the target of the period from
-- 1 January to the period's end (for summed indicators, the total of the month targets when the
-- calendar has no such period); for other indicators it is the period's own target.
{%- set changed = changed_partitions() %}
with

expected as (
    select * from {{ ref('int_expected_submissions') }}
    where {{ in_changed_partitions(changed) }}
),

watermarks as (
    {{ partition_watermarks(changed) }}
),

assignments as (
    select * from {{ ref('stg_reference__assignments') }}
),

indicators as (
    select * from {{ ref('stg_reference__indicators') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

targets_in_force as (
    select distinct on (reporting_unit_code, indicator_code, period_code)
        reporting_unit_code,
        indicator_code,
        period_code,
        target_value
    from {{ ref('stg_reference__targets') }}
    where {{ in_changed_units_and_periods(changed) }}
    order by reporting_unit_code asc, indicator_code asc, period_code asc, decided_on desc
),

spine as (
    select
        expected.reporting_unit_code,
        expected.admin_unit_key,
        expected.province_key,
        expected.indicator_code,
        periods.period_code,
        periods.period_type,
        periods.period_year,
        periods.first_month,
        periods.last_month,
        periods.to_date_period_code,
        count(*) as base_periods,
        count(base_target.target_value) as base_targets,
        sum(base_target.target_value) as base_target_sum
    from expected
    inner join periods
        on
            expected.period_year = periods.period_year
            and expected.calendar_start >= periods.calendar_start
            and expected.calendar_end <= periods.calendar_end
    left join targets_in_force as base_target
        on
            expected.reporting_unit_code = base_target.reporting_unit_code
            and expected.indicator_code = base_target.indicator_code
            and expected.period_code = base_target.period_code
    group by
        expected.reporting_unit_code,
        expected.admin_unit_key,
        expected.province_key,
        expected.indicator_code,
        periods.period_code,
        periods.period_type,
        periods.period_year,
        periods.first_month,
        periods.last_month,
        periods.to_date_period_code
),

quarter_targets as (
    select
        spine.reporting_unit_code,
        spine.indicator_code,
        spine.period_code,
        count(*) as quarter_targets,
        sum(quarter_target.target_value) as quarter_target_sum
    from spine
    inner join periods as quarter_period
        on
            spine.period_year = quarter_period.period_year
            and quarter_period.period_type = 'quarter'
            and spine.first_month <= quarter_period.first_month
            and spine.last_month >= quarter_period.last_month
    inner join targets_in_force as quarter_target
        on
            spine.reporting_unit_code = quarter_target.reporting_unit_code
            and spine.indicator_code = quarter_target.indicator_code
            and quarter_period.period_code = quarter_target.period_code
    where spine.period_type in ('half_year', 'nine_months', 'year')
    group by spine.reporting_unit_code, spine.indicator_code, spine.period_code
),

same_end_targets as (
    -- For indicators that are not summed, the level to reach at a period's end is the target of
    -- the shortest period ending on the same day (the Q2 target for 6 months).
    select distinct on (spine.reporting_unit_code, spine.indicator_code, spine.period_code)
        spine.reporting_unit_code,
        spine.indicator_code,
        spine.period_code,
        same_end.target_value
    from spine
    inner join periods as spine_period on spine.period_code = spine_period.period_code
    inner join periods as same_end_period
        on
            spine_period.calendar_end = same_end_period.calendar_end
            and spine_period.period_code != same_end_period.period_code
    inner join targets_in_force as same_end
        on
            spine.reporting_unit_code = same_end.reporting_unit_code
            and spine.indicator_code = same_end.indicator_code
            and same_end_period.period_code = same_end.period_code
    order by
        spine.reporting_unit_code asc,
        spine.indicator_code asc,
        spine.period_code asc,
        same_end_period.calendar_start desc
),

resolved as (
    select
        spine.*,
        indicators.time_aggregation,
        assignments.annual_target,
        coalesce(
            own_target.target_value,
            case
                when indicators.time_aggregation = 'sum' and spine.base_targets = spine.base_periods
                    then spine.base_target_sum
            end,
            case
                when
                    indicators.time_aggregation = 'sum'
                    and quarter_targets.quarter_targets = (spine.last_month - spine.first_month + 1) / 3
                    then quarter_targets.quarter_target_sum
            end,
            case when spine.period_type = 'year' then assignments.annual_target end,
            case when indicators.time_aggregation != 'sum' then same_end_targets.target_value end
        ) as period_target
    from spine
    inner join indicators on spine.indicator_code = indicators.indicator_code
    inner join assignments
        on
            spine.reporting_unit_code = assignments.reporting_unit_code
            and spine.indicator_code = assignments.indicator_code
            and spine.period_year = assignments.plan_year
    left join targets_in_force as own_target
        on
            spine.reporting_unit_code = own_target.reporting_unit_code
            and spine.indicator_code = own_target.indicator_code
            and spine.period_code = own_target.period_code
    left join same_end_targets
        on
            spine.reporting_unit_code = same_end_targets.reporting_unit_code
            and spine.indicator_code = same_end_targets.indicator_code
            and spine.period_code = same_end_targets.period_code
    left join quarter_targets
        on
            spine.reporting_unit_code = quarter_targets.reporting_unit_code
            and spine.indicator_code = quarter_targets.indicator_code
            and spine.period_code = quarter_targets.period_code
),

month_to_date as (
    select
        resolved.reporting_unit_code,
        resolved.indicator_code,
        resolved.period_code,
        count(*) as months,
        count(earlier.period_target) as month_targets,
        sum(earlier.period_target) as month_target_sum
    from resolved
    inner join resolved as earlier
        on
            resolved.reporting_unit_code = earlier.reporting_unit_code
            and resolved.indicator_code = earlier.indicator_code
            and resolved.period_year = earlier.period_year
            and earlier.period_type = 'month'
            and resolved.last_month >= earlier.last_month
    where resolved.period_type = 'month' and resolved.to_date_period_code is null
    group by resolved.reporting_unit_code, resolved.indicator_code, resolved.period_code
),

final as (
    select
        resolved.reporting_unit_code,
        resolved.admin_unit_key,
        resolved.province_key,
        resolved.indicator_code,
        resolved.period_code,
        resolved.period_year,
        resolved.period_target,
        resolved.annual_target,
        watermarks.last_file_processed_at,
        case
            when resolved.time_aggregation != 'sum' then resolved.period_target
            when to_date.period_code is not null then to_date.period_target
            when month_to_date.months = month_to_date.month_targets then month_to_date.month_target_sum
        end as cumulative_target
    from resolved
    left join resolved as to_date
        on
            resolved.reporting_unit_code = to_date.reporting_unit_code
            and resolved.indicator_code = to_date.indicator_code
            and resolved.to_date_period_code = to_date.period_code
    left join month_to_date
        on
            resolved.reporting_unit_code = month_to_date.reporting_unit_code
            and resolved.indicator_code = month_to_date.indicator_code
            and resolved.period_code = month_to_date.period_code
    left join watermarks
        on
            resolved.province_key = watermarks.province_key
            and resolved.period_year = watermarks.period_year
)

select * from final
