
  
    

  create  table "postgres"."analytics"."stg_fortnox__customers__dbt_tmp"
  
  
    as
  
  (
    -- one row per company and customer (customer_number)
with source as (
    select
        "company_id",
        "customer_number",
        "name",
        "organisation_number",
        "city",
        "email"
    from "postgres"."fortnox_raw"."customers"
),

renamed as (
    select
        cast(company_id as varchar) as company_id,
        cast(customer_number as varchar) as customer_number,
        cast(name as varchar) as customer_name,
        nullif(cast(organisation_number as varchar), '') as organisation_number,
        nullif(cast(city as varchar), '') as city,
        nullif(cast(email as varchar), '') as email
    from source
)

select * from renamed
  );
  