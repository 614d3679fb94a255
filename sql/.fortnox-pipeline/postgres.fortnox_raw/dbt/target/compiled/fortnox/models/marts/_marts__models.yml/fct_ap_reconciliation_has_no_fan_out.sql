
    select company_id, reconciliation_date, count(*) as copies
    from "postgres"."analytics"."fct_ap_reconciliation"
    group by company_id, reconciliation_date
    having count(*) > 1
