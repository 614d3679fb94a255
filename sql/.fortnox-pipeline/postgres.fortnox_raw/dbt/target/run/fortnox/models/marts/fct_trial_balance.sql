
  
    

  create  table "postgres"."analytics"."fct_trial_balance__dbt_tmp"
  
  
    as
  
  (
    -- one row per company, financial year and account: opening, debit, credit, movement and closing balance
-- The year-level trial balance (råbalans / saldobalans): amounts as in SIE (debit positive).
-- Balance accounts open at the year's #IB, result accounts at zero; debit and credit are the
-- year's booked rows on each side; closing = opening + movement, and `sie_closing_balance` is
-- the file's own #UB / #RES (NULL when the file declares none); `statement` and `line_code` are
-- the statement line the account is in that year (int_account_lines). Per month: see
-- fct_general_ledger_by_period.
with years as (
    select * from "postgres"."analytics"."int_account_year_balances"
),

accounts as (
    select * from "postgres"."analytics"."dim_accounts"
),

account_lines as (
    select * from "postgres"."analytics"."int_account_lines"
),

locked as (
    select * from "postgres"."analytics"."dim_locked_period"
),

final as (
    select
        years.company_id,
        years.financial_year_id,
        years.financial_year,
        years.financial_year_start,
        years.financial_year_end,
        years.account_number,
        accounts.account_sort_key,
        accounts.account_name,
        accounts.account_type,
        years.is_balance_account,
        account_lines.statement,
        account_lines.line_code,
        years.opening_balance,
        years.debit,
        years.credit,
        years.movement,
        years.closing_balance,
        years.sie_closing_balance,
        years.booked_rows,
        coalesce(years.financial_year_end <= locked.locked_through, false) as is_final,
        years.file_sha256
    from years
    left join accounts
        on years.company_id = accounts.company_id
        and years.account_number = accounts.account_number
    left join account_lines
        on years.company_id = account_lines.company_id
        and years.file_sha256 = account_lines.file_sha256
        and years.account_number = account_lines.account_number
    left join locked on years.company_id = locked.company_id
)

select * from final
  );
  