-- one row per company, financial year, period and balance sheet line (BAS account groups)
-- Signs as in Fortnox's Balansrapport: the SIE values as they are (assets positive, equity and
-- liabilities negative). "Calculated result" carries the year's result accounts to date, so the
-- lines of a period sum to zero when the books balance.
with balances as (
    select * from int_account_period_balances
),

lines as (
    select * from int_bas_report_lines
    where statement = 'balance_sheet'
),

locked as (
    select * from dim_locked_period
),

per_line as (
    select
        balances.company_id,
        balances.financial_year_id,
        balances.financial_year,
        balances.financial_year_start,
        balances.financial_year_end,
        balances.period,
        balances.period_start,
        balances.period_end,
        lines.section,
        lines.line_code,
        lines.line_name,
        lines.sort_order,
        sum(balances.year_opening_balance)::decimal(18, 2) as year_opening_balance,
        sum(balances.closing_balance)::decimal(18, 2) as closing_balance
    from balances
    inner join lines
        on balances.account_number between lines.account_from and lines.account_to
    group by all
),

final as (
    select
        per_line.*,
        coalesce(per_line.period_end <= locked.locked_through, false) as is_final
    from per_line
    left join locked on per_line.company_id = locked.company_id
)

select * from final
