
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  -- one row per company, financial year, account (and period) that appears more than once in the trial balance or the general ledger by period
select
    'fct_trial_balance' as model,
    company_id,
    financial_year_start,
    null as period,
    account_number,
    count(*) as copies
from "postgres"."analytics"."fct_trial_balance"
group by company_id, financial_year_start, account_number
having count(*) > 1
union all
select
    'fct_general_ledger_by_period' as model,
    company_id,
    financial_year_start,
    period,
    account_number,
    count(*) as copies
from "postgres"."analytics"."fct_general_ledger_by_period"
group by company_id, financial_year_start, period, account_number
having count(*) > 1
  
  
      
    ) dbt_internal_test