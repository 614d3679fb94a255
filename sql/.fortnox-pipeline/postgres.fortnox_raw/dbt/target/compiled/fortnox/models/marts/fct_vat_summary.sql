-- one row per company, financial year and period: output and input VAT booked on the VAT accounts
-- INFORMATIONAL ONLY: a summary of the ledger's VAT accounts, not a filed VAT declaration
-- (momsdeklaration). Accounts by their leading digits (text): BAS 2610-2639 output VAT at 25/12/6 %, 2640-2649 input VAT. Rows of VAT
-- settlement vouchers (those that also book 2650, the VAT settlement account) are left out, so
-- that a period shows the VAT it incurred rather than the previous period's settlement.
with booked_rows as (
    select * from "postgres"."analytics"."int_gl_booked_rows"
),

settlement_vouchers as (
    select distinct company_id, file_sha256, voucher_series, voucher_number
    from booked_rows
    where left(account_number, 3) = '265'
),

vat_rows as (
    select booked_rows.*
    from booked_rows
    where left(booked_rows.account_number, 3) between '261' and '264'
        and not exists (
            select 1
            from settlement_vouchers
            where settlement_vouchers.company_id = booked_rows.company_id
                and settlement_vouchers.file_sha256 = booked_rows.file_sha256
                and settlement_vouchers.voucher_series is not distinct from booked_rows.voucher_series
                and settlement_vouchers.voucher_number is not distinct from booked_rows.voucher_number
        )
),

periods as (
    select distinct
        company_id,
        financial_year_id,
        financial_year,
        financial_year_start,
        financial_year_end,
        file_sha256,
        period,
        period_start,
        period_end
    from "postgres"."analytics"."int_account_period_balances"
),

per_period as (
    select
        company_id,
        file_sha256,
        to_char(voucher_date, 'YYYY-MM') as period,
        -sum(amount) filter (where left(account_number, 3) = '261') as output_vat_25,
        -sum(amount) filter (where left(account_number, 3) = '262') as output_vat_12,
        -sum(amount) filter (where left(account_number, 3) = '263') as output_vat_6,
        sum(amount) filter (where left(account_number, 3) = '264') as input_vat
    from vat_rows
    group by 1, 2, 3
),

locked as (
    select * from "postgres"."analytics"."dim_locked_period"
),

final as (
    select
        periods.company_id,
        periods.financial_year_id,
        periods.financial_year,
        periods.financial_year_start,
        periods.financial_year_end,
        periods.period,
        periods.period_start,
        periods.period_end,
        coalesce(per_period.output_vat_25, 0)::decimal(18, 2) as output_vat_25,
        coalesce(per_period.output_vat_12, 0)::decimal(18, 2) as output_vat_12,
        coalesce(per_period.output_vat_6, 0)::decimal(18, 2) as output_vat_6,
        coalesce(per_period.input_vat, 0)::decimal(18, 2) as input_vat,
        'informational summary of the VAT accounts, not a filed VAT declaration' as note,
        coalesce(periods.period_end <= locked.locked_through, false) as is_final
    from periods
    left join per_period
        on periods.company_id = per_period.company_id
        and periods.file_sha256 = per_period.file_sha256
        and periods.period = per_period.period
    left join locked on periods.company_id = locked.company_id
)

select
    *,
    (output_vat_25 + output_vat_12 + output_vat_6 - input_vat)::decimal(18, 2) as net_vat_payable
from final