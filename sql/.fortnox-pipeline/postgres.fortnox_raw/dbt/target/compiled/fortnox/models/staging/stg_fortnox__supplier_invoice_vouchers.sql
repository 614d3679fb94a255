-- one row per supplier invoice and voucher that books it or a payment of it (Fortnox `Vouchers`)
-- The supplier invoice list carries its vouchers as a nested list, which dlt lands as the child
-- table supplier_invoices__vouchers (linked by _dlt_parent_id). Without it the table reads as
-- empty and supplier invoice vouchers are matched through the detail's VoucherNumber only.
with source as (
    select
        "_dlt_parent_id",
        "number",
        "year",
        "reference_type",
        "series"
    from "postgres"."fortnox_raw"."supplier_invoices__vouchers"
),

renamed as (
    select
        cast(_dlt_parent_id as varchar) as supplier_invoice_row_id,
        nullif(cast(series as varchar), '') as voucher_series,
        cast(number as bigint) as voucher_number,
        cast(year as bigint) as voucher_year,
        cast(reference_type as varchar) as reference_type
    from source
)

select * from renamed