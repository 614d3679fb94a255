-- one row per company (company_key, the organisation number; a company without one: its company_id)
-- A company is one company whether its books came by the Fortnox API (company_id = DatabaseNumber)
-- or by `sie load` (company_id = the file's org number): company_ids lists every id it has here,
-- the Fortnox one first (primary_company_id), as `--company` resolves them. Join a mart with
-- `list_contains(dim_companies.company_ids, mart.company_id)`.
with fortnox as (
    select
        company_id,
        company_key,
        company_name,
        'fortnox' as source,
        cast(null as timestamp with time zone) as loaded_at
    from "postgres"."analytics"."stg_fortnox__company_information"
),

files as (
    select
        company_id,
        company_key,
        company_name,
        case when financial_year_id is null then 'sie' else 'fortnox' end as source,
        loaded_at
    from "postgres"."analytics"."stg_fortnox__sie_files"
),

runs as (
    select
        company_id,
        cast(null as varchar) as company_key,
        cast(null as varchar) as company_name,
        case when profile = 'sie load' then 'sie' else 'fortnox' end as source,
        ended_at as loaded_at
    from "postgres"."analytics"."stg_fortnox__load_runs"
    where outcome = 'completed' and company_id is not null
),

named as (
    select * from fortnox
    union all
    select * from files
    union all
    select * from runs
),

ids as (
    select
        company_id,
        max(company_key) as company_key,
        bool_or(source = 'fortnox') as is_fortnox,
        -- Fortnox's own name for the company before a file's #FNAMN
        (array_agg(company_name order by source <> 'fortnox')
        filter (where source <> 'fortnox' is not null and company_name is not null and (company_name is not null)))[1]
            as company_name,
        max(loaded_at) as last_loaded_at
    from named
    group by company_id
),

companies as (
    select
        company_key,
        array_agg(company_id order by is_fortnox desc, company_id) as company_ids,
        (array_agg(company_name order by (not is_fortnox, company_id))
        filter (where (not is_fortnox, company_id) is not null and company_name is not null and (company_name is not null)))[1]
            as company_name,
        max(last_loaded_at) as last_loaded_at,
        case when company_key is null then min(company_id) end as lone_company_id
    from ids
    group by company_key, case when company_key is null then company_id end
),

-- Every source a company's ids were loaded from, once each, in order.
company_sources as (
    select
        ids.company_key,
        case when ids.company_key is null then ids.company_id end as lone_company_id,
        array_agg(distinct named.source order by named.source) as sources
    from ids
    inner join named on ids.company_id = named.company_id
    group by 1, 2
),

final as (
    select
        companies.company_key,
        companies.company_ids[1] as primary_company_id,
        companies.company_ids,
        companies.company_name,
        company_sources.sources,
        companies.last_loaded_at
    from companies
    inner join company_sources
        on companies.company_key is not distinct from company_sources.company_key
        and companies.lone_company_id is not distinct from company_sources.lone_company_id
)

select * from final