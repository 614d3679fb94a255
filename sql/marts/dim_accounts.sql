-- one row per company and account: its name from the latest chart, its BAS class and report lines
-- Accounts used in vouchers or balances but never declared (common in real SIE files) are kept,
-- with no name. Balance or result account: #KTYP when the file declares it, else BAS (1-2 vs 3-8).
with chart as (
    select
        accounts.company_id,
        accounts.account_number,
        accounts.account_name,
        accounts.account_type,
        files.financial_year_start
    from stg_fortnox__sie_accounts as accounts
    inner join int_sie_files_chosen as files
        on accounts.company_id = files.company_id
        and accounts.file_sha256 = files.file_sha256
),

latest_declaration as (
    select
        company_id,
        account_number,
        arg_max(account_name, financial_year_start) as account_name,
        arg_max(account_type, financial_year_start) as account_type
    from chart
    group by company_id, account_number
),

used as (
    select distinct company_id, account_number from int_account_year_balances
),

accounts as (
    select company_id, account_number from latest_declaration
    union
    select company_id, account_number from used
),

lines as (
    select * from int_bas_report_lines
),

final as (
    select
        accounts.company_id,
        accounts.account_number,
        latest_declaration.account_name,
        latest_declaration.account_type,
        case
            when upper(latest_declaration.account_type) in ('T', 'S') then true
            when upper(latest_declaration.account_type) in ('K', 'I') then false
            else try_cast(accounts.account_number as bigint) < 3000
        end as is_balance_account,
        try_cast(accounts.account_number as bigint) // 1000 as bas_class,
        try_cast(accounts.account_number as bigint) // 100 as bas_group,
        balance_line.line_code as balance_sheet_line,
        income_line.line_code as income_statement_line
    from accounts
    left join latest_declaration
        on accounts.company_id = latest_declaration.company_id
        and accounts.account_number = latest_declaration.account_number
    left join lines as balance_line
        on balance_line.statement = 'balance_sheet'
        and balance_line.line_code <> 'calculated_result'
        and try_cast(accounts.account_number as bigint) between balance_line.account_from and balance_line.account_to
    left join lines as income_line
        on income_line.statement = 'income_statement'
        and try_cast(accounts.account_number as bigint) between income_line.account_from and income_line.account_to
)

select * from final
