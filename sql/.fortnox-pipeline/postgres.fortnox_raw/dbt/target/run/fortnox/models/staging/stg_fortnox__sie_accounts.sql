
  
    

  create  table "postgres"."analytics"."stg_fortnox__sie_accounts__dbt_tmp"
  
  
    as
  
  (
    -- one row per SIE file and account of its chart (#KONTO)
-- Account numbers are text exactly as written ('0351' and '351' are different accounts).
-- #SRU codes are kept (comma-separated when an account has several) so that a user can classify
-- by the tax form's fields; a file without them reads as NULL.
with source as (
    select
        "company_id",
        "file_sha256",
        "account_number",
        "account_name",
        "account_type",
        "sru_codes"
    from "postgres"."fortnox_raw"."sie_accounts"
),

renamed as (
    select
        cast(company_id as varchar) as company_id,
        cast(file_sha256 as varchar) as file_sha256,
        cast(account_number as varchar) as account_number,
        cast(account_name as varchar) as account_name,
        cast(account_type as varchar) as account_type,
        nullif(cast(sru_codes as varchar), '') as sru_codes
    from source
)

select * from renamed
  );
  