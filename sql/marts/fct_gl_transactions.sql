-- one row per booked voucher row (#TRANS rows of the chosen SIE file per company and financial year)
-- materialized: view
-- A view: int_gl_booked_rows plus the final flag, not worth a second copy of every row.
with booked_rows as (
    select * from int_gl_booked_rows
),

locked as (
    select * from dim_locked_period
),

final as (
    select
        booked_rows.company_id,
        booked_rows.financial_year_id,
        booked_rows.financial_year,
        booked_rows.financial_year_start,
        booked_rows.financial_year_end,
        strftime(booked_rows.voucher_date, '%Y-%m') as period,
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
        booked_rows.row_text,
        booked_rows.file_sha256,
        coalesce(booked_rows.voucher_date <= locked.locked_through, false) as is_final
    from booked_rows
    left join locked on booked_rows.company_id = locked.company_id
)

select * from final
