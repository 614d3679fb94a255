
  
    

  create  table "postgres"."analytics"."int_gl_booked_rows__dbt_tmp"
  
  
    as
  
  (
    -- one row per booked voucher row (#TRANS) of the chosen SIE file of each company and financial year
-- #RTRANS/#BTRANS rows are audit history: the booked voucher is its #TRANS rows, mirrors included.
with files as (
    select * from "postgres"."analytics"."int_sie_files_chosen"
),

voucher_rows as (
    select * from "postgres"."analytics"."stg_fortnox__sie_voucher_rows"
    where row_type = 'TRANS'
),

vouchers as (
    -- One row per voucher key even if a file repeats one, so that a repeated key cannot multiply
    -- rows. 4I files may leave series and number empty: such rows keep their own date.
    select
        company_id,
        file_sha256,
        voucher_series,
        voucher_number,
        min(voucher_date) as voucher_date,
        min(voucher_text) as voucher_text,
        min(registration_date) as registration_date
    from "postgres"."analytics"."stg_fortnox__sie_vouchers"
    group by company_id, file_sha256, voucher_series, voucher_number
),

final as (
    select
        files.company_id,
        files.financial_year_id,
        files.financial_year,
        files.financial_year_start,
        files.financial_year_end,
        files.file_sha256,
        voucher_rows.voucher_series,
        voucher_rows.voucher_number,
        voucher_rows.row_no,
        coalesce(vouchers.voucher_date, voucher_rows.transaction_date) as voucher_date,
        coalesce(voucher_rows.transaction_date, vouchers.voucher_date) as transaction_date,
        vouchers.registration_date,
        voucher_rows.account_number,
        voucher_rows.cost_center,
        voucher_rows.project,
        voucher_rows.amount,
        vouchers.voucher_text,
        voucher_rows.row_text
    from voucher_rows
    inner join files
        on voucher_rows.company_id = files.company_id
        and voucher_rows.file_sha256 = files.file_sha256
    left join vouchers
        on voucher_rows.company_id = vouchers.company_id
        and voucher_rows.file_sha256 = vouchers.file_sha256
        and voucher_rows.voucher_series = vouchers.voucher_series
        and voucher_rows.voucher_number = vouchers.voucher_number
)

select * from final
  );
  