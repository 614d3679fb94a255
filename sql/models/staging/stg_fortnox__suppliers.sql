-- one row per company and supplier (supplier_number)
with source as (
    {{ fortnox_source('suppliers') }}
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
