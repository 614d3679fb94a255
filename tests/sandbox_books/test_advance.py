"""`advance_business_day` continues the same business: new and modified records, invariants kept."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sources.fortnox_sandbox.books import advance_business_day
from sources.fortnox_sandbox.business import STOCKHOLM
from sources.fortnox_sandbox.model import Company
from sources.fortnox_sandbox.sie_writer import write_sie
from tests.sandbox_books.conftest import SEED, FakeClock, assert_books_consistent, parse


def test_one_day_adds_and_modifies_records(
    company_copy: Company, clock: Callable[[], datetime]
) -> None:
    before_invoices = {n: copy.copy(i) for n, i in company_copy.invoices.items()}
    before_vouchers = sum(len(v) for v in company_copy.vouchers.values())
    summary = advance_business_day(company_copy, SEED, clock)

    assert company_copy.business_date == date(2026, 11, 21)
    assert summary.business_date == date(2026, 11, 21)
    assert summary.new_invoices >= 1 and summary.modified_invoices >= 1
    new = [i for n, i in company_copy.invoices.items() if n not in before_invoices]
    assert len(new) == summary.new_invoices
    modified = [
        i
        for n, i in company_copy.invoices.items()
        if n in before_invoices and i.balance != before_invoices[n].balance
    ]
    assert len(modified) >= 1
    for invoice in [*new, *modified]:
        assert invoice.last_modified is not None
        assert invoice.last_modified > datetime(2026, 11, 21, 9, 0, tzinfo=STOCKHOLM)
        assert invoice.last_modified.tzinfo is not None
        previous = before_invoices.get(invoice.document_number)
        if previous is not None:
            assert invoice.last_modified > previous.last_modified
    after_vouchers = sum(len(v) for v in company_copy.vouchers.values())
    assert after_vouchers - before_vouchers == summary.new_vouchers >= 2
    new_vouchers = [v for v in company_copy.vouchers[9] if v.transaction_date == date(2026, 11, 21)]
    assert len(new_vouchers) == summary.new_vouchers
    assert_books_consistent(company_copy)


def test_advance_is_deterministic(small_company: Company) -> None:
    first, second = copy.deepcopy(small_company), copy.deepcopy(small_company)
    start = datetime(2026, 11, 21, 8, 0, tzinfo=STOCKHOLM)
    for _ in range(3):
        advance_business_day(first, SEED, FakeClock(start))
        advance_business_day(second, SEED, FakeClock(start))
    assert first.vouchers == second.vouchers
    assert first.invoices == second.invoices
    assert first.invoice_payments == second.invoice_payments


def test_advancing_past_new_year_opens_the_next_financial_year(company_copy: Company) -> None:
    clock = FakeClock(datetime(2026, 11, 21, 8, 0, tzinfo=STOCKHOLM))
    days = (date(2027, 1, 5) - company_copy.business_date).days
    for _ in range(days):
        summary = advance_business_day(company_copy, SEED, clock)
        clock.now += timedelta(days=1)
    assert summary.business_date == date(2027, 1, 5)
    assert [y.id for y in company_copy.financial_years] == [7, 8, 9, 10]
    new_year = company_copy.financial_years[-1]
    assert (new_year.from_date, new_year.to_date) == (date(2027, 1, 1), date(2027, 12, 31))
    assert company_copy.vouchers[10], "no vouchers booked in the new year"
    assert all(v.transaction_date.year == 2027 for v in company_copy.vouchers[10])
    assert [v.number for v in company_copy.vouchers[10] if v.series == "C"][:1] == [1]
    assert_books_consistent(company_copy)
    closing_2026 = [v for v in company_copy.vouchers[9] if v.description == "Årets resultat"]
    assert len(closing_2026) == 1 and closing_2026[0].transaction_date == date(2026, 12, 31)
    sie = parse(write_sie(company_copy, 10))
    assert len(sie["vouchers"]) == len(company_copy.vouchers[10])
    assert all(sum(a for _acc, _obj, a in v["trans"]) == 0 for v in sie["vouchers"])
    assert sie["balances"][("#IB", "0", 1930)] == sie["balances"][("#UB", "-1", 1930)]
