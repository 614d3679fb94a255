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

from dlt.common.schema.typing import TColumnSchema
from dlt.sources import DltResource

from sources.fortnox.spec import (
    MONEY_FIELDS,
    RATE_FIELDS,
    shape_by_spec,
    spec_columns,
    spec_nested_hints,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")

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

_TIMESTAMP: TColumnSchema = {"data_type": "timestamp", "timezone": True}


def column_hints(*text_keys: str, cursor: bool = False) -> dict[str, TColumnSchema]:
    """The static dlt hints of a Fortnox table: the company, identifiers, the run cursor.

    Every other column's type comes from Fortnox's OpenAPI schema of the table's records
    (`apply_spec_hints`): exactly the fields those records can carry, no more.

    Args:
        text_keys: snake_case columns that must stay text although they look numeric
            (customer and supplier numbers are identifiers with meaningful leading zeros).
        cursor: the table has the `seen_at` cursor of a `lastmodified` resource.
    """
    hints: dict[str, TColumnSchema] = {
        "company_id": {"data_type": "text", "nullable": False},
        "company_key": {"data_type": "text"},  # stamped by `company.CompanyIdentity`
    }
    if cursor:
        hints["seen_at"] = dict(_TIMESTAMP)  # type: ignore[assignment]
    for key in text_keys:
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
    record: Mapping[str, Any],
    company_id: str,
    seen_at: datetime | None = None,
    *,
    schema: str | None = None,
) -> dict[str, Any]:
    """One warehouse row from one Fortnox record (list item or detail).

    With `schema` (a component of Fortnox's OpenAPI document), every value is coerced to the
    type the spec gives its field (`spec.shape_by_spec`); without, by the field-name rules below.

    Drops `@url*` links (they embed the API host and differ between sandbox and production),
    makes money and rates exact, turns empty date strings into nulls, and stamps the company
    (and, for incremental resources, when the record was seen). Nested records (invoice rows,
    voucher references) get the same rules and the company too: they become child tables
    (`supplier_invoices__vouchers`) that can be filtered by company without a join.
    """
    if schema is not None:
        row = shape_by_spec(record, schema, company_id)
        if seen_at is not None:
            row["seen_at"] = seen_at
        return row
    row = {"company_id": company_id}
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
    page: Iterable[Mapping[str, Any]],
    company_id: str,
    seen_at: datetime | None = None,
    *,
    schema: str | None = None,
) -> list[dict[str, Any]]:
    """Shape one page of records (typed by `schema` when given)."""
    return [shape_record(record, company_id, seen_at, schema=schema) for record in page]


def fortnox_timestamp(moment: datetime) -> str:
    """A `lastmodified` value: Stockholm local time, minute precision, as Fortnox expects."""
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")


def apply_spec_hints(resource: DltResource, schema: str) -> None:
    """Declare every column of a resource's table (and its nested tables) from the spec.

    The resource's own static hints win where they name a column too (keys kept as text, the
    run cursor), so the spec adds types and never undoes a deliberate choice.
    """
    static = resource.columns
    own = dict(static) if isinstance(static, dict) else {}
    nested = spec_nested_hints(schema)
    resource.apply_hints(
        columns={**spec_columns(schema), **own},
        nested_hints=nested or None,  # type: ignore[arg-type]
    )
