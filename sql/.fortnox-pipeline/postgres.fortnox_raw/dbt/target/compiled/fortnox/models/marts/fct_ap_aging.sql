-- one row per company and supplier invoice open on the as-of date, with its due-date bucket
-- Buckets by days past due on the as-of date (`--as-of`, else the company's latest data date):
-- current (not yet due, days_past_due 0), 1-30, 31-60, 61-90, over 90, and `credits` for
-- credit notes and overpayments (a credit on the counterparty, never overdue). Sum
-- open_amount_sek by aging_bucket for the classic aging report; counterparty_open_amount_sek is
-- the counterparty's net total, credits included. The rules are in int_subledger_aging.
with aging as (
    select * from "postgres"."analytics"."int_subledger_aging"
    where subledger = 'AP'
),

final as (
    select
        company_id,
        as_of_date,
        document_number as given_number,
        supplier_invoice_reference,
        counterparty_number as supplier_number,
        counterparty_name as supplier_name,
        invoice_date,
        due_date,
        days_past_due,
        aging_bucket,
        aging_bucket_order,
        currency,
        total,
        open_amount,
        open_amount_sek,
        counterparty_open_amount_sek,
        status
    from aging
)

select * from final