-- one row per company, financial year, period and income statement line (BAS account groups)
-- Signs as in Fortnox's Resultatrapport: income positive, costs negative (the negated SIE
-- amounts), so that the lines add up to the result.
with balances as (
    select * from int_account_period_balances
    where not is_balance_account
),

lines as (
    select * from int_bas_report_lines
    where statement = 'income_statement'
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
        (-sum(balances.movement))::decimal(18, 2) as period_amount,
        (-sum(balances.closing_balance))::decimal(18, 2) as year_to_date_amount
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
