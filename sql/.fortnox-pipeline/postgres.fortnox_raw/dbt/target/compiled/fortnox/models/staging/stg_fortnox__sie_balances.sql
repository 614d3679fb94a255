-- one row per SIE file and balance record (#IB #UB #OIB #OUB #RES #PSALDO #PBUDGET)
with source as (
    select
        "company_id",
        "file_sha256",
        "year_index",
        "period",
        "account_number",
        "dimension",
        "object_id",
        "amount",
        "record"
    from "postgres"."fortnox_raw"."sie_balances"
),

renamed as (
    select
        cast(company_id as varchar) as company_id,
        cast(file_sha256 as varchar) as file_sha256,
        upper(cast(record as varchar)) as balance_record,
        cast(year_index as integer) as year_index,
        cast(period as varchar) as period,
        cast(account_number as varchar) as account_number,
        cast(dimension as varchar) as dimension,
        cast(object_id as varchar) as object_id,
        cast(amount as decimal(18, 2)) as amount
    from source
)

select * from renamed