
  
    

  create  table "postgres"."analytics"."fct_ar_reconciliation__dbt_tmp"
  
  
    as
  
  (
    -- one row per company and reconciliation date (each month end, and the as-of date): the customer subledger against the ledger
-- The AR half of int_subledger_reconciliation, where the columns are explained: ledger and
-- subledger in SIE sign (debit positive), difference = ledger - subledger, the rows with no
-- document behind them that explain it, and final or provisional by the locked period.
with reconciliation as (
    select * from "postgres"."analytics"."int_subledger_reconciliation"
    where subledger = 'AR'
),

final as (
    select "company_id",
        "reconciliation_date",
        "is_month_end",
        "is_as_of",
        "financial_year_id",
        "financial_year",
        "control_accounts",
        "ledger_balance",
        "subledger_balance",
        "open_documents",
        "foreign_open_documents",
        "foreign_open_amount_sek",
        "exchange_difference_year_to_date",
        "foreign_payments_year_to_date",
        "difference",
        "explained_amount",
        "explaining_vouchers",
        "status",
        "unexplained_difference"
    from reconciliation
)

select * from final
  );
  