-- one row per company with a known locked period: the date through which its books are final
-- The latest observation wins (a period can be unlocked again); with no observation at all a
-- company has no row here, and every figure of it is provisional.
with observations as (
    select * from "postgres"."analytics"."stg_fortnox__locked_period"
    where company_id is not null
),

final as (
    select
        company_id,
        (array_agg(locked_through order by seen_at desc)
        filter (where seen_at is not null and locked_through is not null))[1] as locked_through,
        max(locked_through) as latest_locked_through_ever,
        min(seen_at) as first_seen_at,
        max(seen_at) as last_seen_at,
        count(*) as observations
    from observations
    group by company_id
)

select * from final