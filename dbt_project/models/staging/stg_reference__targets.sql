with

source as (
    select * from {{ source('reference', 'target') }}
),

renamed as (
    select
        unit_code as reporting_unit_code,
        indicator_code,
        plan_year,
        period_code,
        target_value,
        decided_on,
        decision_ref
    from source
)

select * from renamed
