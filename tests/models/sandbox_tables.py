"""Raw tables of a sandbox company, shaped as the dlt source lands them, without any HTTP.

The Fortnox records come from the sandbox's own serializers (what its API answers), with dlt's
snake_case column names; the `sie_*` tables come from the project's SIE reader over the
sandbox's SIE export of each financial year. This lets the model tests compare against the
sandbox's ground truth before (and independently of) the dlt source.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import duckdb
import polars as pl
from dlt.common.normalizers.naming.snake_case import NamingConvention

from pipelines.transform import DEFAULT_DATASET as DATASET
from sources.fortnox_sandbox import serialize
from sources.fortnox_sandbox.model import Company
from sources.fortnox_sandbox.sie_writer import write_sie
from sources.sie.reader import normalise_org_number, read_sie

BASE = "http://sandbox/3"
_NAMING = NamingConvention()


def _frames(
    table: str, records: Iterable[Mapping[str, Any]], company_id: str
) -> dict[str, pl.DataFrame]:
    """The parent table and, as dlt does for nested lists, `<table>__<list>` child tables."""
    parents: list[dict[str, Any]] = []
    children: dict[str, list[dict[str, Any]]] = {}
    for index, record in enumerate(records):
        row_id = f"{table}-{index}"
        row: dict[str, Any] = {"company_id": company_id, "_dlt_id": row_id}
        for key, value in record.items():
            if key.startswith("@"):
                continue
            column = _NAMING.normalize_identifier(key)
            if isinstance(value, list):
                for position, item in enumerate(value):
                    children.setdefault(f"{table}__{column}", []).append(
                        {
                            _NAMING.normalize_identifier(name): item_value
                            for name, item_value in item.items()
                        }
                        | {"_dlt_parent_id": row_id, "_dlt_list_idx": position}
                    )
            else:
                row[column] = value
        parents.append(row)
    frames = {table: pl.DataFrame(parents, infer_schema_length=None)}
    frames.update(
        {name: pl.DataFrame(rows, infer_schema_length=None) for name, rows in children.items()}
    )
    return frames


def _insert(connection: duckdb.DuckDBPyConnection, table: str, frame: Any) -> None:
    connection.register("incoming", frame)
    exists = connection.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
        [DATASET, table],
    ).fetchone()
    if exists and exists[0]:
        connection.execute(f"insert into {DATASET}.{table} by name select * from incoming")
    else:
        connection.execute(f"create table {DATASET}.{table} as select * from incoming")
    connection.unregister("incoming")


def load_sandbox_company(
    connection: duckdb.DuckDBPyConnection, company: Company, *, payment_details: bool = True
) -> str:
    """Insert one sandbox company's raw tables; returns its company_id (the org number).

    Args:
        connection: The warehouse (in-memory is fine).
        company: Generated sandbox books.
        payment_details: Payments as detail records (with AmountCurrency and the voucher
            reference) rather than list items.
    """
    company_id = normalise_org_number(company.organisation_number) or company.organisation_number
    connection.execute(f"create schema if not exists {DATASET}")
    for financial_year in company.financial_years:
        sie = read_sie(write_sie(company, financial_year.id), f"{financial_year.id}.se")
        for table_name, table in sie.tables().items():
            with_year = table.append_column(
                "financial_year_id",
                pl.Series([financial_year.id] * table.num_rows, dtype=pl.Int64).to_arrow(),
            )
            _insert(connection, table_name, with_year)
    invoices = company.invoices.values()
    supplier_payments: dict[int, list[Any]] = {}
    for payment in company.supplier_invoice_payments.values():
        supplier_payments.setdefault(payment.invoice_number, []).append(payment)
    tables: dict[str, list[Mapping[str, Any]]] = {
        "invoices": [serialize.invoice_list_item(invoice, BASE) for invoice in invoices],
        "invoice_payments": [
            serialize.invoice_payment_detail(
                payment, company.invoices.get(payment.invoice_number), 1930, BASE
            )
            if payment_details
            else serialize.invoice_payment_list_item(payment, BASE)
            for payment in company.invoice_payments.values()
        ],
        "supplier_invoices": [
            serialize.supplier_invoice_list_item(
                invoice, supplier_payments.get(invoice.given_number, []), BASE
            )
            for invoice in company.supplier_invoices.values()
        ],
        "supplier_invoice_payments": [
            serialize.supplier_invoice_payment_detail(
                payment, company.supplier_invoices.get(payment.invoice_number), BASE
            )
            if payment_details
            else serialize.supplier_invoice_payment_list_item(payment, BASE)
            for payment in company.supplier_invoice_payments.values()
        ],
        "predefined_accounts": [
            serialize.predefined_account(name, account, BASE)
            for name, account in company.predefined_accounts.items()
        ],
        "financial_years": [
            serialize.financial_year(year, BASE) for year in company.financial_years
        ],
        "locked_period": [serialize.locked_period(company)],
    }
    for table_name, records in tables.items():
        for frame_name, frame in _frames(table_name, records, company_id).items():
            _insert(connection, frame_name, frame)
    connection.execute(f"alter table {DATASET}.locked_period add column seen_at timestamptz")
    connection.execute(f"update {DATASET}.locked_period set seen_at = now()")
    return company_id
