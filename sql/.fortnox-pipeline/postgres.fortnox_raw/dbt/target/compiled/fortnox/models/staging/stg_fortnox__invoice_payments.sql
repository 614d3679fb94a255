-- one row per company and customer invoice payment (payment number)
-- AmountCurrency and the voucher reference are only on Fortnox's payment detail record, hence
-- optional here.
-- A company with no such documents yet has no `invoice_payments` table (dlt creates none for a
-- resource that returned no rows): read it as empty, not as a reason to skip AR/AP.
with source as (
    select
        "company_id",
        "number",
        "invoice_number",
        "amount",
        cast(null as decimal(18, 2)) as "amount_currency",
        "payment_date",
        cast(null as bigint) as "voucher_number",
        cast(null as bigint) as "voucher_year",
        "currency_rate",
        "booked",
        cast(null as varchar) as "voucher_series",
        "currency"
    from "postgres"."fortnox_raw"."invoice_payments"
),

renamed as (
    select
        cast(company_id as varchar) as company_id,
        cast(number as varchar) as payment_number,
        cast(invoice_number as bigint) as invoice_number,
        cast(amount as decimal(18, 2)) as amount,
        cast(amount_currency as decimal(18, 2)) as amount_currency,
        coalesce(nullif(cast(currency as varchar), ''), 'SEK') as currency,
        coalesce(cast(currency_rate as decimal(18, 6)), 1) as currency_rate,
        cast(payment_date as date) as payment_date,
        coalesce(cast(booked as boolean), true) as is_booked,
        nullif(cast(voucher_series as varchar), '') as voucher_series,
        cast(voucher_number as bigint) as voucher_number,
        cast(voucher_year as bigint) as voucher_year
    from source
)

select * from renamed