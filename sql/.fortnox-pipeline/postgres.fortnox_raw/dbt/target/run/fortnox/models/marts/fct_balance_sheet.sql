
  
    

  create  table "postgres"."analytics"."fct_balance_sheet__dbt_tmp"
  
  
    as
  
  (
    -- one row per company, financial year, period and balance sheet row (ÅRL/K2 layout: lines, subtotals, totals)
-- Two sign conventions, named apart. SIE sign (debit positive), the raw facts:
-- `year_opening_balance`, `closing_balance`; all rows of a period sum to zero over the lines.
-- Report sign, as in Fortnox's Balansrapport (assets positive, equity and liabilities positive on
-- their side): `opening_amount` (the year's opening), `period_amount` (the period's change),
-- `year_to_date_amount` (the balance at the period end) and `comparative_amount` (the balance
-- at the same month end a year earlier, NULL when none). `calculated_result` is the year's
-- result accounts to date (zero once the year's result is closed to 2099), so
-- `total_assets` = `total_equity_and_liabilities` at every period end when the books balance.
-- `unclassified` (balance accounts outside every rule of the seed) is on the assets side, debit
-- positive, and counts in total_assets.
with report_lines as (
    select * from "postgres"."analytics"."int_report_line_balances"
    where statement = 'balance_sheet'
),

comparatives as (
    select * from "postgres"."analytics"."int_report_comparatives"
    where statement = 'balance_sheet'
),

signed as (
    select
        report_lines.*,
        case when report_lines.section = 'assets' then 1 else -1 end as report_sign,
        comparatives.comparative_period,
        comparatives.comparative_closing_balance
    from report_lines
    left join comparatives
        on report_lines.company_id = comparatives.company_id
        and report_lines.file_sha256 = comparatives.file_sha256
        and report_lines.period = comparatives.period
        and report_lines.line_code = comparatives.line_code
),

final as (
    select
        company_id,
        financial_year_id,
        financial_year,
        financial_year_start,
        financial_year_end,
        period,
        period_index,
        period_start,
        period_end,
        section,
        line_code,
        line_name,
        row_type,
        sort_order,
        year_opening_balance,
        closing_balance,
        (report_sign * year_opening_balance)::decimal(18, 2) as opening_amount,
        (report_sign * movement)::decimal(18, 2) as period_amount,
        (report_sign * closing_balance)::decimal(18, 2) as year_to_date_amount,
        comparative_period,
        (report_sign * comparative_closing_balance)::decimal(18, 2) as comparative_amount,
        is_final,
        file_sha256
    from signed
)

select * from final
  );
  