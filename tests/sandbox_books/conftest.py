"""Shared books for the generator tests, and the invariant checks every test set reuses.

Generation of a small company takes well under a second, so the session builds it once and
tests that mutate (advance) work on deep copies.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest

from sources.fortnox_sandbox.books import generate_books
from sources.fortnox_sandbox.business import STOCKHOLM, closing_balances
from sources.fortnox_sandbox.model import Company
from sources.fortnox_sandbox.truth import ground_truth

SEED = 1


@pytest.fixture(scope="session")
def small_company() -> Company:
    """The default sandbox company (seed 1, small). Do not mutate: copy it first."""
    [company] = generate_books(seed=SEED, scale="small")
    return company


@pytest.fixture
def company_copy(small_company: Company) -> Company:
    """A private deep copy of the small company, free to advance or modify."""
    return copy.deepcopy(small_company)


class FakeClock:
    """A wall clock that ticks one minute per call, starting on a given Stockholm time."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def clock() -> Callable[[], datetime]:
    return FakeClock(datetime(2026, 11, 21, 9, 0, tzinfo=STOCKHOLM))


def iter_rows_sum(company: Company) -> Iterator[tuple[str, int]]:
    """(voucher key, sum of its booked rows) for every voucher."""
    for financial_year_id, vouchers in company.vouchers.items():
        for voucher in vouchers:
            total = sum(row.debit - row.credit for row in voucher.rows if not row.removed)
            yield f"{financial_year_id}/{voucher.series}{voucher.number}", total


def assert_books_consistent(company: Company) -> None:
    """The invariants that must hold for any generated or advanced company."""
    unbalanced = [key for key, total in iter_rows_sum(company) if total != 0]
    assert unbalanced == []

    years = company.financial_years
    for previous, following in itertools.pairwise(years):
        closing = closing_balances(company, previous.id)
        expected = {a: x for a, x in closing.items() if a < 3000 and x}
        assert company.opening_balances[following.id] == expected

    paid: dict[int, int] = {}
    for payment in company.invoice_payments.values():
        paid[payment.invoice_number] = paid.get(payment.invoice_number, 0) + payment.amount
    for invoice in company.invoices.values():
        assert invoice.balance == invoice.total - paid.get(invoice.document_number, 0)
    supplier_paid: dict[int, int] = {}
    for payment in company.supplier_invoice_payments.values():
        supplier_paid[payment.invoice_number] = (
            supplier_paid.get(payment.invoice_number, 0) + payment.amount
        )
    for supplier_invoice in company.supplier_invoices.values():
        assert supplier_invoice.balance == supplier_invoice.total - supplier_paid.get(
            supplier_invoice.given_number, 0
        )

    assert_reconciles(company)


def assert_reconciles(company: Company) -> None:
    """Ledger minus subledger (AR and AP) at every month end is exactly the deliberate
    differences booked on or before it, and nothing else."""
    truth = ground_truth(company)
    differences = truth["deliberate_differences"]
    for ledger, ledger_key, open_key in (
        ("AR", "ledger_ar_by_month_end", "open_ar_by_month_end"),
        ("AP", "ledger_ap_by_month_end", "open_ap_by_month_end"),
    ):
        for point, ledger_amount in truth[ledger_key].items():
            gap = _ore(ledger_amount) - _ore(truth[open_key][point])
            expected = sum(
                _ore(d["ledger_minus_subledger"])
                for d in differences
                if d["ledger"] == ledger and d["voucher_date"] <= point
            )
            assert gap == expected, (ledger, point, gap, expected)


def _ore(amount: str) -> int:
    whole, _, cents = amount.lstrip("-").partition(".")
    value = int(whole) * 100 + int(cents)
    return -value if amount.startswith("-") else value
