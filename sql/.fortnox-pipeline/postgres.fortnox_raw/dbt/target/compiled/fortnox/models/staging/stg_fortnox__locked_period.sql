-- one row per company and observation of Fortnox's locked period (end_date as seen at seen_at)
-- A warehouse loaded from SIE files alone has no locked period: it then reads as empty, so that
-- every figure is provisional instead of the models being skipped.
with source as (
    select
        "company_id",
        "seen_at",
        "end_date"
    from "postgres"."fortnox_raw"."locked_period"
),

renamed as (
    select
        cast(company_id as varchar) as company_id,
        cast(nullif(cast(end_date as varchar), '') as date) as locked_through,
        cast(seen_at as timestamptz) as seen_at
    from source
)

select * from renamed