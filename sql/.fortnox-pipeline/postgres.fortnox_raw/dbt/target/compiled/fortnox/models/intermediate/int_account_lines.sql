-- one row per company, financial year (its chosen SIE file) and account (used or in the chart): the statement line it lands in
-- Classification is data: the seed `account_classification` maps ranges of an account's leading
-- digits (compared as text, so '0351' and '351' differ) to lines of `report_layout`. A balance
-- account is matched against the balance sheet's rules and a result account against the income
-- statement's, so each account lands in exactly one line of one statement. When several rules
-- match, a rule for the company (company_id set) beats a general one, then the longest prefix
-- wins (an override for '8999' beats the default '89'); an account no rule matches lands on its
-- statement's `unclassified` line, never dropped. `matching_rules` > 1 at the top rank means the
-- seed is ambiguous for that account (checks/accounts_classified_once.sql).
with used as (
    select company_id, file_sha256, financial_year_id, financial_year, account_number, is_balance_account
    from "postgres"."analytics"."int_account_year_balances"
),

-- Accounts of the year's chart (#KONTO) with no balance and no row are classified too, so that
-- dim_accounts can say where every account of the chart would go.
declared_only as (
    select
        chart.company_id,
        chart.file_sha256,
        files.financial_year_id,
        files.financial_year,
        chart.account_number,
        case
            when bool_or(upper(chart.account_type) in ('T', 'S')) then true
            when bool_or(upper(chart.account_type) in ('K', 'I')) then false
            else left(chart.account_number, 1) in ('1', '2')
        end as is_balance_account
    from "postgres"."analytics"."stg_fortnox__sie_accounts" as chart
    inner join "postgres"."analytics"."int_sie_files_chosen" as files
        on chart.company_id = files.company_id
        and chart.file_sha256 = files.file_sha256
    where not exists (
        select 1 from used
        where used.company_id = chart.company_id
            and used.file_sha256 = chart.file_sha256
            and used.account_number = chart.account_number
    )
    group by chart.company_id, chart.file_sha256, files.financial_year_id, files.financial_year,
        chart.account_number
),

accounts as (
    select * from used
    union all
    select * from declared_only
),

rules as (
    select
        nullif(trim(company_id), '') as company_id,
        trim(statement) as statement,
        trim(prefix_from) as prefix_from,
        trim(prefix_to) as prefix_to,
        trim(line_code) as line_code
    from "postgres"."analytics"."account_classification"
),

matches as (
    select
        accounts.company_id,
        accounts.file_sha256,
        accounts.account_number,
        rules.line_code,
        rules.company_id is not null as is_company_rule,
        length(rules.prefix_from) as prefix_length
    from accounts
    inner join rules
        on rules.statement = case
            when accounts.is_balance_account then 'balance_sheet' else 'income_statement'
        end
        and (rules.company_id is null or rules.company_id = accounts.company_id)
        and length(accounts.account_number) >= length(rules.prefix_from)
        and left(accounts.account_number, length(rules.prefix_from))
            between rules.prefix_from and rules.prefix_to
),

ranked as (
    select
        *,
        rank() over (
            partition by company_id, file_sha256, account_number
            order by is_company_rule desc, prefix_length desc
        ) as match_rank
    from matches
),

best as (
    select
        company_id,
        file_sha256,
        account_number,
        min(line_code) as line_code,
        count(distinct line_code) as matching_rules
    from ranked
    where match_rank = 1
    group by company_id, file_sha256, account_number
),

final as (
    select
        accounts.company_id,
        accounts.financial_year_id,
        accounts.financial_year,
        accounts.file_sha256,
        accounts.account_number,
        accounts.is_balance_account,
        case when accounts.is_balance_account then 'balance_sheet' else 'income_statement' end
            as statement,
        coalesce(best.line_code, 'unclassified') as line_code,
        coalesce(best.matching_rules, 0) as matching_rules
    from accounts
    left join best
        on accounts.company_id = best.company_id
        and accounts.file_sha256 = best.file_sha256
        and accounts.account_number = best.account_number
)

select * from final