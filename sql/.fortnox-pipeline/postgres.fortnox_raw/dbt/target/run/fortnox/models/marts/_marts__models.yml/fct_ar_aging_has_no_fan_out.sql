
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select company_id, invoice_number, count(*) as copies
    from "postgres"."analytics"."fct_ar_aging"
    group by company_id, invoice_number
    having count(*) > 1

  
  
      
    ) dbt_internal_test