-- one row per company, financial year and account whose statement line is ambiguous or not in the layout
-- Every account of the trial balance must land in exactly one line. An account fails when two
-- rules of the seed `account_classification` match it equally well (same company scope, same
-- prefix length, different lines), or when its rule names a line that `report_layout` does not
-- have for that statement (the account would fall out of the statement).
with account_lines as (
    select * from "postgres"."analytics"."int_account_lines"
),

layout as (
    select trim(statement) as statement, trim(line_code) as line_code
    from "postgres"."analytics"."report_layout"
    where trim(row_type) in ('line', 'excluded')
)

select
    account_lines.company_id,
    account_lines.financial_year,
    account_lines.account_number,
    account_lines.statement,
    account_lines.line_code,
    account_lines.matching_rules,
    case
        when account_lines.matching_rules > 1 then 'several rules match equally well'
        else 'line not in report_layout'
    end as problem
from account_lines
left join layout
    on account_lines.statement = layout.statement
    and account_lines.line_code = layout.line_code
where account_lines.matching_rules > 1 or layout.line_code is null