-- one row per company, reconciliation date and supplier invoice open on that date
-- As for customer invoices: total - payments dated on or before the date, in the invoice
-- currency, and in SEK at the invoice's own rate, rounded to öre per invoice.
with dates as (
    select company_id, reconciliation_date from int_reconciliation_dates
),

invoices as (
    select * from stg_fortnox__supplier_invoices
    where is_booked and not is_cancelled
),

payments as (
    select
        payments.company_id,
        payments.given_number,
        payments.payment_date,
        case
            when invoices.currency = 'SEK' then payments.amount
            else coalesce(payments.amount_currency, round(payments.amount / payments.currency_rate, 2))
        end as amount_in_invoice_currency
    from stg_fortnox__supplier_invoice_payments as payments
    inner join invoices
        on payments.company_id = invoices.company_id
        and payments.given_number = invoices.given_number
    where payments.is_booked
),

settled as (
    -- The date from which an invoice stays fully paid (its last payment, when the payments add
    -- up to the total): no date from then on needs it, which keeps the date x invoice pairs few.
    select
        payments.company_id,
        payments.given_number,
        max(payments.payment_date) as settled_on
    from payments
    inner join invoices
        on payments.company_id = invoices.company_id
        and payments.given_number = invoices.given_number
    group by payments.company_id, payments.given_number, invoices.total
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
        and invoices.given_number = settled.given_number
    where settled.settled_on is null or dates.reconciliation_date < settled.settled_on
),

paid_to_date as (
    select
        candidates.company_id,
        candidates.reconciliation_date,
        candidates.given_number,
        sum(payments.amount_in_invoice_currency) as paid_amount
    from candidates
    inner join payments
        on candidates.company_id = payments.company_id
        and candidates.given_number = payments.given_number
        and payments.payment_date <= candidates.reconciliation_date
    group by all
),

open_amounts as (
    select
        invoices.company_id,
        invoices.reconciliation_date,
        invoices.given_number,
        invoices.supplier_number,
        invoices.supplier_name,
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
        and invoices.reconciliation_date = paid_to_date.reconciliation_date
        and invoices.given_number = paid_to_date.given_number
)

select
    *,
    round(open_amount * currency_rate, 2)::decimal(18, 2) as open_amount_sek,
    reconciliation_date - due_date as days_past_due
from open_amounts
where open_amount <> 0
