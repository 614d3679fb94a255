
  create view "postgres"."analytics"."stg_fortnox__sie_vouchers__dbt_tmp"
    
    
  as (
    -- one row per SIE file and voucher (#VER)
-- A view: a rename and cast of a big raw table is cheaper read in place than copied.

with source as (
    select
        "company_id",
        "file_sha256",
        "series",
        "voucher_number",
        "voucher_date",
        "text",
        "registration_date"
    from "postgres"."fortnox_raw"."sie_vouchers"
),

renamed as (
    select
        cast(company_id as varchar) as company_id,
        cast(file_sha256 as varchar) as file_sha256,
        cast(series as varchar) as voucher_series,
        cast(voucher_number as bigint) as voucher_number,
        cast(voucher_date as date) as voucher_date,
        cast(text as varchar) as voucher_text,
        cast(registration_date as date) as registration_date
    from source
)

select * from renamed
  );