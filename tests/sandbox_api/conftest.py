"""Fixtures for the API-double tests: a small hand-made company, a steerable clock, clients."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import httpx
import pytest
from starlette.applications import Starlette

from sources.fortnox_sandbox.app import create_app
from sources.fortnox_sandbox.model import (
    Account,
    Company,
    CostCenter,
    Customer,
    FinancialYear,
    Invoice,
    InvoicePayment,
    InvoiceRow,
    Project,
    Supplier,
    SupplierInvoice,
    SupplierInvoicePayment,
    SupplierInvoiceRow,
    Voucher,
    VoucherRow,
    VoucherSeries,
)
from sources.fortnox_sandbox.state import STOCKHOLM, SandboxConfig
from sources.fortnox_sandbox.transport import sandbox_transport

BASE_URL = "http://sandbox.test"


class FakeClock:
    """A clock tests move by hand, so expiry and rate windows need no sleeping."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _voucher(series: str, number: int, year: int, day: date, amount: int, ref: str) -> Voucher:
    return Voucher(
        series=series,
        number=number,
        financial_year_id=year,
        transaction_date=day,
        description=f"Verifikation {series}{number}",
        reference_type=ref,
        reference_number=str(number),
        registration_date=day,
        rows=[
            VoucherRow(account=1930, debit=amount, credit=0, description="Bank"),
            VoucherRow(account=3001, debit=0, credit=amount, description="Försäljning"),
        ],
    )


