"""In-memory books of a sandbox company: the contract between the book generator and the API double.

The generator (`books.py`) fills these records; the API double (`app.py`) and the SIE writer
(`sie_writer.py`) only read them (and `advance` appends/modifies through the generator).
Amounts are integers in öre (1/100 SEK, or 1/100 of the document currency) so that sums are
exact and a `large` company (about 1.2 million voucher rows) stays fast to build; they become
decimals only when serialised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(slots=True)
class FinancialYear:
    """A Fortnox financial year; `id` is what the API's `financialyear` parameter takes."""

    id: int
    from_date: date
    to_date: date
    account_chart_type: str = "BAS 2024"
    accounting_method: str = "ACCRUAL"


@dataclass(slots=True)
class Account:
    """One account of the (BAS) chart; the chart is the same in every year of a company."""

    number: int
    description: str
    sru: int | None = None
    vat_code: str = ""
    active: bool = True
    cost_center_settings: str = "ALLOWED"
    project_settings: str = "ALLOWED"


@dataclass(slots=True)
class VoucherSeries:
    """A voucher series (A manual, B supplier invoices, C customer invoices, ...)."""

    code: str
    description: str
    manual: bool


@dataclass(slots=True)
class VoucherRow:
    """A row of a voucher. `removed` rows are struck (SIE #BTRANS, excluded from balances);
    `added_later` rows were added by a correction (SIE #RTRANS followed by its #TRANS mirror)."""

    account: int
    debit: int  # öre, >= 0
    credit: int  # öre, >= 0
    description: str = ""
    cost_center: str = ""
    project: str = ""
    quantity: int = 0
    removed: bool = False
    added_later: bool = False
    changed_by: str = ""  # user name of a correction, SIE sign on #RTRANS/#BTRANS


@dataclass(slots=True)
class Voucher:
    """A booked voucher, unique on (series, number, financial_year_id)."""

    series: str
    number: int
    financial_year_id: int
    transaction_date: date
    description: str
    reference_type: str  # INVOICE SUPPLIERINVOICE INVOICEPAYMENT SUPPLIERPAYMENT MANUAL ACCRUAL ...
    reference_number: str
    registration_date: date
    rows: list[VoucherRow]
    comments: str = ""
    cost_center: str = ""
    project: str = ""


@dataclass(slots=True)
class Customer:
    """A customer of the company (kundreskontra)."""

    number: str
    name: str
    organisation_number: str
    address: str
    zip_code: str
    city: str
    country_code: str = "SE"
    email: str = ""
    phone: str = ""
    currency: str = "SEK"
    terms_of_payment: int = 30
    active: bool = True
    last_modified: datetime | None = None


@dataclass(slots=True)
class Supplier:
    """A supplier of the company (leverantörsreskontra)."""

    number: str
    name: str
    organisation_number: str
    address: str
    zip_code: str
    city: str
    country_code: str = "SE"
    email: str = ""
    phone: str = ""
    currency: str = "SEK"
    terms_of_payment: int = 30
    bank_giro: str = ""
    active: bool = True
    last_modified: datetime | None = None


@dataclass(slots=True)
class InvoiceRow:
    """A sales row: `price` is per unit excluding VAT, in the invoice currency (öre)."""

    description: str
    account: int
    quantity: int
    price: int
    vat_percent: int  # 25, 12, 6 or 0
    cost_center: str = ""  # Fortnox InvoiceRow.CostCenter (the voucher row inherits it)
    project: str = ""  # Fortnox InvoiceRow.Project


@dataclass(slots=True)
class Invoice:
    """A customer invoice or credit note. Amounts in the invoice currency (öre).

    `balance` always equals `total` minus the payments booked against it (invariant).
    """

    document_number: int
    customer_number: str
    customer_name: str
    invoice_date: date
    due_date: date
    currency: str
    currency_rate: str  # SEK per unit, e.g. "1" or "11.4215"
    rows: list[InvoiceRow]
    net: int
    total_vat: int
    total: int  # incl. VAT, negative for a credit note
    balance: int
    ocr: str
    booked: bool = True
    cancelled: bool = False
    credit: bool = False
    credit_invoice_reference: int | None = None
    sent: bool = True
    final_pay_date: date | None = None
    voucher_series: str | None = None
    voucher_number: int | None = None
    voucher_year: int | None = None  # financial year id
    cost_center: str = ""
    project: str = ""
    terms_of_payment: int = 30
    last_modified: datetime | None = None


