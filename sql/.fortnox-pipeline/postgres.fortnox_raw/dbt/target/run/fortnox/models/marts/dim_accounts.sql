
  
    

  create  table "postgres"."analytics"."dim_accounts__dbt_tmp"
  
  
    as
  
  (
    -- one row per company and account: its name and type from the latest chart, its BAS class and statement lines
-- Account numbers are text exactly as written ('0351' and '351' are two accounts);
-- `account_sort_key` is the number where the text is one, to sort by. Accounts used in vouchers
-- or balances but never declared (common in real SIE files) are kept, with no name.
-- `account_type` is the file's #KTYP (T asset, S liability/equity, K cost, I income) when it
-- declares one, else the BAS class's: 1 T, 2 S, 3 I, 80-83 I (financial income), 4-8 K
-- (`account_type_source` says which). Balance or result account: #KTYP, else BAS (1-2 vs 3-8).
-- The statement lines are those of the account in the latest loaded year (int_account_lines).
with chart as (
    select
        accounts.company_id,
        accounts.account_number,
        accounts.account_name,
        nullif(upper(trim(accounts.account_type)), '') as account_type,
        accounts.sru_codes,
        files.financial_year_start
    from "postgres"."analytics"."stg_fortnox__sie_accounts" as accounts
    inner join "postgres"."analytics"."int_sie_files_chosen" as files
        on accounts.company_id = files.company_id
        and accounts.file_sha256 = files.file_sha256
),

latest_declaration as (
    select
        company_id,
        account_number,
        (array_agg(account_name order by financial_year_start desc)
        filter (where financial_year_start is not null and account_name is not null))[1] as account_name,
        (array_agg(account_type order by financial_year_start desc)
        filter (where financial_year_start is not null and account_type is not null and (account_type is not null)))[1]
            as declared_account_type,
        (array_agg(sru_codes order by financial_year_start desc)
        filter (where financial_year_start is not null and sru_codes is not null and (sru_codes is not null)))[1]
            as sru_codes
    from chart
    group by company_id, account_number
),

latest_lines as (
    select
        lines.company_id,
        lines.account_number,
        (array_agg(lines.statement order by years.financial_year_start desc)
        filter (where years.financial_year_start is not null and lines.statement is not null))[1] as statement,
        (array_agg(lines.line_code order by years.financial_year_start desc)
        filter (where years.financial_year_start is not null and lines.line_code is not null))[1] as line_code
    from "postgres"."analytics"."int_account_lines" as lines
    inner join "postgres"."analytics"."int_sie_files_chosen" as years
        on lines.company_id = years.company_id
        and lines.file_sha256 = years.file_sha256
    group by lines.company_id, lines.account_number
),

accounts as (
    select company_id, account_number from latest_declaration
    union
    select company_id, account_number from latest_lines
),

typed as (
    select
        accounts.company_id,
        accounts.account_number,
        latest_declaration.account_name,
        latest_declaration.sru_codes,
        latest_declaration.declared_account_type,
        case
            when latest_declaration.declared_account_type in ('T', 'S', 'K', 'I')
                then latest_declaration.declared_account_type
            when left(accounts.account_number, 1) = '1' then 'T'
            when left(accounts.account_number, 1) = '2' then 'S'
            when left(accounts.account_number, 1) = '3' then 'I'
            when left(accounts.account_number, 2) between '80' and '83'
                and length(accounts.account_number) >= 2 then 'I'
            when left(accounts.account_number, 1) between '4' and '8' then 'K'
        end as account_type,
        latest_lines.statement,
        latest_lines.line_code
    from accounts
    left join latest_declaration
        on accounts.company_id = latest_declaration.company_id
        and accounts.account_number = latest_declaration.account_number
    left join latest_lines
        on accounts.company_id = latest_lines.company_id
        and accounts.account_number = latest_lines.account_number
),

final as (
    select
        company_id,
        account_number,
        case
            when account_number ~ '^\s*[+-]?[0-9]{1,18}\s*$'
                then cast(account_number as bigint)
        end as account_sort_key,
        account_name,
        account_type,
        case
            when declared_account_type in ('T', 'S', 'K', 'I') then 'KTYP'
            when account_type is not null then 'BAS'
        end as account_type_source,
        case
            when declared_account_type in ('T', 'S') then true
            when declared_account_type in ('K', 'I') then false
            else left(account_number, 1) in ('1', '2')
        end as is_balance_account,
        left(account_number, 1) as bas_class,
        left(account_number, 2) as bas_group,
        sru_codes,
        case when statement = 'balance_sheet' then line_code end as balance_sheet_line,
        case when statement = 'income_statement' then line_code end as income_statement_line
    from typed
)

select * from final
  );
  