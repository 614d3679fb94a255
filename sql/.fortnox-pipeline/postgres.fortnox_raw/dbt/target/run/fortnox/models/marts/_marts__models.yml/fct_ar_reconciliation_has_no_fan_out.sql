
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select company_id, reconciliation_date, count(*) as copies
    from "postgres"."analytics"."fct_ar_reconciliation"
    group by company_id, reconciliation_date
    having count(*) > 1

  
  
      
    ) dbt_internal_test