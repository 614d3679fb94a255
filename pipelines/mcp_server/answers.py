"""The typed answers of the tools: what an agent gets back, with its schema published to it.

Every answer has `about`: the company, the date its figures describe, the locked period that
makes a figure final, and when the data was loaded. Every figure row has a `status`, final
(inside Fortnox's locked period: it will not change) or provisional. Amounts are exact decimal
strings ("-1234.50"), never floats, so an agent cannot lose an öre to binary rounding.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

Amount = Annotated[str, Field(description="Exact decimal amount in SEK, e.g. '-1234.50'.")]
Status = Literal["final", "provisional"]


def amount(value: Decimal | int | float | str | None) -> str | None:
    """An amount as the exact decimal string the answers carry (None stays None)."""
    if value is None:
        return None
    if isinstance(value, float):
        # Never printed as a binary float: the shortest repr is what the source held.
        value = Decimal(repr(value))
    return format(Decimal(value), "f")


def status(is_final: bool | str | None) -> Status:
    """`final` or `provisional` from a model's `is_final` flag or `status` column."""
    return "final" if is_final is True or is_final == "final" else "provisional"


class About(BaseModel):
    """Whose figures these are, for which date, and how fresh and final they are."""

    company_id: str = Field(description="Fortnox DatabaseNumber (or SIE company) of the books.")
    company_name: str | None
    as_of_date: date | None = Field(description="The date the figures describe.")
    locked_through: date | None = Field(
        description="Fortnox's locked period ends here: figures dated on or before are final."
    )
    loaded_at: datetime | None = Field(description="When this company's data was last loaded.")


class Page(BaseModel):
    """Where this page is in the whole result; ask again with `page=next_page` for more."""

    page: int
    page_size: int
    total_rows: int
    next_page: int | None


class FinancialYear(BaseModel):
    financial_year_id: int | None
    financial_year: str
    start: date | None
    end: date | None
    status: Status


class Company(BaseModel):
    company_id: str = Field(
        description="Fortnox's DatabaseNumber (or an SIE file's company id): the id rows carry."
    )
    company_key: str | None = Field(
        description="The organisation number as NNNNNN-NNNN: the company's key across Fortnox "
        "and SIE files (`company_key` in every table); any tool's `company` accepts it."
    )
    company_name: str | None
    org_number: str | None = Field(description="The organisation number as Fortnox writes it.")
    locked_through: date | None
    last_load_at: datetime | None
    last_load_outcome: str | None
    models_as_of: date | None = Field(
        description="The as-of date aging and reconciliation were built for."
    )
    financial_years: list[FinancialYear]


class CompanyList(BaseModel):
    companies: list[Company]


class TrialBalanceRow(BaseModel):
    account_number: str
    account_name: str | None
    opening_balance: Amount
    debit: Amount
    credit: Amount
    closing_balance: Amount
    status: Status


class TrialBalance(BaseModel):
    about: About
    financial_year: str
    period: str = Field(description="Month YYYY-MM; balances are year to date through its end.")
    signs: str
    totals: dict[str, Amount]
    rows: list[TrialBalanceRow]


class StatementLine(BaseModel):
    section: str | None
    line_code: str = Field(description="The ÅRL/K2 line (accounting.md's line codes).")
    line_name: str
    row_type: str = Field(description="line, subtotal, total, or excluded (never counted).")
    period_amount: Amount = Field(description="The month's amount (balance sheet: its change).")
    year_to_date_amount: Amount = Field(
        description="Year to date (income statement) or the balance at the month end."
    )
    opening_amount: Amount | None = Field(description="Balance sheet: the year's opening.")
    comparative_period_amount: Amount | None = Field(
        description="The same month one year earlier, when that year is loaded."
    )
    comparative_amount: Amount | None = Field(
        description="Year to date (or the balance) one year earlier, when that year is loaded."
    )
    status: Status


