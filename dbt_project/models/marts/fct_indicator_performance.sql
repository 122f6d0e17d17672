-- Incremental by province x year partitions (configured in dbt_project.yml).
-- One row per indicator, administrative unit and period: actual against target, status,
-- carry-over, mid-year milestone and change on the same period of the previous year.
{%- set changed = changed_partitions() %}
with

performance as (
    select * from {{ ref('int_performance_all') }}
    where {{ in_changed_partitions(changed) }}
),

-- A unit stays in its province: the previous year's rows are those of the partitions a year back.
previous_performance as (
    select * from {{ ref('int_performance_all') }}
    where {{ in_changed_partitions(changed, years_back=1) }}
),

mapped as (
    select * from {{ ref('int_lineage_mapped_performance') }}
    where {{ in_changed_partitions(changed, years_back=1) }}
),

indicators as (
    select * from {{ ref('stg_reference__indicators') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

enriched as (
    select
        performance.*,
        periods.period_type,
        periods.is_mid_year,
        indicators.direction,
        indicators.time_aggregation,
        indicators.unit_aggregation,
        performance.reported_units = performance.expected_units as is_complete,
        performance.reported_units_to_date = performance.expected_units as is_to_date_complete,
        coalesce(previous_own.actual_period, previous_mapped.actual_period) as actual_period_previous_year
    from performance
    inner join periods on performance.period_code = periods.period_code
    inner join indicators on performance.indicator_code = indicators.indicator_code
    left join previous_performance as previous_own
        on
            performance.admin_unit_key = previous_own.admin_unit_key
            and performance.indicator_code = previous_own.indicator_code
            and periods.previous_year_period_code = previous_own.period_code
    left join mapped as previous_mapped
        on
            performance.admin_unit_key = previous_mapped.admin_unit_key
            and performance.indicator_code = previous_mapped.indicator_code
            and periods.previous_year_period_code = previous_mapped.period_code
),

final as (
    select
        indicator_code,
        admin_unit_key,
        period_code,
        period_type,
        period_year,
        hierarchy,
        admin_level,
        province_key,
        value_source,
        reporting_unit_code,
        direction,
        time_aggregation,
        unit_aggregation,
        expected_units::integer as expected_units,
        reported_units::integer as reported_units,
        reported_units_to_date::integer as reported_units_to_date,
        round(100.0 * reported_units / expected_units, 2) as coverage_pct,
        is_complete,
        is_to_date_complete,
        actual_period,
        actual_to_date,
        reported_subtotal,
        period_target,
        carry_over_target,
        adjusted_period_target,
        cumulative_target,
        annual_target,
        {{ achievement_pct('actual_period', 'adjusted_period_target', 'direction') }} as pct_of_period_target,
        {{ achievement_pct('actual_to_date', 'cumulative_target', 'direction') }} as pct_of_cumulative_target,
        {{ achievement_pct('actual_to_date', 'annual_target', 'direction') }} as pct_of_annual_target,
        {{ performance_status('actual_period', 'adjusted_period_target', 'direction', 'is_complete') }} as status,
        {{ performance_status('actual_to_date', 'cumulative_target', 'direction', 'is_to_date_complete') }}
            as status_to_date,
        case
            when is_mid_year and direction = 'higher_is_better' and is_to_date_complete and annual_target > 0
                then actual_to_date * 2 >= annual_target
        end as mid_year_milestone_met,
        actual_period_previous_year,
        {{ change_pct('actual_period', 'actual_period_previous_year') }} as change_vs_previous_year_pct,
        last_file_processed_at
    from enriched
)

select * from final
