-- one row per company, financial year, period, statement and statement line (BAS account groups): the summed balances of the line's accounts
-- Amounts in SIE sign (debit positive), summed over the accounts in the line's range; each
-- statement mart chooses its amounts and signs. The income statement is the result accounts
-- only: an account numbered in a result range that #KTYP makes a balance account stays off it.
with balances as (
    select * from int_account_period_balances
),

lines as (
    select * from int_bas_report_lines
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
        lines.statement,
        lines.section,
        lines.line_code,
        lines.line_name,
        lines.sort_order,
        sum(balances.year_opening_balance) as year_opening_balance,
        sum(balances.movement) as movement,
        sum(balances.closing_balance) as closing_balance
    from balances
    inner join lines
        on try_cast(balances.account_number as bigint) between lines.account_from and lines.account_to
    where lines.statement = 'balance_sheet' or not balances.is_balance_account
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
