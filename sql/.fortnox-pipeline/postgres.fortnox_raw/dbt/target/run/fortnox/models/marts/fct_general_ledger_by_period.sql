
  
    

  create  table "postgres"."analytics"."fct_general_ledger_by_period__dbt_tmp"
  
  
    as
  
  (
    -- one row per company, financial year, period (fiscal month) and account: opening, debit, credit, movement, closing
-- Every account of the year × every month of the year, zero-movement months included, as
-- dbt_quickbooks' general_ledger_by_period. Amounts as in SIE (debit positive). Balance accounts
-- open at the year's #IB, result accounts at zero; the last period's closing is the year's #UB /
-- #RES (checked in checks/). `period_index` counts the fiscal months from 1 (a May-April year's
-- May is 1). This was fct_trial_balance's grain before that became one row per account and year.
with balances as (
    select * from "postgres"."analytics"."int_account_period_balances"
),

accounts as (
    select * from "postgres"."analytics"."dim_accounts"
),

locked as (
    select * from "postgres"."analytics"."dim_locked_period"
),

final as (
    select
        balances.company_id,
        balances.financial_year_id,
        balances.financial_year,
        balances.financial_year_start,
        balances.financial_year_end,
        balances.period,
        balances.period_index,
        balances.period_start,
        balances.period_end,
        balances.account_number,
        accounts.account_sort_key,
        accounts.account_name,
        accounts.account_type,
        balances.is_balance_account,
        balances.opening_balance,
        balances.debit,
        balances.credit,
        balances.movement,
        balances.closing_balance,
        balances.period_end = balances.financial_year_end as is_year_end,
        coalesce(balances.period_end <= locked.locked_through, false) as is_final,
        balances.file_sha256
    from balances
    left join accounts
        on balances.company_id = accounts.company_id
        and balances.account_number = accounts.account_number
    left join locked on balances.company_id = locked.company_id
)

select * from final
  );
  