-- one row per company, financial year and period whose balance sheet does not balance (total assets <> total equity and liabilities)
-- Both totals in report sign; the year's result is in `calculated_result` until it is closed
-- to 2099, so the totals agree at every month end when the opening balances sum to zero and
-- every voucher balances. `opening_imbalance` is the sum of the year's opening balances (#IB):
-- when it equals the difference, the file's own opening balances do not balance (e.g. last
-- year's result never carried to equity); otherwise see vouchers_balance.
with totals as (
    select
        company_id,
        financial_year,
        file_sha256,
        period,
        sum(year_to_date_amount) filter (where line_code = 'total_assets') as total_assets,
        sum(year_to_date_amount) filter (where line_code = 'total_equity_and_liabilities')
            as total_equity_and_liabilities
    from "postgres"."analytics"."fct_balance_sheet"
    group by company_id, financial_year, file_sha256, period
),

openings as (
    select company_id, file_sha256, sum(opening_balance) as opening_imbalance
    from "postgres"."analytics"."int_account_year_balances"
    group by company_id, file_sha256
)

select
    totals.company_id,
    totals.financial_year,
    totals.period,
    totals.total_assets,
    totals.total_equity_and_liabilities,
    totals.total_assets - totals.total_equity_and_liabilities as difference,
    openings.opening_imbalance
from totals
left join openings
    on totals.company_id = openings.company_id
    and totals.file_sha256 = openings.file_sha256
where totals.total_assets is distinct from totals.total_equity_and_liabilities
order by totals.company_id, totals.financial_year, totals.period