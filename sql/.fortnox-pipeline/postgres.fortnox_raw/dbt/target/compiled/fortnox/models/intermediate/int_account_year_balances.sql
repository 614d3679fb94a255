-- one row per company, financial year and account: opening, movement and closing, with SIE's own closing
-- Balance accounts open at #IB of year 0 (or #UB of year -1 when a file has no #IB); result
-- accounts open at zero. An account is a balance account when the file says so (#KTYP T or S;
-- K or I is a result account), else when BAS says so (the account's text starts with 1 or 2):
-- real files do declare e.g. 3740 (öresutjämning) as an asset with #IB/#UB. Account numbers are
-- text as written; debit and credit are the booked rows' positive and negative sides. The SIE
-- closing is #UB (balance) or #RES (result) of year 0; a file that declares closing balances at
-- all is expected to declare every non-zero one.
with files as (
    select * from "postgres"."analytics"."int_sie_files_chosen"
),

balances as (
    select balances.*
    from "postgres"."analytics"."stg_fortnox__sie_balances" as balances
    inner join files
        on balances.company_id = files.company_id
        and balances.file_sha256 = files.file_sha256
    where balances.balance_record in ('IB', 'UB', 'RES')
        and balances.year_index in (0, -1)
        and balances.object_id is null
),

file_records as (
    select
        company_id,
        file_sha256,
        bool_or(balance_record = 'IB' and year_index = 0) as has_opening_balances,
        bool_or(balance_record = 'UB' and year_index = 0) as has_closing_balances,
        bool_or(balance_record = 'RES' and year_index = 0) as has_results
    from balances
    group by company_id, file_sha256
),

sie_by_account as (
    select
        company_id,
        file_sha256,
        account_number,
        sum(amount) filter (where balance_record = 'IB' and year_index = 0) as sie_opening,
        sum(amount) filter (where balance_record = 'UB' and year_index = -1) as sie_previous_closing,
        sum(amount) filter (where balance_record = 'UB' and year_index = 0) as sie_closing,
        sum(amount) filter (where balance_record = 'RES' and year_index = 0) as sie_result
    from balances
    group by company_id, file_sha256, account_number
),

declared_types as (
    select
        company_id,
        file_sha256,
        account_number,
        bool_or(upper(account_type) in ('T', 'S')) as declared_balance,
        bool_or(upper(account_type) in ('K', 'I')) as declared_result
    from "postgres"."analytics"."stg_fortnox__sie_accounts"
    group by company_id, file_sha256, account_number
),

movements as (
    select
        company_id,
        file_sha256,
        account_number,
        sum(amount) as movement,
        coalesce(sum(amount) filter (where amount > 0), 0) as debit,
        coalesce(-sum(amount) filter (where amount < 0), 0) as credit,
        count(*) as booked_rows
    from "postgres"."analytics"."int_gl_booked_rows"
    group by company_id, file_sha256, account_number
),

accounts as (
    select company_id, file_sha256, account_number from sie_by_account
    union
    select company_id, file_sha256, account_number from movements
),

classified as (
    select
        accounts.*,
        case
            when declared_types.declared_balance then true
            when declared_types.declared_result then false
            else left(accounts.account_number, 1) in ('1', '2')
        end as is_balance_account
    from accounts
    left join declared_types
        on accounts.company_id = declared_types.company_id
        and accounts.file_sha256 = declared_types.file_sha256
        and accounts.account_number = declared_types.account_number
),

final as (
    select
        files.company_id,
        files.financial_year_id,
        files.financial_year,
        files.financial_year_start,
        files.financial_year_end,
        files.file_sha256,
        files.file_name,
        accounts.account_number,
        accounts.is_balance_account,
        case
            when not accounts.is_balance_account then 0
            when coalesce(file_records.has_opening_balances, false)
                then coalesce(sie_by_account.sie_opening, 0)
            else coalesce(sie_by_account.sie_previous_closing, 0)
        end::decimal(18, 2) as opening_balance,
        coalesce(movements.movement, 0)::decimal(18, 2) as movement,
        coalesce(movements.debit, 0)::decimal(18, 2) as debit,
        coalesce(movements.credit, 0)::decimal(18, 2) as credit,
        coalesce(movements.booked_rows, 0) as booked_rows,
        case
            when accounts.is_balance_account and file_records.has_closing_balances
                then coalesce(sie_by_account.sie_closing, 0)
            when not accounts.is_balance_account
                and (file_records.has_results or file_records.has_closing_balances)
                then coalesce(sie_by_account.sie_result, 0)
        end::decimal(18, 2) as sie_closing_balance
    from classified as accounts
    inner join files
        on accounts.company_id = files.company_id
        and accounts.file_sha256 = files.file_sha256
    left join file_records
        on accounts.company_id = file_records.company_id
        and accounts.file_sha256 = file_records.file_sha256
    left join sie_by_account
        on accounts.company_id = sie_by_account.company_id
        and accounts.file_sha256 = sie_by_account.file_sha256
        and accounts.account_number = sie_by_account.account_number
    left join movements
        on accounts.company_id = movements.company_id
        and accounts.file_sha256 = movements.file_sha256
        and accounts.account_number = movements.account_number
)

select
    *,
    (opening_balance + movement)::decimal(18, 2) as closing_balance
from final