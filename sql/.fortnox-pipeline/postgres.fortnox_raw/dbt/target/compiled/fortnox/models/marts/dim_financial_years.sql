-- one row per company and financial year loaded from SIE, with the file the models use for it
with years as (
    select * from "postgres"."analytics"."int_sie_files_chosen"
),

locked as (
    select * from "postgres"."analytics"."dim_locked_period"
),

final as (
    select
        years.company_id,
        years.financial_year_id,
        years.financial_year,
        years.financial_year_start,
        years.financial_year_end,
        years.has_declared_year,
        years.file_sha256,
        years.file_name,
        years.program,
        years.generated_on,
        years.loaded_at,
        years.company_name,
        years.org_number,
        locked.locked_through,
        coalesce(years.financial_year_end <= locked.locked_through, false) as is_final
    from years
    left join locked on years.company_id = locked.company_id
)

select * from final