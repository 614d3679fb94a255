
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  -- one row per company and financial year whose income statement's net result is not the trial balance's result
-- The statement's `net_result` for the year (income positive) must be minus the year's closing
-- balances of the result accounts in the trial balance, the closing entry (8990-8999, shown
-- apart, never counted) left out: the two marts are built along different paths (period
-- balances through the layout's subtotals, and year balances per account), so a line lost or
-- counted twice in either shows here.
with statement as (
    select
        company_id,
        file_sha256,
        financial_year,
        year_to_date_amount as net_result
    from "postgres"."analytics"."fct_income_statement" as lines
    where line_code = 'net_result'
        and period_index = (
            select max(periods.period_index)
            from "postgres"."analytics"."fct_income_statement" as periods
            where periods.company_id = lines.company_id
                and periods.file_sha256 = lines.file_sha256
        )
),

trial_balance as (
    select
        company_id,
        file_sha256,
        -sum(closing_balance) as result
    from "postgres"."analytics"."fct_trial_balance"
    where not is_balance_account and line_code <> 'closing_entries'
    group by company_id, file_sha256
)

select
    statement.company_id,
    statement.financial_year,
    statement.net_result,
    coalesce(trial_balance.result, 0) as trial_balance_result,
    statement.net_result - coalesce(trial_balance.result, 0) as difference
from statement
left join trial_balance
    on statement.company_id = trial_balance.company_id
    and statement.file_sha256 = trial_balance.file_sha256
where statement.net_result <> coalesce(trial_balance.result, 0)
  
  
      
    ) dbt_internal_test