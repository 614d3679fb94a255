-- one row per booked row on a control account (AR, AP) whose voucher has no invoice or payment behind it
-- These rows are what explains a subledger difference: e.g. a manual voucher straight on 1510.
-- A voucher is "behind a document" when an invoice, supplier invoice or payment names it
-- (voucher series, number and financial year).
with control_accounts as (
    select distinct
        company_id,
        case predefined_name
            when 'CUSTOMERRECEIVABLES' then 'AR'
            when 'SUPPLIERDEBT' then 'AP'
        end as subledger,
        account_number
    from stg_fortnox__predefined_accounts
    where predefined_name in ('CUSTOMERRECEIVABLES', 'SUPPLIERDEBT')
),

document_vouchers as (
    select company_id, voucher_series, voucher_number, voucher_year
    from stg_fortnox__invoices
    where voucher_number is not null
    union
    select company_id, voucher_series, voucher_number, voucher_year
    from stg_fortnox__invoice_payments
    where voucher_number is not null
    union
    select company_id, voucher_series, voucher_number, voucher_year
    from stg_fortnox__supplier_invoices
    where voucher_number is not null
    union
    select company_id, voucher_series, voucher_number, voucher_year
    from stg_fortnox__supplier_invoice_payments
    where voucher_number is not null
),

control_rows as (
    select
        booked_rows.*,
        control_accounts.subledger
    from int_gl_booked_rows as booked_rows
    inner join control_accounts
        on booked_rows.company_id = control_accounts.company_id
        and booked_rows.account_number = control_accounts.account_number
),

final as (
    select
        control_rows.company_id,
        control_rows.subledger,
        control_rows.financial_year_id,
        control_rows.financial_year,
        control_rows.voucher_series,
        control_rows.voucher_number,
        control_rows.row_no,
        control_rows.voucher_date,
        control_rows.account_number,
        control_rows.amount,
        control_rows.voucher_text
    from control_rows
    where not exists (
        select 1
        from document_vouchers
        where document_vouchers.company_id = control_rows.company_id
            and document_vouchers.voucher_series = control_rows.voucher_series
            and document_vouchers.voucher_number = control_rows.voucher_number
            and (
                document_vouchers.voucher_year is null
                or control_rows.financial_year_id is null
                or document_vouchers.voucher_year = control_rows.financial_year_id
            )
    )
)

select * from final
