
  
    

  create  table "postgres"."analytics"."int_account_period_balances__dbt_tmp"
  
  
    as
  
  (
    -- one row per company, financial year, period (calendar month) and account: opening, movement, closing
-- Every account of the year gets every period, so a quiet month still shows its balance. Periods
-- are the year's fiscal months: `period_index` 1 is the year's first month whatever its calendar
-- month (a May-April year, an 18-month first year), `period` its calendar month YYYY-MM. A row
-- dated outside its file's year (bad data) counts in the nearest period of that year, so the
-- year's last closing always equals opening plus every booked row.
with years as (
    select * from "postgres"."analytics"."int_sie_files_chosen"
    where financial_year_start is not null
),

months as (
    select
        company_id,
        file_sha256,
        financial_year_start,
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

periods as (
    select
        company_id,
        file_sha256,
        period_month,
        to_char(period_month, 'YYYY-MM') as period,
        row_number() over (partition by company_id, file_sha256 order by period_month) as period_index,
        greatest(period_month, financial_year_start) as period_start,
        least(cast(date_trunc('month', period_month) + interval '1 month' - interval '1 day' as date), financial_year_end) as period_end
    from months
),

accounts as (
    select * from "postgres"."analytics"."int_account_year_balances"
),

movements as (
    select
        rows.company_id,
        rows.file_sha256,
        rows.account_number,
        least(
            greatest(
                date_trunc('month', rows.voucher_date),
                date_trunc('month', rows.financial_year_start)
            ),
            date_trunc('month', rows.financial_year_end)
        )::date as period_month,
        sum(rows.amount) as movement,
        sum(rows.amount) filter (where rows.amount > 0) as debit,
        -sum(rows.amount) filter (where rows.amount < 0) as credit
    from "postgres"."analytics"."int_gl_booked_rows" as rows
    group by 1, 2, 3, 4
),

grid as (
    select
        accounts.company_id,
        accounts.financial_year_id,
        accounts.financial_year,
        accounts.financial_year_start,
        accounts.financial_year_end,
        accounts.file_sha256,
        periods.period,
        periods.period_index,
        periods.period_month,
        periods.period_start,
        periods.period_end,
        accounts.account_number,
        accounts.is_balance_account,
        accounts.opening_balance as year_opening_balance,
        coalesce(movements.movement, 0)::decimal(18, 2) as movement,
        coalesce(movements.debit, 0)::decimal(18, 2) as debit,
        coalesce(movements.credit, 0)::decimal(18, 2) as credit
    from accounts
    inner join periods
        on accounts.company_id = periods.company_id
        and accounts.file_sha256 = periods.file_sha256
    left join movements
        on accounts.company_id = movements.company_id
        and accounts.file_sha256 = movements.file_sha256
        and accounts.account_number = movements.account_number
        and periods.period_month = movements.period_month
),

final as (
    select
        *,
        (
            year_opening_balance
            + coalesce(
                sum(movement) over (
                    partition by company_id, file_sha256, account_number
                    order by period_start
                    rows between unbounded preceding and 1 preceding
                ),
                0
            )
        )::decimal(18, 2) as opening_balance
    from grid
)

select
    company_id,
    financial_year_id,
    financial_year,
    financial_year_start,
    financial_year_end,
    file_sha256,
    period,
    period_index,
    period_month,
    period_start,
    period_end,
    account_number,
    is_balance_account,
    year_opening_balance,
    opening_balance,
    debit,
    credit,
    movement,
    (opening_balance + movement)::decimal(18, 2) as closing_balance
from final
  );
  