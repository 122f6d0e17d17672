with

source as (
    select * from {{ source('reference', 'indicator') }}
),

renamed as (
    select
        indicator_code,
        name_vi as indicator_name_vi,
        name_en as indicator_name_en,
        unit_of_measure,
        direction,
        value_kind,
        time_aggregation,
        unit_aggregation,
        weight_indicator_code,
        min_value,
        max_value,
        periodicity,
        sector,
        -- A list as text: dbt unit tests cannot cast array columns.
        array_to_string(admin_levels, ';') as admin_levels
    from source
)

select * from renamed
