-- one row per company, financial year, period and income statement row (ÅRL/K2 kostnadsslagsindelad: lines, subtotals, the result)
-- Signs as in Fortnox's Resultatrapport: income positive, costs negative (the negated SIE
-- amounts), so the `line` rows add up to `net_result` (Årets resultat). Lines and subtotals come
-- from the seeds `report_layout` and `account_classification` (BAS groups; override per
-- company there). The closing entry (8990-8999, booked against 2099 when a year is closed) is
-- the `excluded` row: shown, never counted, so a closed year keeps its real result.
-- period_amount: the period's movement; year_to_date_amount: from the year's start through the
-- period; comparative_*: the same calendar month of the previous financial year (NULL when none).
with report_lines as (
    select * from "postgres"."analytics"."int_report_line_balances"
    where statement = 'income_statement'
),

comparatives as (
    select * from "postgres"."analytics"."int_report_comparatives"
    where statement = 'income_statement'
),

final as (
    select
        report_lines.company_id,
        report_lines.financial_year_id,
        report_lines.financial_year,
        report_lines.financial_year_start,
        report_lines.financial_year_end,
        report_lines.period,
        report_lines.period_index,
        report_lines.period_start,
        report_lines.period_end,
        report_lines.section,
        report_lines.line_code,
        report_lines.line_name,
        report_lines.row_type,
        report_lines.sort_order,
        (-report_lines.movement)::decimal(18, 2) as period_amount,
        (-report_lines.closing_balance)::decimal(18, 2) as year_to_date_amount,
        comparatives.comparative_period,
        (-comparatives.comparative_movement)::decimal(18, 2) as comparative_period_amount,
        (-comparatives.comparative_closing_balance)::decimal(18, 2)
            as comparative_year_to_date_amount,
        report_lines.is_final,
        report_lines.file_sha256
    from report_lines
    left join comparatives
        on report_lines.company_id = comparatives.company_id
        and report_lines.file_sha256 = comparatives.file_sha256
        and report_lines.period = comparatives.period
        and report_lines.line_code = comparatives.line_code
)

select * from final