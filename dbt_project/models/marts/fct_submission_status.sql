-- Incremental by province x year partitions (configured in dbt_project.yml).
-- One row per submission an assignment expects (unit × indicator × base period): whether it
-- came, when it was first and last updated, on how many days, and whether it beat the lock.
{%- set changed = changed_partitions() %}
with

expected as (
    select * from {{ ref('int_expected_submissions') }}
    where {{ in_changed_partitions(changed) }}
),

versions as (
    select * from {{ ref('stg_raw__submission_value_versions') }}
    where {{ in_changed_units_and_periods(changed) }}
),

locks as (
    select * from {{ ref('stg_reference__period_locks') }}
),

watermarks as (
    {{ partition_watermarks(changed) }}
),

received as (
    select
        reporting_unit_code,
        indicator_code,
        period_code,
        min(received_at) as first_received_at,
        max(received_at) as last_received_at,
        count(*) as version_count,
        count(distinct(received_at at time zone 'Asia/Ho_Chi_Minh')::date) as update_days,
        count(*) filter (where not is_late) as on_time_versions,
        count(*) filter (where is_late) as late_versions
    from versions
    group by reporting_unit_code, indicator_code, period_code
),

final as (
    select
        expected.reporting_unit_code,
        expected.indicator_code,
        expected.period_code,
        expected.period_year,
        expected.admin_unit_key,
        expected.province_key,
        locks.lock_date,
        received.first_received_at,
        received.last_received_at,
        watermarks.last_file_processed_at,
        received.reporting_unit_code is not null as is_received,
        coalesce(received.version_count, 0)::integer as version_count,
        coalesce(received.update_days, 0)::integer as update_days,
        coalesce(received.on_time_versions > 0, false) as is_on_time,
        coalesce(received.late_versions > 0, false) as has_late_versions,
        case
            when received.reporting_unit_code is null then 'missing'
            when received.on_time_versions > 0 then 'on_time'
            else 'late'
        end as submission_status
    from expected
    left join received
        on
            expected.reporting_unit_code = received.reporting_unit_code
            and expected.indicator_code = received.indicator_code
            and expected.period_code = received.period_code
    left join locks
        on
            expected.province_key = locks.province_key
            and expected.period_code = locks.period_code
    left join watermarks
        on
            expected.province_key = watermarks.province_key
            and expected.period_year = watermarks.period_year
)

select * from final