@dataclass(slots=True)
class InvoicePayment:
    """A payment (or part payment) of a customer invoice."""

    number: int
    invoice_number: int
    amount: int  # in the invoice currency
    amount_sek: int
    currency: str
    currency_rate: str
    payment_date: date
    mode_of_payment: str = "BG"
    booked: bool = True
    voucher_series: str | None = None
    voucher_number: int | None = None
    voucher_year: int | None = None
    last_modified: datetime | None = None


@dataclass(slots=True)
class SupplierInvoiceRow:
    """A booking row of a supplier invoice (cost, input VAT, or the payable)."""

    account: int
    debit: int
    credit: int
    description: str = ""
    cost_center: str = ""
    project: str = ""


@dataclass(slots=True)
class SupplierInvoice:
    """A supplier invoice; `given_number` is Fortnox's own running number."""

    given_number: int
    supplier_number: str
    supplier_name: str
    invoice_number: str
    invoice_date: date
    due_date: date
    currency: str
    currency_rate: str
    rows: list[SupplierInvoiceRow]
    total: int
    vat: int
    balance: int
    ocr: str = ""
    booked: bool = True
    cancelled: bool = False
    credit: bool = False
    final_pay_date: date | None = None
    voucher_series: str | None = None
    voucher_number: int | None = None
    voucher_year: int | None = None
    cost_center: str = ""
    project: str = ""
    last_modified: datetime | None = None


@dataclass(slots=True)
class SupplierInvoicePayment:
    """A payment of a supplier invoice."""

    number: int
    invoice_number: int  # the supplier invoice's given_number
    amount: int
    amount_sek: int
    currency: str
    currency_rate: str
    payment_date: date
    booked: bool = True
    source: str = "manual"
    voucher_series: str | None = None
    voucher_number: int | None = None
    voucher_year: int | None = None
    last_modified: datetime | None = None


@dataclass(slots=True)
class CostCenter:
    """A cost center (SIE dimension 1)."""

    code: str
    description: str
    active: bool = True
    note: str = ""
    # The day it was added after the books were generated (None: always there). An SIE export
    # of a year that ended before lists no such object.
    created: date | None = None


@dataclass(slots=True)
class Project:
    """A project (SIE dimension 6)."""

    number: str
    description: str
    status: str  # NOTSTARTED ONGOING COMPLETED
    start_date: date | None = None
    end_date: date | None = None
    project_leader: str = ""
    last_modified: datetime | None = None
    created: date | None = None  # as CostCenter.created


@dataclass(slots=True)
class DeliberateDifference:
    """A booking made on purpose so that a subledger and the ledger disagree (ground truth)."""

    ledger: str  # "AR" or "AP"
    account: int
    voucher_series: str
    voucher_number: int
    financial_year_id: int
    voucher_date: date
    amount: int  # öre, debit positive, as it moves the ledger balance
    description: str


@dataclass(slots=True)
class Company:
    """One sandbox tenant: everything Fortnox would hold for one company."""

    database_number: int  # the tenant id (TenantId header, DatabaseNumber)
    name: str
    organisation_number: str
    address: str
    zip_code: str
    city: str
    financial_years: list[FinancialYear]
    accounts: dict[int, Account]
    voucher_series: dict[str, VoucherSeries]
    predefined_accounts: dict[str, int]  # Fortnox name (e.g. CUSTOMERRECEIVABLES) -> account
    cost_centers: dict[str, CostCenter]
    projects: dict[str, Project]
    customers: dict[str, Customer]
    suppliers: dict[str, Supplier]
    invoices: dict[int, Invoice]
    invoice_payments: dict[int, InvoicePayment]
    supplier_invoices: dict[int, SupplierInvoice]
    supplier_invoice_payments: dict[int, SupplierInvoicePayment]
    vouchers: dict[int, list[Voucher]]  # financial_year_id -> vouchers ordered by series, number
    opening_balances: dict[int, dict[int, int]]  # financial_year_id -> account -> öre (IB)
    locked_through: date | None
    business_date: date  # the sandbox's "today" for new business (moved by advance)
    deliberate_differences: list[DeliberateDifference] = field(default_factory=list)
    fortnox_customer_id: str = ""  # SIE #FNR
    legal_form: str = "ab"  # ab (aktiebolag), hb (handelsbolag) or enskild (enskild firma)
    # The book generator's private bookkeeping (planned payments, VAT and payroll accruals,
    # next numbers) so `advance` can continue the same business; readers must ignore it.
    simulation: Any = None
    # Articles, orders, offers, price lists, ... (`registers.Registers`), made by the sandbox.
    registers: Any = None
