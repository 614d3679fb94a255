
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select company_id, subledger, reconciliation_date, document_number, count(*) as copies
    from "postgres"."analytics"."int_open_items"
    group by company_id, subledger, reconciliation_date, document_number
    having count(*) > 1

  
  
      
    ) dbt_internal_test