-- one row per Fortnox company (company_id, its DatabaseNumber) with its organisation number
-- A warehouse loaded from SIE files alone has no company information: it then reads as empty.
-- company_key is the organisation number as NNNNNN-NNNN, by the rule of the loaders
-- (`normalise_org_number`: digits only, a 12-digit writing loses its century): computed here
-- from the number as Fortnox wrote it, so rows loaded before company_key existed get it too.
with source as (
    select
        "company_id",
        "organization_number",
        "company_name"
    from "postgres"."fortnox_raw"."company_information"
),

digits as (
    select
        *,
        regexp_replace(cast(organization_number as varchar), '[^0-9]', '', 'g') as org_digits
    from source
),

renamed as (
    select
        cast(company_id as varchar) as company_id,
        case
            when length(org_digits) = 12 then substr(org_digits, 3, 6) || '-' || substr(org_digits, 9)
            when length(org_digits) = 10 then substr(org_digits, 1, 6) || '-' || substr(org_digits, 7)
        end as company_key,
        nullif(cast(company_name as varchar), '') as company_name,
        nullif(cast(organization_number as varchar), '') as organization_number
    from digits
)

select * from renamed