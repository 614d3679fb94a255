-- one row per company, subledger (AR, AP) and reconciliation date (each month end, and the as-of date): the subledger against the ledger
-- Both sides in SIE sign (debit positive: receivables positive, payables negative), so that
-- difference = ledger - subledger is exactly the sum of the rows booked on the control accounts
-- with no document behind them. `explaining_vouchers` lists those rows up to the date;
-- `unexplained_difference` is what they do not account for. `status` is final when the date is
-- inside the locked period. Documents in another currency are in the subledger at the SEK
-- amount they were booked at (their own rate), so a payment at another rate does not open a
-- difference: its realised exchange difference goes to 3960/7960, and
-- `exchange_difference_year_to_date` states it (gain positive) for the payments of the
-- financial year up to the date; `foreign_open_documents` / `foreign_open_amount_sek` say how
-- much of the subledger is in another currency. fct_ar_reconciliation and
-- fct_ap_reconciliation are its two halves.
with dates as (
    select * from "postgres"."analytics"."int_reconciliation_dates"
    where file_sha256 is not null
),

ledger as (
    select * from "postgres"."analytics"."int_control_account_balances"
),

subledger as (
    select
        company_id,
        subledger,
        reconciliation_date,
        count(*) as open_documents,
        count(*) filter (where currency <> 'SEK') as foreign_open_documents,
        coalesce(sum(open_amount_sek) filter (where currency <> 'SEK'), 0)::decimal(18, 2)
            as foreign_open_amount_sek,
        -- An open supplier invoice is a credit on the payable accounts: negative in SIE sign.
        sum(case when subledger = 'AP' then -open_amount_sek else open_amount_sek end)::decimal(18, 2)
            as subledger_balance
    from "postgres"."analytics"."int_open_items"
    group by company_id, subledger, reconciliation_date
),

exchange_differences as (
    select
        dates.company_id,
        payments.subledger,
        dates.reconciliation_date,
        sum(payments.exchange_difference_sek)::decimal(18, 2) as exchange_difference,
        count(*) as foreign_payments
    from dates
    inner join "postgres"."analytics"."int_subledger_payments" as payments
        on dates.company_id = payments.company_id
        and payments.currency <> 'SEK'
        and payments.payment_date between dates.financial_year_start and dates.reconciliation_date
    group by 1, 2, 3
),

unmatched_rows as (
    select * from "postgres"."analytics"."int_unmatched_control_rows"
),

explanations as (
    select
        dates.company_id,
        unmatched_rows.subledger,
        dates.reconciliation_date,
        sum(unmatched_rows.amount)::decimal(18, 2) as explained_amount,
        string_agg(
            concat_ws(
                ' ',
                unmatched_rows.voucher_series || unmatched_rows.voucher_number,
                to_char(unmatched_rows.voucher_date, 'YYYY-MM-DD'),
                cast(unmatched_rows.amount as varchar)
            ),
            '; '
            order by unmatched_rows.voucher_date, unmatched_rows.voucher_series, unmatched_rows.voucher_number
        ) as explaining_vouchers
    from dates
    inner join unmatched_rows
        on dates.company_id = unmatched_rows.company_id
        and unmatched_rows.voucher_date <= dates.reconciliation_date
    group by dates.company_id, unmatched_rows.subledger, dates.reconciliation_date
),

locked as (
    select * from "postgres"."analytics"."dim_locked_period"
),

final as (
    select
        ledger.subledger,
        dates.company_id,
        dates.reconciliation_date,
        dates.is_month_end,
        dates.is_as_of,
        dates.financial_year_id,
        dates.financial_year,
        ledger.control_accounts,
        ledger.ledger_balance,
        coalesce(subledger.subledger_balance, 0)::decimal(18, 2) as subledger_balance,
        coalesce(subledger.open_documents, 0) as open_documents,
        coalesce(subledger.foreign_open_documents, 0) as foreign_open_documents,
        coalesce(subledger.foreign_open_amount_sek, 0)::decimal(18, 2) as foreign_open_amount_sek,
        coalesce(exchange_differences.exchange_difference, 0)::decimal(18, 2)
            as exchange_difference_year_to_date,
        coalesce(exchange_differences.foreign_payments, 0) as foreign_payments_year_to_date,
        (ledger.ledger_balance - coalesce(subledger.subledger_balance, 0))::decimal(18, 2)
            as difference,
        coalesce(explanations.explained_amount, 0)::decimal(18, 2) as explained_amount,
        explanations.explaining_vouchers,
        case
            when dates.reconciliation_date <= locked.locked_through then 'final'
            else 'provisional'
        end as status
    from dates
    inner join ledger
        on dates.company_id = ledger.company_id
        and dates.reconciliation_date = ledger.reconciliation_date
    left join subledger
        on ledger.subledger = subledger.subledger
        and dates.company_id = subledger.company_id
        and dates.reconciliation_date = subledger.reconciliation_date
    left join explanations
        on ledger.subledger = explanations.subledger
        and dates.company_id = explanations.company_id
        and dates.reconciliation_date = explanations.reconciliation_date
    left join exchange_differences
        on ledger.subledger = exchange_differences.subledger
        and dates.company_id = exchange_differences.company_id
        and dates.reconciliation_date = exchange_differences.reconciliation_date
    left join locked on dates.company_id = locked.company_id
)

select
    *,
    (difference - explained_amount)::decimal(18, 2) as unexplained_difference
from final