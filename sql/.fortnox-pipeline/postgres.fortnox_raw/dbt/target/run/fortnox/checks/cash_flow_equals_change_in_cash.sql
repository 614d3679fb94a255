
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  -- one row per company, financial year and period whose cash flow does not equal the change in cash and bank (19xx)
-- Holds whenever the period's vouchers balance: every non-cash account's movement is in exactly
-- one line of the cash-flow statement (see vouchers_balance for the ones that do not).
with flows as (
    select
        company_id,
        financial_year,
        period,
        sum(period_amount) filter (where line_code = 'cash_flow_for_the_period') as cash_flow,
        sum(period_amount) filter (where line_code = 'change_in_cash_and_bank') as change_in_cash
    from "postgres"."analytics"."fct_cash_flow"
    group by company_id, financial_year, file_sha256, period
)

select
    *,
    cash_flow - change_in_cash as difference
from flows
where cash_flow is distinct from change_in_cash
order by company_id, financial_year, period
  
  
      
    ) dbt_internal_test