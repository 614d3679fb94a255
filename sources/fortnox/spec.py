"""Column types from Fortnox's own OpenAPI document, not from the first value a page holds.

Real Fortnox writes numbers in their shortest form (`0`, `1.12`, `1500`), some numbers as strings
(`"0"`), and `null` for absent dates and people. Left to infer types, dlt split
`price_excluding_vat` into a BIGINT column and a `__v_double` variant, and never created a column
that was null in every row. So every field of every table is typed here from the schema Fortnox
publishes for the record the table reads, and every value is coerced to that type before dlt sees
it: no variant column can appear, and every column exists from the first load.

`spec_types.json` beside this module is a compact extract of the official document (the types of
the schemas the source reads, `$ref`s resolved to names); `extract_types` makes it from the full
document, and a test proves the vendored extract equals what the full document gives.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dlt.common.normalizers.naming.snake_case import NamingConvention
from dlt.common.schema.typing import TColumnSchema

SPEC_TYPES_PATH = Path(__file__).with_name("spec_types.json")
STOCKHOLM = ZoneInfo("Europe/Stockholm")
_REF_PREFIX = "#/components/schemas/"

# Fortnox money is exact to the öre; a rate (currency rate, unit) needs more places. Names decide
# money over the spec's type because the spec types several amounts as strings
# (supplier-invoice `Total`, article `SalesPrice`): they are still money.
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
        "SalesPrice",
        "PurchasePrice",
        "StockValue",
        "ApprovedAmount",
        "AskedAmount",
        "PriceExcludingVAT",
        "TotalExcludingVAT",
        "InvoiceTotal",
    }
)
RATE_FIELDS = frozenset({"CurrencyRate", "CurrencyUnit", "BuyRate", "SellRate"})
# Of those, the ones the spec types as strings that still hold an amount or a rate (supplier
# invoice `Total`/`Balance`/`CurrencyRate`, article prices). Another string with a money-like name
# is not one (`Credit` of an invoice detail is "true"/"false").
AMOUNTS_AS_TEXT = frozenset(
    {
        "Total",
        "Balance",
        "CurrencyRate",
        "SalesPrice",
        "PurchasePrice",
        "StockValue",
        "AdministrationFee",
        "Freight",
        "VAT",
        "InvoiceTotal",
    }
)

MONEY: TColumnSchema = {"data_type": "decimal", "precision": 18, "scale": 2}
RATE: TColumnSchema = {"data_type": "decimal", "precision": 18, "scale": 6}
# Quantities, percentages and other numbers: exact, with room for Fortnox's decimals.
NUMBER: TColumnSchema = {"data_type": "decimal", "precision": 18, "scale": 6}
_TYPE_COLUMNS: dict[str, TColumnSchema] = {
    "string": {"data_type": "text"},
    "integer": {"data_type": "bigint"},
    "boolean": {"data_type": "bool"},
    "date": {"data_type": "date"},
    "date-time": {"data_type": "timestamp", "timezone": True},
    "number": NUMBER,
}

_NAMING = NamingConvention()


def snake(field: str) -> str:
    """dlt's own snake_case of a Fortnox field name, so hints name the columns dlt creates."""
    return _NAMING.normalize_identifier(field)


# -- the extract ---------------------------------------------------------------------------------
def _field_type(prop: Mapping[str, Any]) -> str:
    """One property as a type word: string, date, date-time, number, integer, boolean,
    `object:<schema>`, `array:<schema>`, `array:<scalar type>`, or `object`/`array` (untyped)."""
    ref = prop.get("$ref")
    if ref:
        return f"object:{ref.removeprefix(_REF_PREFIX)}"
    kind = prop.get("type")
    if kind == "array":
        items = prop.get("items") or {}
        if items.get("$ref"):
            return f"array:{items['$ref'].removeprefix(_REF_PREFIX)}"
        return f"array:{items['type']}" if isinstance(items.get("type"), str) else "array"
    if kind == "string" and prop.get("format") in ("date", "date-time"):
        return str(prop["format"])
    if kind in ("string", "number", "integer", "boolean"):
        return str(kind)
    return "object"


def extract_types(document: Mapping[str, Any], roots: Iterable[str]) -> dict[str, Any]:
    """The types of `roots` and every schema they reference, from a full OpenAPI document."""
    schemas = document["components"]["schemas"]
    extracted: dict[str, dict[str, str]] = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in extracted:
            continue
        properties = schemas[name].get("properties", {})
        fields = {key: _field_type(prop) for key, prop in sorted(properties.items())}
        extracted[name] = fields
        for kind in fields.values():
            _, _, referenced = kind.partition(":")
            if referenced in schemas:
                pending.append(referenced)
    return {
        "source": "tests/fixtures/fortnox-openapi.json (Fortnox's official OpenAPI document)",
        "schemas": dict(sorted(extracted.items())),
    }


@cache
def spec_types() -> dict[str, dict[str, str]]:
    """Schema name -> field -> type word, from the vendored extract."""
    document: dict[str, Any] = json.loads(SPEC_TYPES_PATH.read_text(encoding="utf-8"))
    schemas: dict[str, dict[str, str]] = document["schemas"]
    return schemas


def fields_of(schema: str) -> dict[str, str]:
    """The fields of one schema (KeyError names a schema the extract lacks)."""
    return spec_types()[schema]


# -- column hints ------------------------------------------------------------------------------
def column_for(field: str, kind: str) -> TColumnSchema | None:
    """The dlt column of one scalar field (None for objects and arrays)."""
    amount = kind == "number" or (kind == "string" and field in AMOUNTS_AS_TEXT)
    if amount and field in MONEY_FIELDS:
        return dict(MONEY)  # type: ignore[return-value]
    if amount and field in RATE_FIELDS:
        return dict(RATE)  # type: ignore[return-value]
    column = _TYPE_COLUMNS.get(kind)
    return dict(column) if column is not None else None  # type: ignore[return-value]


