"""Column types come from Fortnox's OpenAPI document, whatever the values on the first page.

Real Fortnox writes `1500`, `1.12`, `"0"` and `null` where the spec says number, string or date;
left to inference, dlt split `price_excluding_vat` into BIGINT plus a `__v_double` variant and
never created a column that was null in every row. Here every resource is loaded from sandbox
pages rewritten the way real Fortnox writes them at its most awkward, and the warehouse must have
exactly the spec's columns and types, and no variant column.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from sources.fortnox.settings import SPEC_DETAIL_SCHEMAS, SPEC_SCHEMAS
from sources.fortnox.spec import (
    SPEC_TYPES_PATH,
    SpecValueError,
    extract_types,
    shape_by_spec,
    spec_columns,
    spec_nested_hints,
)
from tests.pipeline.conftest import DATASET, Loader, make_session

FULL_SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "fortnox-openapi.json"

DUCKDB_TYPES = {"text": "VARCHAR", "bigint": "BIGINT", "bool": "BOOLEAN", "date": "DATE"}


def _duckdb_type(column: dict[str, Any]) -> str:
    data_type = column["data_type"]
    if data_type == "decimal":
        return f"DECIMAL({column['precision']},{column['scale']})"
    if data_type == "timestamp":
        return "TIMESTAMP WITH TIME ZONE"
    return DUCKDB_TYPES[data_type]


def test_vendored_extract_equals_the_official_document() -> None:
    document = json.loads(FULL_SPEC.read_text(encoding="utf-8"))
    roots = [*SPEC_SCHEMAS.values(), *SPEC_DETAIL_SCHEMAS.values()]
    assert json.loads(SPEC_TYPES_PATH.read_text(encoding="utf-8")) == extract_types(document, roots)


def test_values_are_coerced_to_the_spec_type_never_guessed() -> None:
    row = shape_by_spec(
        {
            "@url": "https://api.fortnox.se/3/invoices/1",
            "Total": 1500,
            "Balance": "0",
            "CurrencyRate": "1",
            "VoucherNumber": "12",
            "VoucherYear": None,
            "Booked": "true",
            "DueDate": "",
            "DocumentNumber": 17,
            "OCR": 1234,
            "Invented": 1.5,
        },
        "fortnox_InvoiceListItem",
        "42",
    )
    assert row == {
        "company_id": "42",
        "Total": Decimal(1500),
        "Balance": Decimal(0),
        "CurrencyRate": Decimal(1),
        "VoucherNumber": 12,
        "VoucherYear": None,
        "Booked": True,
        "DueDate": None,
        "DocumentNumber": "17",
        "OCR": "1234",
        "Invented": "1.5",  # a field the spec lacks stays text: it can never split either
    }
    with pytest.raises(SpecValueError, match="VoucherNumber"):
        shape_by_spec({"VoucherNumber": "12.5"}, "fortnox_InvoiceListItem", "42")
    with pytest.raises(SpecValueError, match="Total"):
        shape_by_spec({"Total": "tolv"}, "fortnox_InvoiceListItem", "42")


class RealStyle(httpx.BaseTransport):
    """Sandbox answers rewritten as real Fortnox writes values at its most awkward.

    Integral numbers lose their decimals (`1500`), every third number is a string (`"0"`),
    digit-only strings (document numbers, references) come as numbers on alternate occasions,
    and empty strings become `null` (absent dates and people).
    """

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.numbers = 0
        self.digits = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if not response.headers.get("content-type", "").startswith("application/json"):
            return response
        body = json.loads(response.read(), parse_float=Decimal)
        rewritten = json.dumps(self._rewrite(body, None), default=self._number)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return httpx.Response(response.status_code, headers=headers, content=rewritten.encode())

    @staticmethod
    def _number(value: object) -> Any:
        assert isinstance(value, Decimal)
        return float(value)

    def _rewrite(self, value: Any, key: str | None) -> Any:
        if isinstance(value, dict):
            return {k: self._rewrite(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self._rewrite(v, key) for v in value]
        if key is not None and key.startswith("@"):
            return value  # MetaInformation and links stay as they are
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, (int, Decimal)):
            self.numbers += 1
            shortest = int(value) if value == int(value) else value
            return str(shortest) if self.numbers % 3 == 0 else shortest
        if isinstance(value, str):
            if value == "":
                return None
            if value.isdigit() and not value.startswith("0"):
                self.digits += 1
                return int(value) if self.digits % 2 == 0 else value
        return value


@pytest.fixture(scope="module")
def real_style_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    session = make_session()
    loader = Loader(
        session,
        session.tenants[0],
        tmp_path_factory.mktemp("real-style"),
        transport=RealStyle(session.transport),
    )
    summary = loader.run(invoice_rows=True, document_rows=True)
    assert summary.outcome == "completed"
    assert loader.duckdb_path is not None
    return loader.duckdb_path


def _columns(path: Path) -> dict[str, dict[str, str]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        rows = connection.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = ?",
            [DATASET],
        ).fetchall()
    tables: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        if not column.startswith("_dlt"):
            tables.setdefault(table, {})[column] = data_type
    return tables


def test_no_variant_column_in_any_table(real_style_warehouse: Path) -> None:
    variants = [
        f"{table}.{column}"
        for table, columns in _columns(real_style_warehouse).items()
        for column in columns
        if "__v_" in column
    ]
    assert variants == []


ACCOUNT_TEXT = {
    "accounts": ("number",),
    "predefined_accounts": ("account",),
    "invoice_rows": ("account_number",),
}


@pytest.mark.parametrize("table", sorted(SPEC_SCHEMAS))
def test_every_spec_column_exists_with_the_spec_type(
    real_style_warehouse: Path, table: str
) -> None:
    actual = _columns(real_style_warehouse)[table]
    expected = {
        name: _duckdb_type(dict(column))
        for name, column in spec_columns(SPEC_SCHEMAS[table]).items()
    }
    # Account numbers are text exactly as written (issue 11: '0351' and '351' are two accounts),
    # whatever integer type the spec gives them, so they join the SIE tables' accounts.
    expected.update({name: "VARCHAR" for name in ACCOUNT_TEXT.get(table, ()) if name in expected})
    # Keys the source keeps as text, the company and the run cursor are its own hints.
    own = {name: actual[name] for name in set(actual) - set(expected)}
    assert {name: actual[name] for name in expected if name in actual} == expected
    assert set(expected) <= set(actual), f"missing: {set(expected) - set(actual)}"
    # (`folder`: which archive or inbox folder a file's metadata was listed in;
    # `financial_year_id`: the year a voucher's file connection was listed for.)
    assert set(own) <= {
        "company_id",
        "company_key",
        "seen_at",
        "document_number",
        "row_no",
        "folder",
        "financial_year_id",
    }, own


def test_nested_tables_are_typed_from_the_spec_too(real_style_warehouse: Path) -> None:
    actual = _columns(real_style_warehouse)["supplier_invoices__vouchers"]
    (hint,) = spec_nested_hints(SPEC_SCHEMAS["supplier_invoices"]).values()
    assert actual == {name: _duckdb_type(column) for name, column in hint["columns"].items()}


def test_values_survive_the_awkward_spelling(real_style_warehouse: Path) -> None:
    with duckdb.connect(str(real_style_warehouse), read_only=True) as connection:
        totals = connection.execute(
            f"SELECT count(*), count(total), sum(total) FROM {DATASET}.invoices"
        ).fetchone()
        leaders = connection.execute(
            f"SELECT count(*), count(project_leader) FROM {DATASET}.projects"
        ).fetchone()
    assert totals is not None and totals[0] == totals[1] and totals[2] != 0
    assert leaders is not None and leaders[0] > 0


def test_columns_null_in_every_row_exist_with_their_type(real_style_warehouse: Path) -> None:
    """Fields the first pages never fill (null in every row: dlt alone would not create them)
    are columns all the same, so a later page's first value cannot start a variant."""
    empty = []
    with duckdb.connect(str(real_style_warehouse), read_only=True) as connection:
        for table, schema in sorted(SPEC_SCHEMAS.items()):
            names = list(spec_columns(schema))
            counts = connection.execute(
                "SELECT "
                + ", ".join(f'count("{name}")' for name in names)
                + f" FROM {DATASET}.{table}"
            ).fetchone()
            assert counts is not None
            empty += [f"{table}.{n}" for n, count in zip(names, counts, strict=True) if not count]
    # 57 on the small company (articles' EAN, accounts' cost center, company settings' BG ...)
    assert len(empty) >= 50, empty
    assert {"articles.ean", "accounts.cost_center"} <= set(empty)


@pytest.mark.parametrize("table", sorted(SPEC_SCHEMAS))
def test_every_table_has_rows_after_a_first_load(real_style_warehouse: Path, table: str) -> None:
    with duckdb.connect(str(real_style_warehouse), read_only=True) as connection:
        row = connection.execute(f"SELECT count(*) FROM {DATASET}.{table}").fetchone()
    assert row is not None and row[0] > 0
