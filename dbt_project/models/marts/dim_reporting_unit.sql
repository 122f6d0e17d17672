-- Reporting units and the administrative unit they report for; no contact details.
with

units as (
    select * from {{ ref('stg_reference__reporting_units') }}
),

admin_units as (
    select * from {{ ref('stg_reference__admin_units') }}
),

final as (
    select
        units.reporting_unit_code,
        units.reporting_unit_name,
        units.reporting_unit_type,
        units.admin_unit_key,
        admin_units.hierarchy,
        admin_units.admin_level,
        units.province_key
    from units
    inner join admin_units on units.admin_unit_key = admin_units.admin_unit_key
)

select * from final
