-- one row per company, financial year (its chosen SIE file) and account: the statement line it lands in
-- Classification is data: the seed `account_classification` maps ranges of an account's leading
-- digits (compared as text, so '0351' and '351' differ) to lines of `report_layout`. A balance
-- account is matched against the balance sheet's rules and a result account against the income
-- statement's, so each account lands in exactly one line of one statement. When several rules
-- match, a rule for the company (company_id set) beats a general one, then the longest prefix
-- wins (an override for '8999' beats the default '89'); an account no rule matches lands on its
-- statement's `unclassified` line, never dropped. `matching_rules` > 1 at the top rank means the
-- seed is ambiguous for that account (checks/accounts_classified_once.sql).
with accounts as (
    select company_id, file_sha256, financial_year_id, financial_year, account_number, is_balance_account
    from int_account_year_balances
),

rules as (
    select
        nullif(trim(company_id), '') as company_id,
        trim(statement) as statement,
        trim(prefix_from) as prefix_from,
        trim(prefix_to) as prefix_to,
        trim(line_code) as line_code
    from account_classification
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
