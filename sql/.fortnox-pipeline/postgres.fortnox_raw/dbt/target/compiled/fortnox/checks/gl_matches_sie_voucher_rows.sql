-- one row per company, financial year and account whose general ledger differs from its SIE file's #TRANS rows
-- The general ledger (fct_gl_transactions) must carry every booked row (#TRANS) of each year's
-- chosen SIE file once: the same number of rows and the same sum per account. A join that fans
-- out (a voucher repeated in a file) or drops rows shows here.
with ledger as (
    select
        company_id,
        file_sha256,
        account_number,
        count(*) as ledger_rows,
        sum(amount) as ledger_amount
    from "postgres"."analytics"."fct_gl_transactions"
    group by company_id, file_sha256, account_number
),

files as (
    select company_id, file_sha256, financial_year from "postgres"."analytics"."int_sie_files_chosen"
),

sie as (
    select
        rows.company_id,
        rows.file_sha256,
        rows.account_number,
        count(*) as sie_rows,
        sum(rows.amount) as sie_amount
    from "postgres"."analytics"."stg_fortnox__sie_voucher_rows" as rows
    inner join files
        on rows.company_id = files.company_id
        and rows.file_sha256 = files.file_sha256
    where rows.row_type = 'TRANS'
    group by rows.company_id, rows.file_sha256, rows.account_number
)

select
    coalesce(ledger.company_id, sie.company_id) as company_id,
    files.financial_year,
    coalesce(ledger.account_number, sie.account_number) as account_number,
    coalesce(ledger.ledger_rows, 0) as ledger_rows,
    coalesce(sie.sie_rows, 0) as sie_rows,
    coalesce(ledger.ledger_amount, 0) as ledger_amount,
    coalesce(sie.sie_amount, 0) as sie_amount
from ledger
full outer join sie
    on ledger.company_id = sie.company_id
    and ledger.file_sha256 = sie.file_sha256
    and ledger.account_number = sie.account_number
left join files
    on coalesce(ledger.company_id, sie.company_id) = files.company_id
    and coalesce(ledger.file_sha256, sie.file_sha256) = files.file_sha256
where coalesce(ledger.ledger_rows, 0) <> coalesce(sie.sie_rows, 0)
    or coalesce(ledger.ledger_amount, 0) <> coalesce(sie.sie_amount, 0)