-- one row per company, subledger (AR, AP) and invoice open on the as-of date, with its due-date bucket
-- The as-of date is `--as-of`, else the company's data date (int_reconciliation_dates). Days
-- past due = as-of date - due date, never negative: a document not yet due is `current` with 0.
-- Buckets by days past due: current, 1-30, 31-60, 61-90, over 90. A document whose open amount
-- is a credit on the counterparty (a credit note, an overpaid invoice) is in `credits`, never
-- in an overdue bucket; `counterparty_open_amount_sek` nets it in the counterparty's total.
-- fct_ar_aging and fct_ap_aging are its two halves, in their own names.
with open_items as (
    select open_items.*
    from "postgres"."analytics"."int_open_items" as open_items
    inner join "postgres"."analytics"."int_reconciliation_dates" as dates
        on open_items.company_id = dates.company_id
        and open_items.reconciliation_date = dates.reconciliation_date
    where dates.is_as_of
),

locked as (
    select * from "postgres"."analytics"."dim_locked_period"
),

final as (
    select
        open_items.company_id,
        open_items.subledger,
        open_items.reconciliation_date as as_of_date,
        open_items.document_number,
        open_items.counterparty_number,
        open_items.counterparty_name,
        open_items.supplier_invoice_reference,
        open_items.invoice_date,
        open_items.due_date,
        -- A credit is owed to the counterparty: nothing of it is past due.
        case
            when open_items.open_amount < 0 then 0
            else greatest(open_items.days_past_due, 0)
        end as days_past_due,
        case
            when open_items.open_amount < 0 then 'credits'
            when open_items.days_past_due <= 0 then 'current'
            when open_items.days_past_due <= 30 then '1-30'
            when open_items.days_past_due <= 60 then '31-60'
            when open_items.days_past_due <= 90 then '61-90'
            else 'over 90'
        end as aging_bucket,
        case
            when open_items.open_amount < 0 then 5
            when open_items.days_past_due <= 0 then 0
            when open_items.days_past_due <= 30 then 1
            when open_items.days_past_due <= 60 then 2
            when open_items.days_past_due <= 90 then 3
            else 4
        end as aging_bucket_order,
        open_items.currency,
        open_items.total,
        open_items.open_amount,
        open_items.open_amount_sek,
        sum(open_items.open_amount_sek) over (
            partition by open_items.company_id, open_items.subledger, open_items.counterparty_number
        )::decimal(18, 2) as counterparty_open_amount_sek,
        case
            when open_items.reconciliation_date <= locked.locked_through then 'final'
            else 'provisional'
        end as status
    from open_items
    left join locked on open_items.company_id = locked.company_id
)

select * from final