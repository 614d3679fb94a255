-- one row per company, financial year, period, statement and layout row: the row's SIE-sign amounts a year earlier
-- The comparative of a period is the same layout row in the company's previous financial year, in
-- the calendar month twelve months earlier (Fortnox's "föregående år"): its movement in that
-- month, its balance at that month's end and the previous year's opening. A period with no such
-- month (the first year, or the first months after an 18-month year) has no comparative (NULL).
with lines as (
    select * from "postgres"."analytics"."int_report_line_balances"
),

years as (
    select
        company_id,
        file_sha256,
        lag(file_sha256) over (partition by company_id order by financial_year_start) as previous_file_sha256
    from (select distinct company_id, file_sha256, financial_year_start from lines) as years
),

final as (
    select
        current_year.company_id,
        current_year.file_sha256,
        current_year.period,
        current_year.statement,
        current_year.line_code,
        previous_year.period as comparative_period,
        previous_year.year_opening_balance as comparative_year_opening_balance,
        previous_year.movement as comparative_movement,
        previous_year.closing_balance as comparative_closing_balance
    from lines as current_year
    inner join years
        on current_year.company_id = years.company_id
        and current_year.file_sha256 = years.file_sha256
    inner join lines as previous_year
        on current_year.company_id = previous_year.company_id
        and years.previous_file_sha256 = previous_year.file_sha256
        and previous_year.period_month = current_year.period_month - interval '12 month'
        and current_year.statement = previous_year.statement
        and current_year.line_code = previous_year.line_code
)

select * from final