
  
    

  create  table "postgres"."analytics"."int_control_accounts__dbt_tmp"
  
  
    as
  
  (
    -- one row per company, subledger (AR, AP) and general-ledger account that controls it
-- Found through Fortnox's predefined accounts, never hard-coded: customer receivables
-- (CUSTOMERRECEIVABLES, also named CUSTCLAIM) and supplier debt (SUPPLIERDEBT, also SUPDEBT).
with predefined as (
    select * from "postgres"."analytics"."stg_fortnox__predefined_accounts"
),

final as (
    select distinct
        company_id,
        case
            when predefined_name in ('CUSTOMERRECEIVABLES', 'CUSTCLAIM') then 'AR'
            else 'AP'
        end as subledger,
        account_number
    from predefined
    where predefined_name in ('CUSTOMERRECEIVABLES', 'CUSTCLAIM', 'SUPPLIERDEBT', 'SUPDEBT')
        and account_number is not null
)

select * from final
  );
  