-- one row per company, subledger (AR, AP) and booked payment of a booked, not cancelled document
-- A payment in the document's currency leaves the receivable (payable) at the rate the document
-- was booked at; the bank sees the payment's own rate. The difference is the realised exchange
-- difference Fortnox books on the payment voucher (BAS 3960 gains, 7960 losses). In SEK:
-- `amount_sek` what the bank got or paid; `settled_sek` what left the subledger (the payment in
-- the document currency at the document's rate, rounded to öre per payment);
-- `exchange_difference_sek` the gain (positive) or loss (negative) for the company. A SEK
-- document has none. Payments from Fortnox's list endpoint lack AmountCurrency: it is derived
-- from the SEK amount and the payment's rate.
with documents as (
    select
        company_id,
        'AR' as subledger,
        invoice_number as document_number,
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
        currency,
        currency_rate,
        total
    from "postgres"."analytics"."stg_fortnox__supplier_invoices"
    where is_booked and not is_cancelled
),

booked_payments as (
    select
        company_id,
        'AR' as subledger,
        payment_number,
        invoice_number as document_number,
        payment_date,
        amount,
        amount_currency,
        currency_rate,
        voucher_series,
        voucher_number,
        voucher_year
    from "postgres"."analytics"."stg_fortnox__invoice_payments"
    where is_booked
    union all
    select
        company_id,
        'AP' as subledger,
        payment_number,
        given_number as document_number,
        payment_date,
        amount,
        amount_currency,
        currency_rate,
        voucher_series,
        voucher_number,
        voucher_year
    from "postgres"."analytics"."stg_fortnox__supplier_invoice_payments"
    where is_booked
),

converted as (
    select
        payments.company_id,
        payments.subledger,
        payments.payment_number,
        payments.document_number,
        payments.payment_date,
        documents.currency,
        documents.currency_rate as document_rate,
        payments.currency_rate as payment_rate,
        documents.total as document_total,
        payments.voucher_series,
        payments.voucher_number,
        payments.voucher_year,
        payments.amount as amount_sek,
        case
            when documents.currency = 'SEK' then payments.amount
            else coalesce(payments.amount_currency, round(payments.amount / payments.currency_rate, 2))
        end as amount_in_document_currency
    from booked_payments as payments
    inner join documents
        on payments.company_id = documents.company_id
        and payments.subledger = documents.subledger
        and payments.document_number = documents.document_number
),

final as (
    select
        *,
        case
            when currency = 'SEK' then amount_sek
            else round(amount_in_document_currency * document_rate, 2)
        end::decimal(18, 2) as settled_sek
    from converted
)

select
    *,
    -- A customer paying more SEK than booked is a gain; paying a supplier more is a loss.
    case
        when currency = 'SEK' then 0
        when subledger = 'AR' then amount_sek - settled_sek
        else settled_sek - amount_sek
    end::decimal(18, 2) as exchange_difference_sek
from final