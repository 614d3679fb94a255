
    select company_id, subledger, reconciliation_date, document_number, count(*) as copies
    from "postgres"."analytics"."int_open_items"
    group by company_id, subledger, reconciliation_date, document_number
    having count(*) > 1
