-- one row per company, financial year, period and balance sheet line (BAS account groups)
-- Signs as in Fortnox's Balansrapport: the SIE values as they are (assets positive, equity and
-- liabilities negative). "Calculated result" carries the year's result accounts to date, so the
-- lines of a period sum to zero when the books balance.
with report_lines as (
    select * from int_report_line_balances
    where statement = 'balance_sheet'
),

final as (
    select
        report_lines.* exclude (
            statement, year_opening_balance, movement, closing_balance, is_final
        ),
        report_lines.year_opening_balance::decimal(18, 2) as year_opening_balance,
        report_lines.closing_balance::decimal(18, 2) as closing_balance,
        report_lines.is_final
    from report_lines
)

select * from final
