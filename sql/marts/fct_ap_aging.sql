-- one row per company and supplier invoice open on the as-of date, with its due-date bucket
-- Buckets by days past due on the as-of date (`--as-of`, else today): not due, 1-30, 31-60,
-- 61-90, over 90. Sum open_amount_sek by aging_bucket for the classic aging report.
with aging as (
    select * from int_subledger_aging
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
        open_amount,
        open_amount_sek,
        status
    from aging
)

select * from final
