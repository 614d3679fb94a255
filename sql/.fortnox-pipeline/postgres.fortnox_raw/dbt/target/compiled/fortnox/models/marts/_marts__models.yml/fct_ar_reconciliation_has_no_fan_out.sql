
    select company_id, reconciliation_date, count(*) as copies
    from "postgres"."analytics"."fct_ar_reconciliation"
    group by company_id, reconciliation_date
    having count(*) > 1
