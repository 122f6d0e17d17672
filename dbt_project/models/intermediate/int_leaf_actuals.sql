-- Incremental by province x year partitions (configured in dbt_project.yml).
-- Actual of each reporting unit's own figure for every period of the plan year, for the period
-- and from 1 January to the period's end, by the indicator's time rule:
--   sum: total of the base periods, complete only when every base period is reported;
--   last and rank: the value of the last base period (ranks are taken as reported);
--   weighted_average: sum(value * weight) / sum(weight), the weight being the weight
--   indicator's value for the same base period (1 when the indicator names no weight).
-- An incomplete figure is null; the counts say what is missing.
{%- set changed = changed_partitions() %}
with

expected as (
    select * from {{ ref('int_expected_submissions') }}
    where {{ in_changed_partitions(changed) }}
),

indicators as (
    select * from {{ ref('stg_reference__indicators') }}
),

current_values as (
    select * from {{ ref('stg_raw__current_submission_values') }}
    where {{ in_changed_units_and_periods(changed) }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

watermarks as (
    {{ partition_watermarks(changed) }}
),

-- Materialized: otherwise the planner joins the values after the join to the periods, on seven
-- times the rows (a full build took 15 % longer).
valued as materialized (
    select
        expected.reporting_unit_code,
        expected.admin_unit_key,
        expected.province_key,
        expected.indicator_code,
        expected.period_year,
        expected.calendar_start as base_start,
        expected.calendar_end as base_end,
        indicators.time_aggregation,
        indicators.periodicity,
        reported.value,
        case
            when indicators.weight_indicator_code is null then 1
            else weight.value
        end as weight
    from expected
    inner join indicators on expected.indicator_code = indicators.indicator_code
    left join current_values as reported
        on
            expected.reporting_unit_code = reported.reporting_unit_code
            and expected.indicator_code = reported.indicator_code
            and expected.period_code = reported.period_code
    left join current_values as weight
        on
            expected.reporting_unit_code = weight.reporting_unit_code
            and indicators.weight_indicator_code = weight.indicator_code
            and expected.period_code = weight.period_code
),

accumulated as (
    select
        valued.reporting_unit_code,
        valued.admin_unit_key,
        valued.province_key,
        valued.indicator_code,
        valued.time_aggregation,
        periods.period_code,
        periods.period_year,
        count(*) filter (where valued.base_start >= periods.calendar_start) as expected_base_periods,
        count(valued.value) filter (where valued.base_start >= periods.calendar_start) as reported_base_periods,
        count(*) as expected_base_periods_to_date,
        count(valued.value) as reported_base_periods_to_date,
        count(valued.value * valued.weight) filter (
            where valued.base_start >= periods.calendar_start
        ) as weighted_base_periods,
        count(valued.value * valued.weight) as weighted_base_periods_to_date,
        sum(valued.value) filter (where valued.base_start >= periods.calendar_start) as value_sum,
        sum(valued.value) as value_sum_to_date,
        sum(valued.value * valued.weight) filter (
            where valued.base_start >= periods.calendar_start
        ) as weighted_sum,
        sum(valued.weight) filter (
            where valued.base_start >= periods.calendar_start and valued.value is not null
        ) as weight_sum,
        sum(valued.value * valued.weight) as weighted_sum_to_date,
        sum(valued.weight) filter (where valued.value is not null) as weight_sum_to_date,
        -- The period's last value: that of the base period ending with it (base periods tile the
        -- year, and a compatible period ends where one of them does). A plain aggregate, not an
        -- ordered one, which sorts every group.
        max(valued.value) filter (where valued.base_end = periods.calendar_end) as last_value
    from valued
    inner join periods
        on
            valued.period_year = periods.period_year
            and valued.base_end <= periods.calendar_end
            -- Months hold no quarterly or yearly figure; only the year holds a yearly one.
            and (
                valued.periodicity = 'month'
                or (valued.periodicity = 'quarter' and periods.period_type != 'month')
                or periods.period_type = 'year'
            )
    group by
        valued.reporting_unit_code,
        valued.admin_unit_key,
        valued.province_key,
        valued.indicator_code,
        valued.time_aggregation,
        periods.period_code,
        periods.period_year
    having count(*) filter (where valued.base_start >= periods.calendar_start) > 0
),

final as (
    select
        accumulated.reporting_unit_code,
        accumulated.admin_unit_key,
        accumulated.province_key,
        accumulated.indicator_code,
        accumulated.period_code,
        accumulated.period_year,
        accumulated.expected_base_periods,
        accumulated.reported_base_periods,
        accumulated.expected_base_periods_to_date,
        accumulated.reported_base_periods_to_date,
        watermarks.last_file_processed_at,
        case accumulated.time_aggregation
            when 'sum' then accumulated.reported_base_periods = accumulated.expected_base_periods
            when 'weighted_average' then accumulated.weighted_base_periods = accumulated.expected_base_periods
            else accumulated.last_value is not null
        end as is_period_complete,
        case accumulated.time_aggregation
            when 'sum' then accumulated.reported_base_periods_to_date = accumulated.expected_base_periods_to_date
            when 'weighted_average'
                then accumulated.weighted_base_periods_to_date = accumulated.expected_base_periods_to_date
            else accumulated.last_value is not null
        end as is_to_date_complete,
        case accumulated.time_aggregation
            when 'sum'
                then
                    case
                        when accumulated.reported_base_periods = accumulated.expected_base_periods
                            then accumulated.value_sum
                    end
            when 'weighted_average'
                then
                    case
                        when accumulated.weighted_base_periods = accumulated.expected_base_periods
                            then trim_scale(accumulated.weighted_sum / nullif(accumulated.weight_sum, 0))
                    end
            else accumulated.last_value
        end as actual_period,
        case accumulated.time_aggregation
            when 'sum'
                then
                    case
                        when accumulated.reported_base_periods_to_date = accumulated.expected_base_periods_to_date
                            then accumulated.value_sum_to_date
                    end
            when 'weighted_average'
                then
                    case
                        when accumulated.weighted_base_periods_to_date = accumulated.expected_base_periods_to_date
                            then trim_scale(
                                accumulated.weighted_sum_to_date / nullif(accumulated.weight_sum_to_date, 0)
                            )
                    end
            else accumulated.last_value
        end as actual_to_date
    from accumulated
    left join watermarks
        on
            accumulated.province_key = watermarks.province_key
            and accumulated.period_year = watermarks.period_year
)

select * from final
