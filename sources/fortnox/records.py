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

import dlt
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


def column_hints(*text_keys: str, cursor: bool = False) -> dict[str, TColumnSchema]:
    """The static dlt hints of a Fortnox table: the company, identifiers, the run cursor.

    Money, rate and date hints are not here but on each page (`hinted`): a hint creates a
    column, and a table must not grow empty columns for fields its records never carry.

    Args:
        text_keys: snake_case columns that must stay text although they look numeric
            (customer and supplier numbers are identifiers with meaningful leading zeros).
        cursor: the table has the `seen_at` cursor of a `lastmodified` resource.
    """
    hints: dict[str, TColumnSchema] = {"company_id": {"data_type": "text", "nullable": False}}
    if cursor:
        hints["seen_at"] = dict(_TIMESTAMP)  # type: ignore[assignment]
    for key in text_keys:
        hints[key] = {"data_type": "text"}
    return hints


_VALUE_HINTS: dict[str, TColumnSchema] = {
    **{name: _MONEY for name in MONEY_FIELDS},
    **{name: _RATE for name in RATE_FIELDS},
    **{name: _DATE for name in DATE_FIELDS},
}


def hinted(rows: list[dict[str, Any]]) -> Any:
    """A page of shaped rows with the money, rate and date hints of the fields it carries."""
    columns = {
        _snake(field): dict(_VALUE_HINTS[field])
        for field in {key for row in rows for key in row}
        if field in _VALUE_HINTS
    }
    if not columns:
        return rows
    return dlt.mark.with_hints(rows, dlt.mark.make_hints(columns=columns))  # type: ignore[arg-type]


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
    (and, for incremental resources, when the record was seen). Nested records (invoice rows,
    voucher references) get the same rules and the company too: they become child tables
    (`supplier_invoices__vouchers`) that can be filtered by company without a join.
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
                shape_record(item, company_id) if isinstance(item, Mapping) else item
                for item in value
            ]
        else:
            row[key] = value
    if seen_at is not None:
        row["seen_at"] = seen_at
    return row


def shape_page(
    page: Iterable[Mapping[str, Any]], company_id: str, seen_at: datetime | None = None
) -> list[dict[str, Any]]:
    """Shape one page of records."""
    return [shape_record(record, company_id, seen_at) for record in page]


def fortnox_timestamp(moment: datetime) -> str:
    """A `lastmodified` value: Stockholm local time, minute precision, as Fortnox expects."""
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
