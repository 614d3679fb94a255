-- one row per file connected to a supplier invoice (Fortnox /3/supplierinvoicefileconnections)
-- SupplierInvoiceNumber is the invoice's GivenNumber (Fortnox's running number), sent as text.
with source as (
    select
        "company_id",
        "file_id",
        "supplier_invoice_number",
        "supplier_name",
        "name"
    from "postgres"."fortnox_raw"."supplier_invoice_file_connections"
),

renamed as (
    select
        cast(company_id as varchar) as company_id,
        cast(file_id as varchar) as file_id,
        cast(supplier_invoice_number as bigint) as given_number,
        cast(supplier_name as varchar) as supplier_name,
        cast(name as varchar) as file_name
    from source
)

select * from renamed