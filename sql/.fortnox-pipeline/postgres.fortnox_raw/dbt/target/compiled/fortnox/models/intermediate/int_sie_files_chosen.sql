-- one row per company and financial year (year start): the SIE file whose figures the models use
-- Several files of one year may be loaded (a June and a December export of the same books): the
-- models use the latest generated, then the latest loaded, and never add files up. Files with no
-- #RAR (SIE 4I transaction files) each stand alone, their year spanning their voucher dates.
with files as (
    select * from "postgres"."analytics"."stg_fortnox__sie_files"
),

voucher_dates as (
    select
        company_id,
        file_sha256,
        min(voucher_date) as first_voucher_date,
        max(voucher_date) as last_voucher_date
    from "postgres"."analytics"."stg_fortnox__sie_vouchers"
    group by company_id, file_sha256
),

ranked as (
    select
        files.*,
        voucher_dates.first_voucher_date,
        voucher_dates.last_voucher_date,
        row_number() over (
            partition by files.company_id, coalesce(cast(files.year_start as varchar), files.file_sha256)
            order by
                files.generated_on desc nulls last,
                files.loaded_at desc nulls last,
                files.file_sha256
        ) as recency_rank
    from files
    left join voucher_dates
        on files.company_id = voucher_dates.company_id
        and files.file_sha256 = voucher_dates.file_sha256
),

final as (
    select
        company_id,
        file_sha256,
        financial_year_id,
        coalesce(year_start, first_voucher_date) as financial_year_start,
        coalesce(year_end, last_voucher_date) as financial_year_end,
        case
            when extract(month from coalesce(year_start, first_voucher_date)) = 1
                and extract(day from coalesce(year_start, first_voucher_date)) = 1
                then cast(cast(extract(year from coalesce(year_start, first_voucher_date)) as integer) as varchar)
            else concat_ws(
                '/',
                cast(extract(year from coalesce(year_start, first_voucher_date)) as integer),
                cast(extract(year from coalesce(year_end, last_voucher_date)) as integer)
            )
        end as financial_year,
        year_start is not null as has_declared_year,
        file_name,
        program,
        program_version,
        generated_on,
        loaded_at,
        company_name,
        org_number
    from ranked
    where recency_rank = 1
)

select * from final