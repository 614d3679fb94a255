"""Opt-in invoice rows: one detail request per new or changed invoice, never for unchanged ones."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from tests.pipeline.conftest import DATASET, Loader, api_requests, make_session


def _rows_per_invoice(path: Path) -> dict[int, list[tuple[str, Decimal]]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        found = connection.execute(
            f'SELECT document_number, account_number, price FROM "{path.stem}".{DATASET}'
            ".invoice_rows ORDER BY document_number, row_no"
        ).fetchall()
    rows: dict[int, list[tuple[str, Decimal]]] = {}
    for document_number, account, price in found:
        rows.setdefault(int(document_number), []).append((str(account), price))
    return rows


def test_invoice_rows_are_fetched_once_per_new_or_changed_invoice(tmp_path: Path) -> None:
    session = make_session()
    tenant = session.tenants[0]
    company = session.state.company(tenant)
    loader = Loader(session, tenant, tmp_path / "rows")

    loader.run(invoice_rows=True)
    assert loader.duckdb_path is not None
    details = api_requests(session)["GET /3/invoices/{DocumentNumber}"]
    assert details == len(company.invoices)
    loaded = _rows_per_invoice(loader.duckdb_path)
    for number, invoice in company.invoices.items():
        expected = [(str(row.account), Decimal(row.price) / 100) for row in invoice.rows]
        assert loaded.get(number, []) == expected, number

    before = api_requests(session)["GET /3/invoices/{DocumentNumber}"]
    session.advance(3)
    summary = loader.run(invoice_rows=True)
    changed = summary.resources["invoices"].rows
    after = api_requests(session)["GET /3/invoices/{DocumentNumber}"]
    assert 0 < after - before == changed < len(company.invoices)
    loaded = _rows_per_invoice(loader.duckdb_path)
    assert set(loaded) == {number for number, inv in company.invoices.items() if inv.rows}
