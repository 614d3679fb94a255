
    select company_id, subledger, payment_number, count(*) as copies
    from "postgres"."analytics"."int_subledger_payments"
    group by company_id, subledger, payment_number
    having count(*) > 1
