
  
    

  create  table "postgres"."analytics"."stg_fortnox__sie_files__dbt_tmp"
  
  
    as
  
  (
    -- one row per loaded SIE file (company, file_sha256)
-- financial_year_id is only present for files fetched from Fortnox (the Fortnox financial year
-- Id); the empty branch of the union gives the column when the warehouse holds none of those.
with source as (
    select
        "company_id",
        "file_sha256",
        "financial_year_id",
        "file_name",
        "program",
        "program_version",
        "generated_on",
        "company_name",
        "org_number",
        "year_start",
        "year_end",
        "checksum_status",
        "loaded_at"
    from "postgres"."fortnox_raw"."sie_files"
),

digits as (
    select
        *,
        regexp_replace(cast(org_number as varchar), '[^0-9]', '', 'g') as org_digits
    from source
),

renamed as (
    select
        cast(company_id as varchar) as company_id,
        -- the #ORGNR as NNNNNN-NNNN (the loaders' rule), null without a valid one
        case
            when length(org_digits) = 12 then substr(org_digits, 3, 6) || '-' || substr(org_digits, 9)
            when length(org_digits) = 10 then substr(org_digits, 1, 6) || '-' || substr(org_digits, 7)
        end as company_key,
        cast(file_sha256 as varchar) as file_sha256,
        cast(financial_year_id as bigint) as financial_year_id,
        cast(file_name as varchar) as file_name,
        cast(program as varchar) as program,
        cast(program_version as varchar) as program_version,
        cast(generated_on as date) as generated_on,
        cast(company_name as varchar) as company_name,
        cast(org_number as varchar) as org_number,
        cast(year_start as date) as year_start,
        cast(year_end as date) as year_end,
        cast(checksum_status as varchar) as checksum_status,
        cast(loaded_at as timestamptz) as loaded_at
    from digits
)

select * from renamed
  );
  