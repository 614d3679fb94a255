-- one row per company, financial year, period and income statement line (BAS account groups)
-- Signs as in Fortnox's Resultatrapport: income positive, costs negative (the negated SIE
-- amounts), so that the lines add up to the result.
with report_lines as (
    select * from int_report_line_balances
    where statement = 'income_statement'
),

final as (
    select
        report_lines.* exclude (
            statement, year_opening_balance, movement, closing_balance, is_final
        ),
        (-report_lines.movement)::decimal(18, 2) as period_amount,
        (-report_lines.closing_balance)::decimal(18, 2) as year_to_date_amount,
        report_lines.is_final
    from report_lines
)

select * from final
