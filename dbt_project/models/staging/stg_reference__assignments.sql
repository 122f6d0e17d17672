with

source as (
    select * from {{ source('reference', 'assignment') }}
),

renamed as (
    select
        unit_code as reporting_unit_code,
        indicator_code,
        plan_year,
        annual_target,
        decision_ref
    from source
)

select * from renamed
