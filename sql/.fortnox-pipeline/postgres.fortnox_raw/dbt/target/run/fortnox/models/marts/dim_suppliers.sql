
  
    

  create  table "postgres"."analytics"."dim_suppliers__dbt_tmp"
  
  
    as
  
  (
    -- one row per company and supplier
with suppliers as (
    select * from "postgres"."analytics"."stg_fortnox__suppliers"
),

final as (
    select distinct on (company_id, supplier_number)
        company_id,
        supplier_number,
        supplier_name,
        organisation_number,
        city,
        email
    from suppliers
    order by company_id, supplier_number
)

select * from final
  );
  