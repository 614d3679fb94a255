-- one row per company and Fortnox financial year (id)
with source as (
    {{ fortnox_source('financial_years') }}
),

renamed as (
    select
        cast(company_id as varchar) as company_id,
        cast(id as bigint) as financial_year_id,
        cast(from_date as date) as financial_year_start,
        cast(to_date as date) as financial_year_end
    from source
)

select * from renamed
