
    select company_id, invoice_number, count(*) as copies
    from "postgres"."analytics"."fct_ar_aging"
    group by company_id, invoice_number
    having count(*) > 1
