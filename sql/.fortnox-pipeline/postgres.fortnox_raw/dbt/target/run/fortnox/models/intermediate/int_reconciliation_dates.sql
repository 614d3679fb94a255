
  
    

  create  table "postgres"."analytics"."int_reconciliation_dates__dbt_tmp"
  
  
    as
  
  (
    -- one row per company and reconciliation date: each month end of a loaded financial year up to the as-of date, and the as-of date
-- The as-of date is the `as_of_date()` session setting (`--as-of`), else the company's data
-- date: the latest date its books carry (a booked voucher, an invoice, a payment), never the
-- wall clock, so that the same warehouse always gives the same figures. It is kept even
-- outside the loaded years (for aging); the ledger side is then unknown.


with years as (
    select * from "postgres"."analytics"."int_sie_files_chosen"
    where financial_year_start is not null
),

data_dates as (
    select company_id, max(voucher_date) as data_date from "postgres"."analytics"."int_gl_booked_rows" group by company_id
    union all
    select company_id, max(invoice_date) from "postgres"."analytics"."stg_fortnox__invoices" group by company_id
    union all
    select company_id, max(payment_date) from "postgres"."analytics"."stg_fortnox__invoice_payments" group by company_id
    union all
    select company_id, max(invoice_date) from "postgres"."analytics"."stg_fortnox__supplier_invoices" group by company_id
    union all
    select company_id, max(payment_date) from "postgres"."analytics"."stg_fortnox__supplier_invoice_payments"
    group by company_id
),

as_of as (
    select
        company_id,
        coalesce(cast(nullif(current_setting('fortnox.as_of_date', true), '') as date), max(data_date)) as as_of_date
    from data_dates
    group by company_id
),

months as (
    select
        company_id,
        financial_year_end,
        cast(
            generate_series(
                cast(date_trunc('month', financial_year_start) as timestamp),
                cast(financial_year_end as timestamp),
                interval '1 month'
            ) as date
        ) as period_month
    from years
),

month_ends as (
    select distinct
        months.company_id,
        least(cast(date_trunc('month', months.period_month) + interval '1 month' - interval '1 day' as date), months.financial_year_end) as reconciliation_date
    from months
    inner join as_of on months.company_id = as_of.company_id
    where least(cast(date_trunc('month', months.period_month) + interval '1 month' - interval '1 day' as date), months.financial_year_end) <= as_of.as_of_date
),

as_of_dates as (
    select distinct
        years.company_id,
        as_of.as_of_date as reconciliation_date
    from years
    inner join as_of on years.company_id = as_of.company_id
    where as_of.as_of_date is not null
),

dates as (
    select company_id, reconciliation_date from month_ends
    union
    select company_id, reconciliation_date from as_of_dates
),

final as (
    select
        dates.company_id,
        dates.reconciliation_date,
        dates.reconciliation_date in (select reconciliation_date from month_ends as m
            where m.company_id = dates.company_id) as is_month_end,
        dates.reconciliation_date = as_of.as_of_date as is_as_of,
        years.financial_year_id,
        years.financial_year,
        years.financial_year_start,
        years.financial_year_end,
        years.file_sha256
    from dates
    inner join as_of on dates.company_id = as_of.company_id
    left join years
        on dates.company_id = years.company_id
        and dates.reconciliation_date between years.financial_year_start and years.financial_year_end
)

select * from final
  );
  