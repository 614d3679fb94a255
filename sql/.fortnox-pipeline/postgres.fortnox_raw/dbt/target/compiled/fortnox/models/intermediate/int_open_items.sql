-- one row per company, subledger (AR, AP), reconciliation date and invoice open on that date
-- Open amount = total - payments dated on or before the date, in the invoice currency; in SEK at
-- the invoice's own rate (which is what the receivable or payable was booked at), rounded to öre
-- per invoice. A subledger is its booked, not cancelled invoices and their booked payments:
-- customer invoices for AR (keyed by invoice_number), supplier invoices for AP (keyed by
-- given_number, Fortnox's own running number). Both sides share this one computation so that
-- they cannot drift apart; `counterparty_*` is the customer or the supplier. Payments in the
-- document currency come from int_subledger_payments.
with dates as (
    select company_id, reconciliation_date from "postgres"."analytics"."int_reconciliation_dates"
),

invoices as (
    select
        company_id,
        'AR' as subledger,
        invoice_number as document_number,
        customer_number as counterparty_number,
        customer_name as counterparty_name,
        cast(null as varchar) as supplier_invoice_reference,
        invoice_date,
        due_date,
        currency,
        currency_rate,
        total
    from "postgres"."analytics"."stg_fortnox__invoices"
    where is_booked and not is_cancelled
    union all
    select
        company_id,
        'AP' as subledger,
        given_number as document_number,
        supplier_number as counterparty_number,
        supplier_name as counterparty_name,
        supplier_invoice_reference,
        invoice_date,
        due_date,
        currency,
        currency_rate,
        total
    from "postgres"."analytics"."stg_fortnox__supplier_invoices"
    where is_booked and not is_cancelled
),

payments as (
    select
        company_id,
        subledger,
        document_number,
        payment_date,
        amount_in_document_currency as amount_in_invoice_currency,
        document_total as invoice_total
    from "postgres"."analytics"."int_subledger_payments"
),

settled as (
    -- The date from which an invoice stays fully paid (its last payment, when the payments add
    -- up to the total): no date from then on needs it, which keeps the date x invoice pairs few.
    select
        company_id,
        subledger,
        document_number,
        max(payment_date) as settled_on
    from payments
    group by company_id, subledger, document_number, invoice_total
    having sum(amount_in_invoice_currency) = invoice_total
),

settlements as (
    select
        invoices.*,
        settled.settled_on
    from invoices
    left join settled
        on invoices.company_id = settled.company_id
        and invoices.subledger = settled.subledger
        and invoices.document_number = settled.document_number
),

candidates as (
    -- Settlement is attached per invoice above, before the dates multiply the invoices.
    select
        dates.company_id,
        dates.reconciliation_date,
        invoices.subledger,
        invoices.document_number,
        invoices.counterparty_number,
        invoices.counterparty_name,
        invoices.supplier_invoice_reference,
        invoices.invoice_date,
        invoices.due_date,
        invoices.currency,
        invoices.currency_rate,
        invoices.total
    from dates
    inner join settlements as invoices
        on dates.company_id = invoices.company_id
        and invoices.invoice_date <= dates.reconciliation_date
        and (invoices.settled_on is null or dates.reconciliation_date < invoices.settled_on)
),

paid_to_date as (
    select
        candidates.company_id,
        candidates.subledger,
        candidates.reconciliation_date,
        candidates.document_number,
        sum(payments.amount_in_invoice_currency) as paid_amount
    from candidates
    inner join payments
        on candidates.company_id = payments.company_id
        and candidates.subledger = payments.subledger
        and candidates.document_number = payments.document_number
        and payments.payment_date <= candidates.reconciliation_date
    group by 1, 2, 3, 4
),

open_amounts as (
    select
        invoices.company_id,
        invoices.subledger,
        invoices.reconciliation_date,
        invoices.document_number,
        invoices.counterparty_number,
        invoices.counterparty_name,
        invoices.supplier_invoice_reference,
        invoices.invoice_date,
        invoices.due_date,
        invoices.currency,
        invoices.currency_rate,
        invoices.total,
        (invoices.total - coalesce(paid_to_date.paid_amount, 0))::decimal(18, 2) as open_amount
    from candidates as invoices
    left join paid_to_date
        on invoices.company_id = paid_to_date.company_id
        and invoices.subledger = paid_to_date.subledger
        and invoices.reconciliation_date = paid_to_date.reconciliation_date
        and invoices.document_number = paid_to_date.document_number
)

select
    *,
    round(open_amount * currency_rate, 2)::decimal(18, 2) as open_amount_sek,
    reconciliation_date - due_date as days_past_due
from open_amounts
where open_amount <> 0