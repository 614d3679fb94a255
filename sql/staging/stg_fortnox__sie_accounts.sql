-- one row per SIE file and account of its chart (#KONTO)
with source as (
    select * from sie_accounts
),

renamed as (
    select
        cast(company_id as varchar) as company_id,
        cast(file_sha256 as varchar) as file_sha256,
        cast(account_number as varchar) as account_number,
        try_cast(account_number as bigint) as account_sort_key,
        cast(account_name as varchar) as account_name,
        cast(account_type as varchar) as account_type
    from source
)

select * from renamed
