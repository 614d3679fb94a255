
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  -- one row per voucher (of a chosen SIE file) whose booked #TRANS rows do not sum to zero
with booked_rows as (
    select * from "postgres"."analytics"."int_gl_booked_rows"
),

final as (
    select
        company_id,
        financial_year,
        voucher_series,
        voucher_number,
        min(voucher_date) as voucher_date,
        sum(amount) as imbalance,
        count(*) as booked_rows
    from booked_rows
    group by company_id, financial_year, file_sha256, voucher_series, voucher_number
    having sum(amount) <> 0
)

select * from final
order by company_id, financial_year, voucher_series, voucher_number
  
  
      
    ) dbt_internal_test