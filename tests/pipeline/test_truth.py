"""Issue 5, acceptance: the warehouse holds the sandbox's books exactly.

The sandbox knows the truth (its books, in öre); the warehouse must reproduce it from what the
pipeline loaded: every year's trial balance from the SIE voucher rows, every invoice's balance,
with money as DECIMAL(18,2), dates as DATE and the company on every row.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.pipeline.conftest import DATASET, LoadedCompany, query, trial_balance

CENT = Decimal("0.01")


def test_every_years_trial_balance_equals_the_sandbox_truth(small_load: LoadedCompany) -> None:
    tenant = small_load.loader.tenant
    truth = small_load.session.truth(tenant)
    path = small_load.loader.duckdb_path
    assert path is not None
    assert len(truth["financial_years"]) == 3
    for year in truth["financial_years"]:
        expected = {
            account: Decimal(amount)
            for account, amount in year["closing_balances"].items()
            if Decimal(amount) != 0
        }
        assert trial_balance(path, str(tenant), year["id"]) == expected, year["id"]
        voucher_count = query(
            path,
            "SELECT count(*) FROM sie_vouchers WHERE company_id = ? AND financial_year_id = ?",
            [str(tenant), year["id"]],
        )
        assert voucher_count == [(year["voucher_count"],)]


def test_every_invoice_balance_equals_the_sandbox(small_load: LoadedCompany) -> None:
    company = small_load.session.state.companies[small_load.loader.tenant]
    path = small_load.loader.duckdb_path
    assert path is not None

    invoices = dict(query(path, "SELECT document_number, balance FROM invoices"))
    assert invoices == {
        str(number): Decimal(invoice.balance) / 100 for number, invoice in company.invoices.items()
    }
    supplier_invoices = dict(
        query(
            path,
            "SELECT given_number, balance FROM supplier_invoices",
        )
    )
    assert supplier_invoices == {
        str(number): Decimal(invoice.balance) / 100
        for number, invoice in company.supplier_invoices.items()
    }
    assert all(balance == balance.quantize(CENT) for balance in supplier_invoices.values())


MONEY_COLUMNS = {
    "invoices": ["balance", "total"],
    "supplier_invoices": ["balance", "total"],
    "invoice_payments": ["amount"],
    "supplier_invoice_payments": ["amount"],
    "sie_voucher_rows": ["amount"],
    "sie_balances": ["amount"],
}
DATE_COLUMNS = {
    "invoices": ["invoice_date", "due_date"],
    "supplier_invoices": ["invoice_date", "due_date"],
    "invoice_payments": ["payment_date"],
    "supplier_invoice_payments": ["payment_date"],
    "financial_years": ["from_date", "to_date"],
    "sie_voucher_rows": ["transaction_date"],
    "locked_period": ["end_date"],
}


def column_types(path: Path) -> dict[tuple[str, str], str]:
    """(table, column) -> DuckDB type of every column of the dataset."""
    return {
        (table, column): data_type
        for table, column, data_type in query(
            path,
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = ? AND table_catalog = current_database()",
            [DATASET],
        )
    }


@pytest.mark.parametrize(("table", "columns"), sorted(MONEY_COLUMNS.items()))
def test_money_is_decimal_18_2(small_load: LoadedCompany, table: str, columns: list[str]) -> None:
    assert small_load.loader.duckdb_path is not None
    types = column_types(small_load.loader.duckdb_path)
    assert {column: types[(table, column)] for column in columns} == dict.fromkeys(
        columns, "DECIMAL(18,2)"
    )


def test_no_table_has_columns_for_fields_its_records_never_carry(
    small_load: LoadedCompany,
) -> None:
    """A type hint creates a column: hints for fields a list endpoint does not send (an
    invoice list item has no Net or TotalVAT) would leave columns that are always empty."""
    assert small_load.loader.duckdb_path is not None
    types = column_types(small_load.loader.duckdb_path)
    assert ("invoices", "net") not in types
    assert ("invoices", "total_vat") not in types
    assert ("supplier_invoices", "vat") not in types
    assert ("financial_years", "balance") not in types
    assert ("locked_period", "vat") not in types


@pytest.mark.parametrize(("table", "columns"), sorted(DATE_COLUMNS.items()))
def test_dates_are_dates(small_load: LoadedCompany, table: str, columns: list[str]) -> None:
    assert small_load.loader.duckdb_path is not None
    types = column_types(small_load.loader.duckdb_path)
    assert {column: types[(table, column)] for column in columns} == dict.fromkeys(columns, "DATE")


def test_no_money_column_anywhere_is_a_float(small_load: LoadedCompany) -> None:
    assert small_load.loader.duckdb_path is not None
    floats = {
        key: data_type
        for key, data_type in column_types(small_load.loader.duckdb_path).items()
        if data_type in {"DOUBLE", "FLOAT", "REAL"}
    }
    assert floats == {}


def test_every_row_of_every_table_carries_the_company(small_load: LoadedCompany) -> None:
    path = small_load.loader.duckdb_path
    assert path is not None
    tenant = str(small_load.loader.tenant)
    types = column_types(path)
    tables = sorted({table for table, _ in types if not table.startswith("_dlt")})
    # Child tables (nested lists) included: a row must be attributable without a join.
    assert {"invoices", "supplier_invoices__vouchers", "sie_voucher_rows", "load_runs"} <= set(
        tables
    )
    empty = {"sie_findings"}  # the sandbox's exports are clean: nothing to report
    for table in tables:
        assert types.get((table, "company_id")) == "VARCHAR", table
        companies = query(
            path,
            f"SELECT company_id, count(*) FROM {table} GROUP BY company_id",
        )
        assert [company for company, _ in companies] == ([] if table in empty else [tenant]), table
