-- one row per company and predefined account name (CUSTOMERRECEIVABLES, SUPPLIERDEBT, ...)
-- Fortnox may return the list once per financial year; the same name maps to one account.
with source as (
    select
        "company_id",
        "account",
        "name"
    from "postgres"."fortnox_raw"."predefined_accounts"
),

renamed as (
    select distinct
        cast(company_id as varchar) as company_id,
        upper(cast(name as varchar)) as predefined_name,
        cast(account as varchar) as account_number
    from source
)

select * from renamed