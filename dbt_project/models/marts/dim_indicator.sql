-- The indicator catalogue with its direction and aggregation rules.
with

indicators as (
    select * from {{ ref('stg_reference__indicators') }}
),

final as (
    select
        indicator_code,
        indicator_name_vi,
        indicator_name_en,
        unit_of_measure,
        direction,
        value_kind,
        time_aggregation,
        unit_aggregation,
        weight_indicator_code,
        min_value,
        max_value,
        periodicity,
        admin_levels,
        sector
    from indicators
)

select * from final