def spec_columns(schema: str, prefix: str = "") -> dict[str, TColumnSchema]:
    """Every column a record of `schema` gives its table, nested objects flattened as dlt does
    (`approver__id`); arrays become nested tables (see `spec_nested_hints`)."""
    columns: dict[str, TColumnSchema] = {}
    for field, kind in fields_of(schema).items():
        if field.startswith("@"):
            continue
        name = f"{prefix}{snake(field)}"
        if kind.startswith("object:"):
            columns.update(spec_columns(kind.partition(":")[2], f"{name}__"))
            continue
        column = column_for(field, kind)
        if column is not None:
            columns[name] = column
    return columns


def spec_nested_hints(schema: str) -> dict[str, dict[str, Any]]:
    """Column hints of the nested tables a record's arrays of objects become (one level, as the
    source's `max_table_nesting`); each nested row carries `company_id` too."""
    hints: dict[str, dict[str, Any]] = {}
    for field, kind in fields_of(schema).items():
        if kind.startswith("array:") and kind.partition(":")[2] in spec_types():
            columns = spec_columns(kind.partition(":")[2])
            columns["company_id"] = {"data_type": "text"}
            columns["company_key"] = {"data_type": "text"}
            # Nested hints are not normalised by dlt as resource columns are: name each one.
            named = {name: {"name": name, **column} for name, column in columns.items()}
            hints[snake(field)] = {"columns": named}
    return hints


# -- values ------------------------------------------------------------------------------------
class SpecValueError(ValueError):
    """A value that cannot be what the spec says (a number that is not one): never guessed."""


def _decimal(value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise SpecValueError(f"{field}: expected a number, got {value!r}")
    if isinstance(value, Decimal):
        return value
    try:
        # str() of a JSON float is its shortest repr: exactly the digits Fortnox sent.
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise SpecValueError(f"{field}: expected a number, got {value!r}") from None


def _integer(value: Any, field: str) -> int | None:
    number = _decimal(value, field)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise SpecValueError(f"{field}: expected an integer, got {value!r}")
    return int(number)


def _boolean(value: Any, field: str) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise SpecValueError(f"{field}: expected a boolean, got {value!r}")


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(Decimal(str(value)).normalize()) if value != int(value) else str(int(value))
    if isinstance(value, (int, Decimal)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _date(value: Any, field: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise SpecValueError(f"{field}: expected a date, got {value!r}") from None


def _timestamp(value: Any, field: str) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise SpecValueError(f"{field}: expected a timestamp, got {value!r}") from None
    # Fortnox writes local Swedish time without an offset.
    return moment if moment.tzinfo else moment.replace(tzinfo=STOCKHOLM)


def coerce(field: str, kind: str, value: Any) -> Any:
    """One scalar value as its column's type; None for an empty value."""
    return _converter(field, kind)(value)


@cache
def _converter(field: str, kind: str) -> Callable[[Any], Any]:
    """`coerce` of one field, its column's type looked up once (it is per value, per row)."""
    column = column_for(field, kind)
    data_type = column["data_type"] if column else None
    typed = {
        "decimal": _decimal,
        "bigint": _integer,
        "bool": _boolean,
        "date": _date,
        "timestamp": _timestamp,
    }.get(data_type)  # type: ignore[arg-type]
    if typed is None:
        return _text

    def convert(value: Any) -> Any:
        return typed(value, field)

    return convert


_OBJECT, _ARRAY, _TEXT, _SCALAR = range(4)


@cache
def _shape_plan(schema: str) -> dict[str, tuple[int, Any]]:
    """How `shape_by_spec` treats each field of `schema`, worked out once per schema."""
    plan: dict[str, tuple[int, Any]] = {}
    for key, kind in fields_of(schema).items():
        if kind.startswith("object:"):
            plan[key] = (_OBJECT, kind.partition(":")[2])
        elif kind.startswith("array:"):
            plan[key] = (_ARRAY, kind.partition(":")[2])
        elif kind in ("object", "array"):
            plan[key] = (_TEXT, None)
        else:
            plan[key] = (_SCALAR, _converter(key, kind))
    return plan


def shape_by_spec(record: Mapping[str, Any], schema: str, company_id: str | None) -> dict[str, Any]:
    """One record with every value coerced to its spec type; `@url` links dropped.

    A field the spec does not know is kept as text (JSON for objects), so that an undocumented
    field can never split into variant columns either. Arrays of objects keep `company_id` on
    each element (they become nested tables filtered by company without a join).
    """
    plan = _shape_plan(schema)
    row: dict[str, Any] = {} if company_id is None else {"company_id": company_id}
    for key, value in record.items():
        if key.startswith("@"):
            continue
        how = plan.get(key)
        if how is None:
            row[key] = value if isinstance(value, list) else _text(value)
            continue
        action, detail = how
        if action == _SCALAR:
            row[key] = detail(value)
        elif action == _OBJECT:
            row[key] = shape_by_spec(value, detail, None) if isinstance(value, Mapping) else None
        elif action == _ARRAY:
            row[key] = _shape_array(key, detail, value, company_id)
        else:
            row[key] = _text(value)
    return row


def _shape_array(field: str, item_kind: str, value: Any, company_id: str | None) -> list[Any]:
    if not isinstance(value, list):
        return []
    if item_kind in spec_types():
        return [
            shape_by_spec(item, item_kind, company_id)
            for item in value
            if isinstance(item, Mapping)
        ]
    convert = _converter(field, item_kind)
    return [convert(item) for item in value]
