-- one row per company and Fortnox financial year (id)
with source as (
    select
        "company_id",
        "id",
        "from_date",
        "to_date"
    from "postgres"."fortnox_raw"."financial_years"
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