-- one row per company and customer invoice (document_number), credit notes included
-- Fortnox sends amounts as numbers or strings depending on the endpoint: cast them all here.
-- A company with no such documents yet has no `invoices` table (dlt creates none for a
-- resource that returned no rows): read it as empty, not as a reason to skip AR/AP.
with source as (
    select
        "company_id",
        "document_number",
        "customer_number",
        "customer_name",
        "invoice_date",
        "due_date",
        "final_pay_date",
        "total",
        "balance",
        "invoice_type",
        "voucher_number",
        "voucher_year",
        "currency_rate",
        "booked",
        "cancelled",
        "voucher_series",
        "currency"
    from "postgres"."fortnox_raw"."invoices"
),

renamed as (
    select
        cast(company_id as varchar) as company_id,
        cast(document_number as bigint) as invoice_number,
        cast(customer_number as varchar) as customer_number,
        cast(customer_name as varchar) as customer_name,
        cast(invoice_date as date) as invoice_date,
        cast(due_date as date) as due_date,
        cast(final_pay_date as date) as final_pay_date,
        coalesce(nullif(cast(currency as varchar), ''), 'SEK') as currency,
        coalesce(cast(currency_rate as decimal(18, 6)), 1) as currency_rate,
        cast(total as decimal(18, 2)) as total,
        cast(balance as decimal(18, 2)) as balance,
        coalesce(cast(booked as boolean), false) as is_booked,
        coalesce(cast(cancelled as boolean), false) as is_cancelled,
        cast(invoice_type as varchar) as invoice_type,
        nullif(cast(voucher_series as varchar), '') as voucher_series,
        cast(voucher_number as bigint) as voucher_number,
        cast(voucher_year as bigint) as voucher_year
    from source
)

select * from renamed