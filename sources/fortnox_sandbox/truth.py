"""Ground truth of a sandbox company, served at GET /_sandbox/truth and used by tests/benchmarks.

Everything here is computed from the books themselves (vouchers, invoices, payments), so it is
what a correct pipeline must reproduce: balances per account and year, AR/AP subledger and
ledger per month end, and the deliberate differences between them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sources.fortnox_sandbox import chart
from sources.fortnox_sandbox.business import closing_balances
from sources.fortnox_sandbox.model import Company
from sources.fortnox_sandbox.money import format_amount, to_sek


def month_ends(first_day: date, last_day: date) -> list[date]:
    """Every month end from `first_day`'s month up to `last_day`, then `last_day` itself."""
    points: list[date] = []
    year, month = first_day.year, first_day.month
    while True:
        next_first = date(year + month // 12, month % 12 + 1, 1)
        end = next_first - timedelta(days=1)
        if end > last_day:
            break
        points.append(end)
        year, month = next_first.year, next_first.month
    if not points or points[-1] != last_day:
        points.append(last_day)
    return points


def _cumulative_at(deltas: Iterable[tuple[date, int]], points: list[date]) -> dict[str, str]:
    """Running total of dated deltas, read at each point (inclusive), as decimal strings."""
    ordered = sorted(deltas)
    result: dict[str, str] = {}
    total = 0
    index = 0
    for point in points:
        while index < len(ordered) and ordered[index][0] <= point:
            total += ordered[index][1]
            index += 1
        result[point.isoformat()] = format_amount(total)
    return result


def receivable_events(company: Company) -> list[tuple[date, int]]:
    """Dated changes of the SEK customer subledger: booked invoices up, payments down.

    A EUR invoice counts at `round(balance x invoice rate)`; it is paid in one payment, so the
    subledger and 1510 (booked at the invoice rate) move by the same öre.
    """
    events: list[tuple[date, int]] = []
    invoices = company.invoices
    for invoice in invoices.values():
        if invoice.booked and not invoice.cancelled:
            events.append((invoice.invoice_date, to_sek(invoice.total, invoice.currency_rate)))
    for payment in company.invoice_payments.values():
        paid = invoices[payment.invoice_number]
        events.append((payment.payment_date, -to_sek(payment.amount, paid.currency_rate)))
    return events


def payable_events(company: Company) -> list[tuple[date, int]]:
    """Dated changes of the supplier subledger (liability positive)."""
    events = [
        (invoice.invoice_date, invoice.total)
        for invoice in company.supplier_invoices.values()
        if invoice.booked and not invoice.cancelled
    ]
    events.extend(
        (payment.payment_date, -payment.amount)
        for payment in company.supplier_invoice_payments.values()
    )
    return events


def ledger_events(company: Company, account: int, sign: int = 1) -> list[tuple[date, int]]:
    """Dated changes of one ledger account (debit positive, times `sign`), from the first IB."""
    first = company.financial_years[0]
    events = [(first.from_date, sign * company.opening_balances.get(first.id, {}).get(account, 0))]
    for vouchers in company.vouchers.values():
        for voucher in vouchers:
            for row in voucher.rows:
                if row.account == account and not row.removed:
                    events.append((voucher.transaction_date, sign * (row.debit - row.credit)))
    return events


def ground_truth(company: Company) -> dict[str, Any]:
    """The JSON-serialisable ground truth of one company.

    Sign conventions: `closing_balances`/`opening_balances` use SIE signs (debit positive, UB
    for balance accounts, RES for P&L accounts); `net_result` is the year's result with income
    positive, closing entries excluded. AR figures are receivables (debit positive);
    AP figures are liabilities (credit positive), both for the subledger and for 2440. Each
    deliberate difference carries `amount` in SIE sign and `ledger_minus_subledger`, its effect
    on ledger minus subledger in the AR/AP figures' own sign.
    """
    financial_years = []
    for financial_year in company.financial_years:
        vouchers = company.vouchers.get(financial_year.id, [])
        closing = closing_balances(company, financial_year.id)
        opening = company.opening_balances.get(financial_year.id, {})
        booked_rows = removed_rows = added_rows = 0
        for voucher in vouchers:
            for row in voucher.rows:
                if row.removed:
                    removed_rows += 1
                else:
                    booked_rows += 1
                    added_rows += row.added_later
        financial_years.append(
            {
                "id": financial_year.id,
                "from_date": financial_year.from_date.isoformat(),
                "to_date": financial_year.to_date.isoformat(),
                "voucher_count": len(vouchers),
                "row_count": booked_rows,
                "removed_row_count": removed_rows,
                "added_row_count": added_rows,
                "closing_balances": {
                    str(account): format_amount(amount)
                    for account, amount in sorted(closing.items())
                    if amount or not chart.is_balance_account(account)
                },
                # Årets resultat as the income statement shows it: income positive, the
                # closing entry (8990-8999, booked against 2099) left out.
                "net_result": format_amount(
                    -sum(
                        amount
                        for account, amount in closing.items()
                        if not chart.is_balance_account(account) and not 8990 <= account <= 8999
                    )
                ),
                "opening_balances": {
                    str(account): format_amount(amount)
                    for account, amount in sorted(opening.items())
                    if amount
                },
            }
        )
    points = month_ends(company.financial_years[0].from_date, company.business_date)
    locked = company.locked_through
    differences = [
        {
            "ledger": difference.ledger,
            "account": difference.account,
            "financial_year_id": difference.financial_year_id,
            "voucher_series": difference.voucher_series,
            "voucher_number": difference.voucher_number,
            "voucher_date": difference.voucher_date.isoformat(),
            "amount": format_amount(difference.amount),
            "ledger_minus_subledger": format_amount(
                difference.amount if difference.ledger == "AR" else -difference.amount
            ),
            "description": difference.description,
            "inside_locked_period": locked is not None and difference.voucher_date <= locked,
        }
        for difference in company.deliberate_differences
    ]
    return {
        "database_number": company.database_number,
        "company_name": company.name,
        "organisation_number": company.organisation_number,
        "business_date": company.business_date.isoformat(),
        "locked_through": locked.isoformat() if locked else None,
        "financial_years": financial_years,
        "open_ar_by_month_end": _cumulative_at(receivable_events(company), points),
        "open_ap_by_month_end": _cumulative_at(payable_events(company), points),
        "ledger_ar_by_month_end": _cumulative_at(ledger_events(company, chart.RECEIVABLES), points),
        "ledger_ap_by_month_end": _cumulative_at(
            ledger_events(company, chart.PAYABLES, sign=-1), points
        ),
        "deliberate_differences": differences,
    }
