-- one row per company, financial year, period and account: opening, movement and closing balance
-- Amounts as in SIE (debit positive). Balance accounts open at the year's #IB, result accounts at
-- zero; the last period's closing is the year's #UB / #RES (checked in checks/).
with balances as (
    select * from int_account_period_balances
),

accounts as (
    select * from dim_accounts
),

locked as (
    select * from dim_locked_period
),

final as (
    select
        balances.company_id,
        balances.financial_year_id,
        balances.financial_year,
        balances.financial_year_start,
        balances.financial_year_end,
        balances.period,
        balances.period_start,
        balances.period_end,
        balances.account_number,
        accounts.account_name,
        balances.is_balance_account,
        balances.opening_balance,
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
