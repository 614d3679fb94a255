
  
    

  create  table "postgres"."analytics"."int_control_account_balances__dbt_tmp"
  
  
    as
  
  (
    -- one row per company, subledger (AR, AP) and reconciliation date: the general-ledger balance of its control accounts
-- Control accounts come from Fortnox's predefined accounts (CUSTOMERRECEIVABLES, SUPPLIERDEBT),
-- never hard-coded. Balance = the year's opening (#IB) plus booked rows up to the date, in SIE
-- sign (debit positive: receivables positive, payables negative).
with control_accounts as (
    select * from "postgres"."analytics"."int_control_accounts"
),

dates as (
    select * from "postgres"."analytics"."int_reconciliation_dates"
    where file_sha256 is not null
),

year_opening as (
    select
        years.company_id,
        years.file_sha256,
        control_accounts.subledger,
        sum(years.opening_balance) as opening_balance
    from "postgres"."analytics"."int_account_year_balances" as years
    inner join control_accounts
        on years.company_id = control_accounts.company_id
        and years.account_number = control_accounts.account_number
    group by 1, 2, 3
),

daily_movements as (
    select
        booked_rows.company_id,
        booked_rows.file_sha256,
        control_accounts.subledger,
        booked_rows.voucher_date,
        sum(booked_rows.amount) as movement
    from "postgres"."analytics"."int_gl_booked_rows" as booked_rows
    inner join control_accounts
        on booked_rows.company_id = control_accounts.company_id
        and booked_rows.account_number = control_accounts.account_number
    group by 1, 2, 3, 4
),

movements_to_date as (
    select
        dates.company_id,
        dates.reconciliation_date,
        daily_movements.subledger,
        sum(daily_movements.movement) as movement
    from dates
    inner join daily_movements
        on dates.company_id = daily_movements.company_id
        and dates.file_sha256 = daily_movements.file_sha256
        and daily_movements.voucher_date <= dates.reconciliation_date
    group by 1, 2, 3
),

subledgers as (
    select
        company_id,
        subledger,
        string_agg(
            distinct cast(account_number as varchar), ', ' order by cast(account_number as varchar)
        ) as control_accounts
    from control_accounts
    group by 1, 2
),

final as (
    select
        dates.company_id,
        subledgers.subledger,
        dates.reconciliation_date,
        subledgers.control_accounts,
        (
            coalesce(year_opening.opening_balance, 0) + coalesce(movements_to_date.movement, 0)
        )::decimal(18, 2) as ledger_balance
    from dates
    inner join subledgers on dates.company_id = subledgers.company_id
    left join year_opening
        on dates.company_id = year_opening.company_id
        and dates.file_sha256 = year_opening.file_sha256
        and subledgers.subledger = year_opening.subledger
    left join movements_to_date
        on dates.company_id = movements_to_date.company_id
        and dates.reconciliation_date = movements_to_date.reconciliation_date
        and subledgers.subledger = movements_to_date.subledger
)

select * from final
  );
  