-- one row per booked voucher row (#TRANS rows of the chosen SIE file per company and financial year)
-- A view: int_gl_booked_rows plus the final flag and the running balance, not worth a second
-- copy of every row. `row_text` is the #TRANS row's own text, else its voucher's (#VER) text.
-- `running_balance` is the account's balance after the row (SIE sign, debit positive): the
-- year's opening (#IB; zero for result accounts) plus the account's rows up to and including
-- this one, in date, series, number and row order, as dbt_quickbooks' general_ledger.

with booked_rows as (
    select * from "postgres"."analytics"."int_gl_booked_rows"
),

openings as (
    select company_id, file_sha256, account_number, opening_balance
    from "postgres"."analytics"."int_account_year_balances"
),

locked as (
    select * from "postgres"."analytics"."dim_locked_period"
),

final as (
    select
        booked_rows.company_id,
        booked_rows.financial_year_id,
        booked_rows.financial_year,
        booked_rows.financial_year_start,
        booked_rows.financial_year_end,
        to_char(booked_rows.voucher_date, 'YYYY-MM') as period,
        booked_rows.voucher_series,
        booked_rows.voucher_number,
        booked_rows.row_no,
        booked_rows.voucher_date,
        booked_rows.transaction_date,
        booked_rows.registration_date,
        booked_rows.account_number,
        booked_rows.cost_center,
        booked_rows.project,
        booked_rows.amount,
        booked_rows.voucher_text,
        coalesce(nullif(trim(booked_rows.row_text), ''), booked_rows.voucher_text) as row_text,
        (
            coalesce(openings.opening_balance, 0)
            + sum(booked_rows.amount) over (
                partition by booked_rows.company_id, booked_rows.file_sha256, booked_rows.account_number
                order by
                    booked_rows.voucher_date,
                    booked_rows.voucher_series,
                    booked_rows.voucher_number,
                    booked_rows.row_no
                rows between unbounded preceding and current row
            )
        )::decimal(18, 2) as running_balance,
        booked_rows.file_sha256,
        coalesce(booked_rows.voucher_date <= locked.locked_through, false) as is_final
    from booked_rows
    left join openings
        on booked_rows.company_id = openings.company_id
        and booked_rows.file_sha256 = openings.file_sha256
        and booked_rows.account_number = openings.account_number
    left join locked on booked_rows.company_id = locked.company_id
)

select * from final