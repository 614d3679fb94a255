
  
    

  create  table "postgres"."analytics"."int_unmatched_control_rows__dbt_tmp"
  
  
    as
  
  (
    -- one row per booked row on a control account (AR, AP) whose voucher has no invoice or payment behind it
-- These rows are what explains a subledger difference: e.g. a manual voucher straight on 1510.
-- A voucher is "behind a document" when an invoice, supplier invoice or payment names it
-- (voucher series, number and financial year), on the record itself or, for supplier invoices,
-- in their nested `Vouchers` list (which names the payments' vouchers too). Payments loaded
-- from Fortnox's list endpoint carry no voucher reference: a row then counts as behind such a
-- payment when it is on the payment date for exactly the payment's amount at the invoice rate.
with control_accounts as (
    select * from "postgres"."analytics"."int_control_accounts"
),

document_vouchers as (
    select company_id, voucher_series, voucher_number, voucher_year
    from "postgres"."analytics"."stg_fortnox__invoices"
    where voucher_number is not null
    union
    select company_id, voucher_series, voucher_number, voucher_year
    from "postgres"."analytics"."stg_fortnox__invoice_payments"
    where voucher_number is not null
    union
    select company_id, voucher_series, voucher_number, voucher_year
    from "postgres"."analytics"."stg_fortnox__supplier_invoices"
    where voucher_number is not null
    union
    select company_id, voucher_series, voucher_number, voucher_year
    from "postgres"."analytics"."stg_fortnox__supplier_invoice_payments"
    where voucher_number is not null
    union
    select invoices.company_id, vouchers.voucher_series, vouchers.voucher_number, vouchers.voucher_year
    from "postgres"."analytics"."stg_fortnox__supplier_invoice_vouchers" as vouchers
    inner join "postgres"."analytics"."stg_fortnox__supplier_invoices" as invoices
        on vouchers.supplier_invoice_row_id = invoices.dlt_row_id
    where vouchers.voucher_number is not null
),

unreferenced_payments as (
    select
        payments.company_id,
        'AR' as subledger,
        payments.payment_date,
        -round(
            case
                when invoices.currency = 'SEK' then payments.amount
                else coalesce(
                    payments.amount_currency, round(payments.amount / payments.currency_rate, 2)
                )
            end * invoices.currency_rate,
            2
        ) as ledger_amount
    from "postgres"."analytics"."stg_fortnox__invoice_payments" as payments
    inner join "postgres"."analytics"."stg_fortnox__invoices" as invoices
        on payments.company_id = invoices.company_id
        and payments.invoice_number = invoices.invoice_number
    where payments.voucher_number is null
    union all
    select
        company_id,
        'AP' as subledger,
        payment_date,
        amount as ledger_amount
    from "postgres"."analytics"."stg_fortnox__supplier_invoice_payments"
    where voucher_number is null
),

control_rows as (
    select
        booked_rows.*,
        control_accounts.subledger
    from "postgres"."analytics"."int_gl_booked_rows" as booked_rows
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
    and not exists (
        select 1
        from unreferenced_payments
        where unreferenced_payments.company_id = control_rows.company_id
            and unreferenced_payments.subledger = control_rows.subledger
            and unreferenced_payments.payment_date = control_rows.voucher_date
            and unreferenced_payments.ledger_amount = control_rows.amount
    )
)

select * from final
  );
  