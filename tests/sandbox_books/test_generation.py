"""Generated books are deterministic, numbered like Fortnox, and shaped like a real company's."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

from sources.fortnox_sandbox.books import BUSINESS_DATE, generate_books
from sources.fortnox_sandbox.model import Company
from sources.fortnox_sandbox.names import is_valid_luhn, ocr_reference
from sources.fortnox_sandbox.sie_writer import write_sie
from sources.fortnox_sandbox.truth import ground_truth
from tests.sandbox_books.conftest import assert_books_consistent

REFERENCE_TYPES = {
    "B": {"SUPPLIERINVOICE"},
    "C": {"INVOICE"},
    "D": {"INVOICEPAYMENT"},
    "E": {"SUPPLIERPAYMENT"},
    "A": {"MANUAL"},
}


def test_same_seed_gives_identical_books(small_company: Company) -> None:
    [again] = generate_books(seed=1, scale="small")
    assert again.vouchers == small_company.vouchers
    assert again.invoices == small_company.invoices
    assert again.supplier_invoices == small_company.supplier_invoices
    assert again.customers == small_company.customers
    assert json.dumps(ground_truth(again)) == json.dumps(ground_truth(small_company))
    assert write_sie(again, 8) == write_sie(small_company, 8)


def test_different_seed_gives_different_books(small_company: Company) -> None:
    [other] = generate_books(seed=2, scale="small")
    assert other.database_number != small_company.database_number
    assert other.name != small_company.name
    assert other.vouchers != small_company.vouchers


def test_calendar_and_lock(small_company: Company) -> None:
    years = small_company.financial_years
    assert [year.id for year in years] == [7, 8, 9]
    assert [(year.from_date, year.to_date) for year in years] == [
        (date(2024, 1, 1), date(2024, 12, 31)),
        (date(2025, 1, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 12, 31)),
    ]
    assert small_company.business_date == BUSINESS_DATE == date(2026, 11, 20)
    assert small_company.locked_through == date(2026, 8, 31)
    last_booked = max(v.transaction_date for vs in small_company.vouchers.values() for v in vs)
    assert date(2026, 11, 1) <= last_booked <= BUSINESS_DATE


def test_voucher_counts_follow_the_scale(small_company: Company) -> None:
    counts = [len(small_company.vouchers[year.id]) for year in small_company.financial_years]
    assert all(240 <= count <= 400 for count in counts[:2]), counts
    assert 200 <= counts[2] <= 360, counts  # the current year ends on the business date
    [sized] = generate_books(seed=1, vouchers_per_year=1_000)
    assert 850 <= len(sized.vouchers[8]) <= 1_150


def test_numbering_ascends_per_series_and_year_in_date_order(small_company: Company) -> None:
    for year in small_company.financial_years:
        vouchers = small_company.vouchers[year.id]
        assert [(v.series, v.number) for v in vouchers] == sorted(
            (v.series, v.number) for v in vouchers
        )
        by_series: dict[str, list] = {}
        for voucher in vouchers:
            assert year.from_date <= voucher.transaction_date <= year.to_date
            assert voucher.registration_date >= voucher.transaction_date
            assert voucher.registration_date <= small_company.business_date
            assert voucher.reference_type in REFERENCE_TYPES[voucher.series]
            by_series.setdefault(voucher.series, []).append(voucher)
        assert set(by_series) == {"A", "B", "C", "D", "E"}
        for series_vouchers in by_series.values():
            assert [v.number for v in series_vouchers] == list(range(1, len(series_vouchers) + 1))
            dates = [v.transaction_date for v in series_vouchers]
            assert dates == sorted(dates)


def test_every_voucher_balances_and_rows_are_well_formed(small_company: Company) -> None:
    assert_books_consistent(small_company)
    for vouchers in small_company.vouchers.values():
        for voucher in vouchers:
            assert len(voucher.rows) >= 2
            for row in voucher.rows:
                assert row.debit >= 0 and row.credit >= 0
                assert (row.debit == 0) != (row.credit == 0)
                assert row.account in small_company.accounts


def test_invoices_are_booked_like_fortnox(small_company: Company) -> None:
    invoices = list(small_company.invoices.values())
    vouchers = {
        (v.financial_year_id, v.series, v.number): v
        for vs in small_company.vouchers.values()
        for v in vs
    }
    vat_rates = Counter(row.vat_percent for invoice in invoices for row in invoice.rows)
    assert {25, 12, 6, 0} <= set(vat_rates)
    for invoice in invoices:
        assert invoice.ocr == ocr_reference(invoice.document_number)
        assert is_valid_luhn(invoice.ocr)
        if not invoice.booked:
            assert invoice.voucher_number is None
            continue
        voucher = vouchers[(invoice.voucher_year, invoice.voucher_series, invoice.voucher_number)]
        assert voucher.series == "C"
        assert voucher.transaction_date == invoice.invoice_date
        receivable = sum(r.debit - r.credit for r in voucher.rows if r.account == 1510)
        if invoice.currency == "SEK":
            assert receivable == invoice.total
            vat = -sum(r.debit - r.credit for r in voucher.rows if r.account in (2611, 2621, 2631))
            assert vat == invoice.total_vat
    cancelled = [i for i in invoices if i.cancelled]
    credits = [i for i in invoices if i.credit]
    euro = [i for i in invoices if i.currency == "EUR"]
    assert cancelled and all(not i.booked for i in cancelled)
    drafts = [i for i in invoices if not i.booked and not i.cancelled]
    assert drafts and all(not i.sent and i.balance == i.total for i in drafts)
    assert credits and euro
    assert any(i.booked and i.balance > 0 and i.due_date < BUSINESS_DATE for i in invoices)


def test_credit_notes_only_credit_fully_paid_invoices(small_company: Company) -> None:
    for credit in (i for i in small_company.invoices.values() if i.credit):
        original = small_company.invoices[credit.credit_invoice_reference]
        assert credit.total == -original.total < 0
        assert original.balance == 0 and original.final_pay_date <= credit.invoice_date
        assert credit.currency == "SEK"


def test_eur_invoices_are_paid_in_one_full_payment(small_company: Company) -> None:
    payments: dict[int, list] = {}
    for payment in small_company.invoice_payments.values():
        payments.setdefault(payment.invoice_number, []).append(payment)
    euro = [i for i in small_company.invoices.values() if i.currency == "EUR" and i.booked]
    assert euro
    for invoice in euro:
        assert invoice.currency_rate != "1"
        paid = payments.get(invoice.document_number, [])
        assert len(paid) <= 1
        if paid:
            assert paid[0].amount == invoice.total and invoice.balance == 0
    assert any(len(p) >= 2 for p in payments.values()), "no partial SEK payments"


def test_several_companies_are_distinct_tenants() -> None:
    companies = generate_books(seed=3, scale="small", vouchers_per_year=120, companies=3)
    assert len({c.database_number for c in companies}) == 3
    assert len({c.name for c in companies}) == 3
    assert len({c.organisation_number for c in companies}) == 3
    for company in companies:
        assert is_valid_luhn(company.organisation_number)
        assert company.organisation_number[6] == "-" and len(company.organisation_number) == 11
        assert_books_consistent(company)


def test_chart_and_predefined_accounts(small_company: Company) -> None:
    accounts = small_company.accounts
    assert accounts[2099].description == "Årets resultat"
    assert any("ö" in a.description for a in accounts.values())
    assert all(a.sru for a in accounts.values())
    predefined = small_company.predefined_accounts
    assert predefined["CUSTCLAIM"] == predefined["CUSTOMERRECEIVABLES"] == 1510
    assert predefined["SUPDEBT"] == predefined["SUPPLIERDEBT"] == 2440
    assert predefined["OUTVAT_MP1"] == 2611 and predefined["INVAT"] == 2641
    assert predefined["CURRENCYWIN"] == 3960 and predefined["CURRENCYLOSS"] == 7960


def test_dimensions_and_last_modified(small_company: Company) -> None:
    rows = [r for vs in small_company.vouchers.values() for v in vs for r in v.rows]
    assert any(r.cost_center for r in rows) and any(r.project for r in rows)
    assert {r.cost_center for r in rows if r.cost_center} <= set(small_company.cost_centers)
    assert {r.project for r in rows if r.project} <= set(small_company.projects)
    stamped = [
        *small_company.customers.values(),
        *small_company.suppliers.values(),
        *small_company.projects.values(),
        *small_company.invoices.values(),
        *small_company.supplier_invoices.values(),
        *small_company.invoice_payments.values(),
    ]
    for record in stamped:
        assert record.last_modified is not None
        assert record.last_modified.tzinfo is not None
        assert str(record.last_modified.tzinfo) == "Europe/Stockholm"
        assert record.last_modified.date() <= BUSINESS_DATE
    for invoice in small_company.invoices.values():
        assert invoice.last_modified.date() >= invoice.invoice_date
        if invoice.final_pay_date is not None:
            assert invoice.last_modified.date() >= invoice.final_pay_date


def test_rows_are_tagged_only_with_running_projects(small_company: Company) -> None:
    projects = small_company.projects

    def running(number: str, day: date) -> bool:
        project = projects[number]
        return project.status != "NOTSTARTED" and project.start_date <= day <= project.end_date

    tagged = 0
    for vouchers in small_company.vouchers.values():
        for voucher in vouchers:
            day = voucher.transaction_date
            for row in voucher.rows:
                credit_note = voucher.description.startswith("Kreditfaktura")  # copies its original
                if row.project and voucher.series in "BC" and not credit_note:
                    tagged += 1
                    assert running(row.project, day) or not any(
                        running(number, day) for number in projects
                    ), (voucher.series, voucher.number, row.project)
    assert tagged > 20
