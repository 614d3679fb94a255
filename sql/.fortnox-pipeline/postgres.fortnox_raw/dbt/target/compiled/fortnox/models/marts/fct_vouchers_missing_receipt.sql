-- one row per voucher of a series that needs a receipt (manual A, supplier invoices B) with no file attached
-- A voucher has its receipt when a file is connected to it, or (series B) when a file is
-- connected to the supplier invoice it books. Series A and B are Fortnox's defaults for manual
-- vouchers and supplier invoices; edit receipt_series for a company that numbers otherwise.
-- Only companies with file connections loaded are judged: a token without the `connectfile`
-- scope loads none, and would otherwise make every voucher look undocumented.
with receipt_series as (
    select * from (values ('A', 'manual voucher'), ('B', 'supplier invoice')) as t (voucher_series, series_kind)
),

chosen_files as (
    select * from "postgres"."analytics"."int_sie_files_chosen"
),

vouchers as (
    select vouchers.*, chosen_files.financial_year_id
    from "postgres"."analytics"."stg_fortnox__sie_vouchers" as vouchers
    inner join chosen_files
        on vouchers.company_id = chosen_files.company_id
        and vouchers.file_sha256 = chosen_files.file_sha256
),

voucher_files as (
    select * from "postgres"."analytics"."stg_fortnox__voucher_file_connections"
),

invoice_files as (
    select invoices.company_id, invoice_vouchers.voucher_year, invoice_vouchers.voucher_series,
        invoice_vouchers.voucher_number, invoices.given_number
    from "postgres"."analytics"."stg_fortnox__supplier_invoice_file_connections" as files
    inner join "postgres"."analytics"."stg_fortnox__supplier_invoices" as invoices
        on files.company_id = invoices.company_id
        and files.given_number = invoices.given_number
    inner join "postgres"."analytics"."stg_fortnox__supplier_invoice_vouchers" as invoice_vouchers
        on invoices.dlt_row_id = invoice_vouchers.supplier_invoice_row_id
),

judged_companies as (
    select distinct company_id from voucher_files
    union
    select distinct company_id from "postgres"."analytics"."stg_fortnox__supplier_invoice_file_connections"
),

final as (
    select
        vouchers.company_id,
        vouchers.financial_year_id,
        vouchers.voucher_series,
        receipt_series.series_kind,
        vouchers.voucher_number,
        vouchers.voucher_date,
        vouchers.registration_date,
        vouchers.voucher_text,
        vouchers.file_sha256
    from vouchers
    inner join receipt_series on vouchers.voucher_series = receipt_series.voucher_series
    inner join judged_companies on vouchers.company_id = judged_companies.company_id
    where not exists (
        select 1 from voucher_files
        where voucher_files.company_id = vouchers.company_id
            and voucher_files.financial_year_id = vouchers.financial_year_id
            and voucher_files.voucher_series = vouchers.voucher_series
            and voucher_files.voucher_number = vouchers.voucher_number
    )
    and not exists (
        select 1 from invoice_files
        where invoice_files.company_id = vouchers.company_id
            and invoice_files.voucher_year = vouchers.financial_year_id
            and invoice_files.voucher_series = vouchers.voucher_series
            and invoice_files.voucher_number = vouchers.voucher_number
    )
)

select * from final