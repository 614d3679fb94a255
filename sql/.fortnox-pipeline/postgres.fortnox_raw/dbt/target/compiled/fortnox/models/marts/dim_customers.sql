-- one row per company and customer
with customers as (
    select * from "postgres"."analytics"."stg_fortnox__customers"
),

final as (
    select distinct on (company_id, customer_number)
        company_id,
        customer_number,
        customer_name,
        organisation_number,
        city,
        email
    from customers
    order by company_id, customer_number
)

select * from final