-- one row per company, financial year and account whose year-end closing differs from SIE's #UB / #RES
-- The closing is the general ledger's last period (fct_general_ledger_by_period); SIE's figure is #UB (balance accounts) or #RES
-- (result accounts) of year 0 of the chosen file. Files without closing balances (4I transaction
-- files) have nothing to compare and are not checked.
with year_end as (
    select * from "postgres"."analytics"."fct_general_ledger_by_period"
    where is_year_end
),

expected as (
    select * from "postgres"."analytics"."int_account_year_balances"
    where sie_closing_balance is not null
),

final as (
    select
        expected.company_id,
        expected.financial_year,
        expected.file_name,
        expected.account_number,
        expected.sie_closing_balance as expected_closing,
        year_end.closing_balance as trial_balance_closing,
        coalesce(year_end.closing_balance, 0) - expected.sie_closing_balance as difference
    from expected
    left join year_end
        on expected.company_id = year_end.company_id
        and expected.file_sha256 = year_end.file_sha256
        and expected.account_number = year_end.account_number
    where year_end.closing_balance is distinct from expected.sie_closing_balance
)

select * from final
order by company_id, financial_year, account_number