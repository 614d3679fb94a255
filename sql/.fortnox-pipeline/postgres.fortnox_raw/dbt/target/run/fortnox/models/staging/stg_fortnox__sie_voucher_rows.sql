
  create view "postgres"."analytics"."stg_fortnox__sie_voucher_rows__dbt_tmp"
    
    
  as (
    -- one row per SIE file and voucher row (#TRANS, #RTRANS or #BTRANS)
-- A view: a rename and cast of the biggest raw table is cheaper read in place than copied.

with source as (
    select
        "company_id",
        "file_sha256",
        "series",
        "voucher_number",
        "row_no",
        "account_number",
        "amount",
        "transaction_date",
        "text",
        "row_type",
        "cost_center",
        "project"
    from "postgres"."fortnox_raw"."sie_voucher_rows"
),

renamed as (
    select
        cast(company_id as varchar) as company_id,
        cast(file_sha256 as varchar) as file_sha256,
        cast(series as varchar) as voucher_series,
        cast(voucher_number as bigint) as voucher_number,
        cast(row_no as integer) as row_no,
        upper(cast(row_type as varchar)) as row_type,
        cast(account_number as varchar) as account_number,
        nullif(cast(cost_center as varchar), '') as cost_center,
        nullif(cast(project as varchar), '') as project,
        cast(amount as decimal(18, 2)) as amount,
        cast(transaction_date as date) as transaction_date,
        cast(text as varchar) as row_text
    from source
)

select * from renamed
  );