class Statement(BaseModel):
    about: About
    statement: Literal["income_statement", "balance_sheet"]
    financial_year: str
    period: str
    comparative_period: str | None
    signs: str
    totals: dict[str, Amount]
    lines: list[StatementLine]


class AgingItem(BaseModel):
    document_number: str
    counterparty_number: str | None
    counterparty_name: str | None
    invoice_date: date | None
    due_date: date | None
    days_past_due: int | None
    aging_bucket: str
    currency: str | None
    open_amount: Amount
    open_amount_sek: Amount


class AgingBucket(BaseModel):
    aging_bucket: str
    documents: int
    open_amount_sek: Amount


class Aging(BaseModel):
    about: About
    ledger: Literal["AR", "AP"]
    status: Status
    buckets: list[AgingBucket]
    total_open_sek: Amount
    page: Page
    items: list[AgingItem]


class ExplainingRow(BaseModel):
    voucher_series: str
    voucher_number: int
    voucher_date: date
    account_number: str
    amount: Amount
    text: str | None
    status: Status


class Reconciliation(BaseModel):
    about: About
    ledger: Literal["AR", "AP"]
    reconciliation_date: date
    control_accounts: str | None
    ledger_balance: Amount
    subledger_balance: Amount
    open_documents: int
    difference: Amount = Field(description="ledger - subledger, SIE signs (debit positive).")
    explained_amount: Amount
    unexplained_difference: Amount
    status: Status
    explaining_rows: list[ExplainingRow] = Field(
        description="Rows on the control accounts with no invoice or payment behind them."
    )


class LedgerRow(BaseModel):
    voucher_series: str | None
    voucher_number: int | None
    row_no: int | None
    voucher_date: date
    account_number: str
    amount: Amount = Field(description="SIE sign: debit positive, credit negative.")
    voucher_text: str | None
    row_text: str | None
    cost_center: str | None
    project: str | None
    status: Status


class GeneralLedger(BaseModel):
    about: About
    filters: dict[str, str | None]
    sum_amount: Amount = Field(description="Sum of all matching rows, not just this page.")
    page: Page
    rows: list[LedgerRow]


class VoucherRow(BaseModel):
    row_no: int | None
    account_number: str
    account_name: str | None
    amount: Amount
    text: str | None
    cost_center: str | None
    project: str | None
    transaction_date: date | None


class Voucher(BaseModel):
    about: About
    financial_year: str
    voucher_series: str
    voucher_number: int
    voucher_date: date
    registration_date: date | None
    text: str | None
    status: Status
    balanced: bool
    rows: list[VoucherRow]


class Document(BaseModel):
    document_number: str
    invoice_date: date | None
    due_date: date | None
    currency: str | None
    total: Amount | None
    open_amount: Amount | None = Field(description="Open on the as-of date (0 when settled).")
    is_cancelled: bool | None
    is_booked: bool | None
    paid_sek: Amount = Field(description="Booked payments to date, in SEK.")
    last_payment_date: date | None


class Counterparty(BaseModel):
    about: About
    ledger: Literal["AR", "AP"]
    number: str
    name: str | None
    personal_data: dict[str, Any] | None = Field(
        description="Contact and payment details; only when asked for and allowed."
    )
    open_total_sek: Amount
    status: Status
    page: Page
    documents: list[Document]


class Finding(BaseModel):
    file_name: str | None
    financial_year: str | None
    check: str | None
    subject: str | None
    expected: str | None
    actual: str | None
    severity: str | None
    message: str | None


class SieFindings(BaseModel):
    about: About
    files_checked: int
    page: Page
    findings: list[Finding]


class QueryAnswer(BaseModel):
    about: list[About]
    columns: list[str]
    types: list[str]
    rows: list[list[Any]] = Field(description="Decimals as strings, dates in ISO 8601.")
    row_count: int
    truncated: bool = Field(description="More rows matched than max_rows.")
    personal_data: bool = Field(description="Whether personal columns were visible.")
