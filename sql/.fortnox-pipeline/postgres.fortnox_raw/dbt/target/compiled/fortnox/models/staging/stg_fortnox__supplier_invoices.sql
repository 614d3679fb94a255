-- one row per company and supplier invoice (given_number, Fortnox's own running number)
-- A company with no such documents yet has no `supplier_invoices` table (dlt creates none for a
-- resource that returned no rows): read it as empty, not as a reason to skip AR/AP.
with source as (
    select
        "company_id",
        "given_number",
        "supplier_number",
        "supplier_name",
        "invoice_number",
        "invoice_date",
        "due_date",
        "final_pay_date",
        "total",
        "balance",
        cast(null as bigint) as "voucher_number",
        cast(null as bigint) as "voucher_year",
        "_dlt_id",
        "currency_rate",
        "booked",
        "cancel",
        "credit",
        cast(null as varchar) as "voucher_series",
        "currency"
    from "postgres"."fortnox_raw"."supplier_invoices"
),

renamed as (
    select
        cast(company_id as varchar) as company_id,
        cast(given_number as bigint) as given_number,
        cast(supplier_number as varchar) as supplier_number,
        cast(supplier_name as varchar) as supplier_name,
        cast(invoice_number as varchar) as supplier_invoice_reference,
        cast(invoice_date as date) as invoice_date,
        cast(due_date as date) as due_date,
        cast(final_pay_date as date) as final_pay_date,
        coalesce(nullif(cast(currency as varchar), ''), 'SEK') as currency,
        coalesce(cast(currency_rate as decimal(18, 6)), 1) as currency_rate,
        cast(total as decimal(18, 2)) as total,
        cast(balance as decimal(18, 2)) as balance,
        coalesce(cast(booked as boolean), false) as is_booked,
        coalesce(cast(cancel as boolean), false) as is_cancelled,
        coalesce(cast(credit as boolean), false) as is_credit,
        nullif(cast(voucher_series as varchar), '') as voucher_series,
        cast(voucher_number as bigint) as voucher_number,
        cast(voucher_year as bigint) as voucher_year,
        -- dlt's row id: the key of the nested `Vouchers` list (stg_fortnox__supplier_invoice_vouchers)
        cast(_dlt_id as varchar) as dlt_row_id
    from source
)

select * from renamed