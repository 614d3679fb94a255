-- one row per company and supplier (supplier_number)
with source as (
    select
        "company_id",
        "supplier_number",
        "name",
        "organisation_number",
        "city",
        "email"
    from "postgres"."fortnox_raw"."suppliers"
),

renamed as (
    select
        cast(company_id as varchar) as company_id,
        cast(supplier_number as varchar) as supplier_number,
        cast(name as varchar) as supplier_name,
        nullif(cast(organisation_number as varchar), '') as organisation_number,
        nullif(cast(city as varchar), '') as city,
        nullif(cast(email as varchar), '') as email
    from source
)

select * from renamed