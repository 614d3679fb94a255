"""Shared books for the generator tests, and the invariant checks every test set reuses.

Generation of a small company takes well under a second, so the session builds it once and
tests that mutate (advance) work on deep copies.
"""

from __future__ import annotations

import copy
import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal

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


# -- a tiny SIE reader, independent of the project's sources/sie/reader.py ---------------


def tokens(line: str) -> list[str]:
    """Split one SIE record into fields; `{...}` becomes one field, quotes are removed."""
    out: list[str] = []
    index, length = 0, len(line)
    while index < length:
        char = line[index]
        if char in " \t":
            index += 1
        elif char == '"':
            end, buffer = index + 1, []
            while line[end] != '"':
                if line.startswith('\\"', end):
                    buffer.append('"')
                    end += 2
                else:
                    buffer.append(line[end])
                    end += 1
            out.append("".join(buffer))
            index = end + 1
        elif char == "{":
            end = line.index("}", index)
            out.append(line[index : end + 1])
            index = end + 1
        else:
            end = index
            while end < length and line[end] not in " \t":
                end += 1
            out.append(line[index:end])
            index = end
    return out


def parse(content: bytes) -> dict:
    """Collect what the invariants need: balances, and vouchers with their #TRANS rows."""
    text = content.decode("cp437")
    balances: dict[tuple[str, str, int], Decimal] = {}
    vouchers: list[dict] = []
    labels: Counter[str] = Counter()
    previous_label = ""
    previous_fields: list[str] = []
    current: dict | None = None
    for line in text.split("\r\n"):
        if not line:
            continue
        if line in ("{", "}"):
            if line == "}":
                current = None
            continue
        fields = tokens(line)
        label = fields[0]
        labels[label] += 1
        if label in ("#IB", "#UB", "#RES"):
            balances[(label, fields[1], int(fields[2]))] = Decimal(fields[3])
        elif label == "#VER":
            current = {
                "series": fields[1],
                "number": int(fields[2]),
                "trans": [],
                "text": fields[4],
            }
            vouchers.append(current)
        elif label == "#TRANS":
            assert current is not None
            current["trans"].append((int(fields[1]), fields[2], Decimal(fields[3])))
        if previous_label == "#RTRANS":
            assert label == "#TRANS", "an #RTRANS must be followed by its #TRANS twin"
            assert fields[1:] == previous_fields[1:-1], "the twin repeats the row, minus sign"
        previous_label, previous_fields = label, fields
    return {"balances": balances, "vouchers": vouchers, "labels": labels, "text": text}
