"""Fortnox JSON records as warehouse rows: exact money, real dates, the company on every row.

Fortnox sends money as JSON numbers in some places and as strings in others (`CurrencyRate` is
`"1"` in invoice lists and `1` in details), and its `@url` links embed the API host. Rows are
shaped here, once, so that every table gets the same treatment and the column hints below are the
single place that says which field is money, which is a date and which is a key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from dlt.common.normalizers.naming.snake_case import NamingConvention
from dlt.common.schema.typing import TColumnSchema

STOCKHOLM = ZoneInfo("Europe/Stockholm")

MONEY_FIELDS = frozenset(
    {
        "Total",
        "Balance",
        "Net",
        "TotalVAT",
        "TotalToPay",
        "Amount",
        "AmountCurrency",
        "VAT",
        "Debit",
        "Credit",
        "Price",
        "RoundOff",
        "Freight",
        "AdministrationFee",
        "BalanceBroughtForward",
        "BalanceCarriedForward",
        "WriteOff",
    }
)
RATE_FIELDS = frozenset({"CurrencyRate", "CurrencyUnit"})
DATE_FIELDS = frozenset(
    {
        "InvoiceDate",
        "DueDate",
        "FinalPayDate",
        "PaymentDate",
        "FromDate",
        "ToDate",
        "TransactionDate",
        "StartDate",
        "EndDate",
    }
)

_MONEY: TColumnSchema = {"data_type": "decimal", "precision": 18, "scale": 2}
_RATE: TColumnSchema = {"data_type": "decimal", "precision": 18, "scale": 6}
_DATE: TColumnSchema = {"data_type": "date"}
_TIMESTAMP: TColumnSchema = {"data_type": "timestamp", "timezone": True}


_NAMING = NamingConvention()


def _snake(field: str) -> str:
    """dlt's own snake_case of a Fortnox field name, so hints name the columns dlt creates."""
    return _NAMING.normalize_identifier(field)


def column_hints(*extra_text_keys: str) -> dict[str, TColumnSchema]:
    """dlt column hints for every money, rate and date field a Fortnox record may carry.

    Args:
        extra_text_keys: snake_case columns that must stay text although they look numeric
            (customer and supplier numbers are identifiers with meaningful leading zeros).
    """
    hints: dict[str, TColumnSchema] = {"company_id": {"data_type": "text", "nullable": False}}
    hints.update({_snake(name): dict(_MONEY) for name in MONEY_FIELDS})  # type: ignore[misc]
    hints.update({_snake(name): dict(_RATE) for name in RATE_FIELDS})  # type: ignore[misc]
    hints.update({_snake(name): dict(_DATE) for name in DATE_FIELDS})  # type: ignore[misc]
    hints["seen_at"] = dict(_TIMESTAMP)  # type: ignore[assignment]
    for key in extra_text_keys:
        hints[key] = {"data_type": "text"}
    return hints


def to_decimal(value: Any) -> Decimal | None:
    """An exact Decimal from a Fortnox number or numeric string; None for empty values.

    JSON floats are converted through their shortest repr, which is exactly the decimal text
    Fortnox sent (two decimals), so no binary-float error reaches the warehouse.
    """
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def shape_record(
    record: Mapping[str, Any], company_id: str, seen_at: datetime | None = None
) -> dict[str, Any]:
    """One warehouse row from one Fortnox record (list item or detail).

    Drops `@url*` links (they embed the API host and differ between sandbox and production),
    makes money and rates exact, turns empty date strings into nulls, and stamps the company
    (and, for incremental resources, when the record was seen).
    """
    row: dict[str, Any] = {"company_id": company_id}
    for key, value in record.items():
        if key.startswith("@"):
            continue
        if key in MONEY_FIELDS or key in RATE_FIELDS:
            row[key] = to_decimal(value)
        elif key in DATE_FIELDS:
            row[key] = value or None
        elif isinstance(value, list):
            row[key] = [
                shape_nested(item, company_id) if isinstance(item, Mapping) else item
                for item in value
            ]
        else:
            row[key] = value
    if seen_at is not None:
        row["seen_at"] = seen_at
    return row


def shape_nested(record: Mapping[str, Any], company_id: str | None = None) -> dict[str, Any]:
    """Nested rows (invoice rows, voucher references): same money and date rules.

    They become child tables (`supplier_invoices__vouchers`); with `company_id` each child row
    carries the company too, so it can be filtered by company without a join to its parent.
    """
    row: dict[str, Any] = {} if company_id is None else {"company_id": company_id}
    for key, value in record.items():
        if key.startswith("@"):
            continue
        if key in MONEY_FIELDS or key in RATE_FIELDS:
            row[key] = to_decimal(value)
        elif key in DATE_FIELDS:
            row[key] = value or None
        else:
            row[key] = value
    return row


def shape_page(
    page: Iterable[Mapping[str, Any]], company_id: str, seen_at: datetime | None = None
) -> list[dict[str, Any]]:
    """Shape one page of records."""
    return [shape_record(record, company_id, seen_at) for record in page]


def fortnox_timestamp(moment: datetime) -> str:
    """A `lastmodified` value: Stockholm local time, minute precision, as Fortnox expects."""
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
