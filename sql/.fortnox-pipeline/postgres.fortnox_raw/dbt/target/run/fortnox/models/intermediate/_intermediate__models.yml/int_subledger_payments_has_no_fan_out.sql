
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select company_id, subledger, payment_number, count(*) as copies
    from "postgres"."analytics"."int_subledger_payments"
    group by company_id, subledger, payment_number
    having count(*) > 1

  
  
      
    ) dbt_internal_test