def make_company(database_number: int = 9001, invoices: int = 7) -> Company:
    """A tiny but complete company: two financial years, a few of every record type."""
    years = [
        FinancialYear(1, date(2025, 1, 1), date(2025, 12, 31)),
        FinancialYear(2, date(2026, 1, 1), date(2026, 12, 31)),
    ]
    accounts = {
        1510: Account(1510, "Kundfordringar", sru=7251),
        1930: Account(1930, "Företagskonto", sru=7281),
        2440: Account(2440, "Leverantörsskulder", sru=7368),
        2641: Account(2641, "Debiterad ingående moms"),
        3001: Account(3001, "Försäljning inom Sverige, 25 % moms", sru=7410, vat_code="MP1"),
        5010: Account(5010, "Lokalhyra", sru=7513),
    }
    customers = {
        str(n): Customer(
            number=str(n),
            name=f"Kund {n} Åkeri AB",
            organisation_number=f"55600{n:04d}-1234"[:11],
            address=f"Storgatan {n}",
            zip_code="11122",
            city="Göteborg",
            email=f"kund{n}@example.se",
            active=n != 3,
            last_modified=datetime(2026, 1, n, 8, 0),
        )
        for n in range(1, 4)
    }
    invoice_records = {}
    for n in range(1, invoices + 1):
        total = 12500 * n
        invoice_records[n] = Invoice(
            document_number=n,
            customer_number=str((n % 3) + 1),
            customer_name=f"Kund {(n % 3) + 1} Åkeri AB",
            invoice_date=date(2026, 1, n),
            due_date=date(2026, 1, n) + timedelta(days=30),
            currency="EUR" if n == 2 else "SEK",
            currency_rate="11.4215" if n == 2 else "1",
            rows=[InvoiceRow("Konsulttimme", 3001, 1, 10000 * n, 25)],
            net=10000 * n,
            total_vat=2500 * n,
            total=total,
            balance=0 if n % 2 == 0 else total,
            ocr=f"{n}00",
            booked=n != 5,
            cancelled=n == 6,
            voucher_series="C" if n != 5 else None,
            voucher_number=n if n != 5 else None,
            voucher_year=2 if n != 5 else None,
            last_modified=datetime(2026, 1, n, 12, 30),
        )
    payments = {
        n: InvoicePayment(
            number=n,
            invoice_number=n * 2,
            amount=12500 * n * 2,
            amount_sek=12500 * n * 2,
            currency="SEK",
            currency_rate="1",
            payment_date=date(2026, 2, n),
            voucher_series="D",
            voucher_number=n,
            voucher_year=2,
            last_modified=datetime(2026, 2, n, 9, 0),
        )
        for n in range(1, 4)
    }
    supplier_invoices = {
        1: SupplierInvoice(
            given_number=1,
            supplier_number="1",
            supplier_name="Fastighets AB Öster",
            invoice_number="F-1001",
            invoice_date=date(2026, 1, 2),
            due_date=date(2026, 2, 1),
            currency="SEK",
            currency_rate="1",
            rows=[
                SupplierInvoiceRow(2440, 0, 1250000),
                SupplierInvoiceRow(5010, 1000000, 0),
                SupplierInvoiceRow(2641, 250000, 0),
            ],
            total=1250000,
            vat=250000,
            balance=0,
            voucher_series="B",
            voucher_number=1,
            voucher_year=2,
        )
    }
    supplier_payments = {
        1: SupplierInvoicePayment(
            number=1,
            invoice_number=1,
            amount=1250000,
            amount_sek=1250000,
            currency="SEK",
            currency_rate="1",
            payment_date=date(2026, 2, 1),
            voucher_series="E",
            voucher_number=1,
            voucher_year=2,
        )
    }
    vouchers = {
        1: [_voucher("A", n, 1, date(2025, 3, n), 10000 * n, "MANUAL") for n in range(1, 4)],
        2: [_voucher("A", n, 2, date(2026, 1, n), 10000 * n, "MANUAL") for n in range(1, 6)]
        + [_voucher("C", n, 2, date(2026, 1, n), 12500 * n, "INVOICE") for n in range(1, 4)],
    }
    vouchers[2][0].rows.append(VoucherRow(5010, 500, 0, "Felbokad", removed=True))
    return Company(
        database_number=database_number,
        name="Sandlådan Bygg & Ström AB",
        organisation_number="556677-8899",
        address="Kungsgatan 1",
        zip_code="11143",
        city="Stockholm",
        financial_years=years,
        accounts=accounts,
        voucher_series={
            code: VoucherSeries(code, description, code == "A")
            for code, description in [
                ("A", "Manuella verifikationer"),
                ("B", "Leverantörsfakturor"),
                ("C", "Kundfakturor"),
                ("D", "Kundinbetalningar"),
                ("E", "Leverantörsutbetalningar"),
            ]
        },
        predefined_accounts={"CUSTOMERRECEIVABLES": 1510, "SUPPLIERDEBT": 2440, "BG": 1930},
        cost_centers={"SÄLJ": CostCenter("SÄLJ", "Försäljning"), "ADM": CostCenter("ADM", "Admin")},
        projects={
            "1001": Project("1001", "Kontorsbygget", "ONGOING", date(2026, 1, 1)),
            "1002": Project("1002", "Laddstolpar", "NOTSTARTED"),
        },
        customers=customers,
        suppliers={
            "1": Supplier("1", "Fastighets AB Öster", "556000-0001", "Box 1", "11122", "Malmö")
        },
        invoices=invoice_records,
        invoice_payments=payments,
        supplier_invoices=supplier_invoices,
        supplier_invoice_payments=supplier_payments,
        vouchers=vouchers,
        opening_balances={1: {1930: 100000}, 2: {1930: 160000, 2099: -60000}},
        locked_through=date(2025, 12, 31),
        business_date=date(2026, 2, 5),
    )


@pytest.fixture
def clock() -> FakeClock:
    """Stockholm time, frozen until a test moves it."""
    return FakeClock(datetime(2026, 3, 15, 10, 0, tzinfo=STOCKHOLM))


@pytest.fixture
def app(clock: FakeClock) -> Starlette:
    """A sandbox over the hand-made company, no rate limit."""
    return create_app(SandboxConfig(rate_limit=None, clock=clock), companies=[make_company()])


@pytest.fixture
def client(app: Starlette) -> Iterator[httpx.Client]:
    """An authorised client (all scopes) against the in-process sandbox."""
    tokens = app.state.sandbox.issue_tokens_for_tests()
    with httpx.Client(
        transport=sandbox_transport(app),
        base_url=BASE_URL,
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ) as http:
        yield http


@pytest.fixture
def anonymous(app: Starlette) -> Iterator[httpx.Client]:
    """A client without a token (OAuth endpoints, /_sandbox, 401s)."""
    with httpx.Client(transport=sandbox_transport(app), base_url=BASE_URL) as http:
        yield http
