-- one row per company and reconciliation date (each month end, and the as-of date): the supplier subledger against the ledger
-- The AP half of int_subledger_reconciliation, where the columns are explained: ledger and
-- subledger in SIE sign (debit positive), difference = ledger - subledger, the rows with no
-- document behind them that explain it, and final or provisional by the locked period.
with reconciliation as (
    select * from {{ ref('int_subledger_reconciliation') }}
    where subledger = 'AP'
),

final as (
    select {{ star_except(ref('int_subledger_reconciliation'), ['subledger']) }}
    from reconciliation
)

select * from final
