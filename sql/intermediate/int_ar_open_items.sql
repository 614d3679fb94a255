-- one row per company, reconciliation date and customer invoice open on that date
-- Open amount = total - payments dated on or before the date, in the invoice currency; in SEK at
-- the invoice's own rate (which is what the receivable was booked at), rounded to öre per
-- invoice. The subledger is booked, not cancelled invoices, and booked payments.
with dates as (
    select company_id, reconciliation_date from int_reconciliation_dates
),

invoices as (
    select * from stg_fortnox__invoices
    where is_booked and not is_cancelled
),

payments as (
    select
        payments.company_id,
        payments.invoice_number,
        payments.payment_date,
        case
            when invoices.currency = 'SEK' then payments.amount
            else coalesce(payments.amount_currency, round(payments.amount / payments.currency_rate, 2))
        end as amount_in_invoice_currency
    from stg_fortnox__invoice_payments as payments
    inner join invoices
        on payments.company_id = invoices.company_id
        and payments.invoice_number = invoices.invoice_number
    where payments.is_booked
),

settled as (
    -- The date from which an invoice stays fully paid (its last payment, when the payments add
    -- up to the total): no date from then on needs it, which keeps the date x invoice pairs few.
    select
        payments.company_id,
        payments.invoice_number,
        max(payments.payment_date) as settled_on
    from payments
    inner join invoices
        on payments.company_id = invoices.company_id
        and payments.invoice_number = invoices.invoice_number
    group by payments.company_id, payments.invoice_number, invoices.total
    having sum(payments.amount_in_invoice_currency) = invoices.total
),

candidates as (
    select
        dates.company_id,
        dates.reconciliation_date,
        invoices.* exclude (company_id)
    from dates
    inner join invoices
        on dates.company_id = invoices.company_id
        and invoices.invoice_date <= dates.reconciliation_date
    left join settled
        on invoices.company_id = settled.company_id
        and invoices.invoice_number = settled.invoice_number
    where settled.settled_on is null or dates.reconciliation_date < settled.settled_on
),

paid_to_date as (
    select
        candidates.company_id,
        candidates.reconciliation_date,
        candidates.invoice_number,
        sum(payments.amount_in_invoice_currency) as paid_amount
    from candidates
    inner join payments
        on candidates.company_id = payments.company_id
        and candidates.invoice_number = payments.invoice_number
        and payments.payment_date <= candidates.reconciliation_date
    group by all
),

open_amounts as (
    select
        invoices.company_id,
        invoices.reconciliation_date,
        invoices.invoice_number,
        invoices.customer_number,
        invoices.customer_name,
        invoices.invoice_date,
        invoices.due_date,
        invoices.currency,
        invoices.currency_rate,
        invoices.total,
        (invoices.total - coalesce(paid_to_date.paid_amount, 0))::decimal(18, 2) as open_amount
    from candidates as invoices
    left join paid_to_date
        on invoices.company_id = paid_to_date.company_id
        and invoices.reconciliation_date = paid_to_date.reconciliation_date
        and invoices.invoice_number = paid_to_date.invoice_number
)

select
    *,
    round(open_amount * currency_rate, 2)::decimal(18, 2) as open_amount_sek,
    reconciliation_date - due_date as days_past_due
from open_amounts
where open_amount <> 0
