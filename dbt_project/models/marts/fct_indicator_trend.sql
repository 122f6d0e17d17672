-- Incremental by province x year partitions (configured in dbt_project.yml): those with new
-- files of their own and those that changed legacy partitions move onto.
-- Series of each post-2025 unit across the reform: its own figures, and before them the legacy
-- figures of its predecessors moved across through the primary lineage (2024 → 2026 trends).
{%- set changed = changed_partitions(lineage=true) %}
{%- set partitions = none if changed is none else changed['partitions'] + changed['successors'] %}
with

own as (
    select * from {{ ref('int_performance_all') }}
    where hierarchy = 'post_2025' and {{ in_partitions(partitions) }}
),

mapped as (
    select * from {{ ref('int_lineage_mapped_performance') }}
    where {{ in_partitions(partitions) }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

combined as (
    select
        own.admin_unit_key,
        own.indicator_code,
        own.period_code,
        own.province_key,
        'post_2025' as series_source,
        own.expected_units,
        own.reported_units,
        own.actual_period,
        own.actual_to_date,
        0 as legacy_unit_count,
        own.last_file_processed_at
    from own

    union all

    select
        mapped.admin_unit_key,
        mapped.indicator_code,
        mapped.period_code,
        mapped.province_key,
        'legacy_lineage' as series_source,
        mapped.expected_units,
        mapped.reported_units,
        mapped.actual_period,
        mapped.actual_to_date,
        mapped.legacy_unit_count,
        mapped.last_file_processed_at
    from mapped
    where not exists (
        select from own
        where
            own.admin_unit_key = mapped.admin_unit_key
            and own.indicator_code = mapped.indicator_code
            and own.period_code = mapped.period_code
    )
),

final as (
    select
        combined.admin_unit_key,
        combined.indicator_code,
        combined.period_code,
        periods.period_type,
        periods.period_year,
        combined.province_key,
        combined.series_source,
        combined.actual_period,
        combined.actual_to_date,
        combined.last_file_processed_at,
        combined.legacy_unit_count::integer as legacy_unit_count,
        combined.expected_units::integer as expected_units,
        combined.reported_units::integer as reported_units,
        combined.reported_units = combined.expected_units as is_complete
    from combined
    inner join periods on combined.period_code = periods.period_code
)

select * from final
