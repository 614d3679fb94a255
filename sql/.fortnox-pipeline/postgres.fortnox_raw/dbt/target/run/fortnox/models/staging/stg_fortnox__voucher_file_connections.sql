
  
    

  create  table "postgres"."analytics"."stg_fortnox__voucher_file_connections__dbt_tmp"
  
  
    as
  
  (
    -- one row per file connected to a voucher (Fortnox /3/voucherfileconnections; metadata only)
-- VoucherYear is the financial year's Id, the same key as sie_* financial_year_id.
with source as (
    select
        "company_id",
        "financial_year_id",
        "file_id",
        "voucher_series",
        "voucher_number",
        "voucher_description"
    from "postgres"."fortnox_raw"."voucher_file_connections"
),

renamed as (
    select
        cast(company_id as varchar) as company_id,
        cast(financial_year_id as bigint) as financial_year_id,
        cast(file_id as varchar) as file_id,
        cast(voucher_series as varchar) as voucher_series,
        cast(voucher_number as bigint) as voucher_number,
        cast(voucher_description as varchar) as voucher_description
    from source
)

select * from renamed
  );
  