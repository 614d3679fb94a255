"""The models AR and AP share: open items, reconciliation, aging, and the statements' line sums.

The marts `fct_ar_*` / `fct_ap_*` (and the two statements) are halves of one intermediate model
each, so the two sides cannot drift apart; these tests pin the shared models' rows and that each
mart is exactly its half, on acme's hand-computed books.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb
import pytest

from pipelines.transform import load_project
from tests.models.conftest import BuiltWarehouse


@pytest.fixture
def acme(acme_with_api: BuiltWarehouse) -> duckdb.DuckDBPyConnection:
    """acme's books and API tables, built as of 2024-04-15 (read-only use in this module)."""
    report = acme_with_api.report
    assert report.ok, (report.failed_models, report.failed_checks)
    return acme_with_api.connection


def test_each_ledger_mart_reads_only_its_shared_model() -> None:
    models = {model.name: model for model in load_project()[0]}
    assert "int_ar_open_items" not in models and "int_ap_open_items" not in models
    for side in ("ar", "ap"):
        assert models[f"fct_{side}_reconciliation"].model_inputs == {"int_subledger_reconciliation"}
        assert models[f"fct_{side}_aging"].model_inputs == {"int_subledger_aging"}
    for statement in ("fct_balance_sheet", "fct_income_statement"):
        assert models[statement].model_inputs == {
            "int_report_line_balances",
            "int_report_comparatives",
        }


def test_open_items_of_both_ledgers_by_date(acme: duckdb.DuckDBPyConnection) -> None:
    rows = acme.sql(
        "select subledger, reconciliation_date, document_number, counterparty_name,"
        " supplier_invoice_reference, open_amount, open_amount_sek, days_past_due"
        " from analytics.int_open_items order by all"
    ).fetchall()
    # Invoice 1 is open at January's end only (paid 2024-02-10); invoices 3 (draft) and
    # 4 (cancelled) never; invoice 2 and supplier invoice 1 from their dates on.
    assert rows == [
        ("AP", date(2024, 3, 31), 1, "Leverantör AB", "F-881", Decimal("5000.00"),
         Decimal("5000.00"), -4),
        ("AP", date(2024, 4, 15), 1, "Leverantör AB", "F-881", Decimal("5000.00"),
         Decimal("5000.00"), 11),
        ("AR", date(2024, 1, 31), 1, "Kund AB", None, Decimal("12500.00"),
         Decimal("12500.00"), -14),
        ("AR", date(2024, 3, 31), 2, "Köpare HB", None, Decimal("1000.00"),
         Decimal("1000.00"), -19),
        ("AR", date(2024, 4, 15), 2, "Köpare HB", None, Decimal("1000.00"),
         Decimal("1000.00"), -4),
    ]  # fmt: skip


def test_payables_count_negative_in_the_shared_reconciliation(
    acme: duckdb.DuckDBPyConnection,
) -> None:
    rows = acme.sql(
        "select subledger, subledger_balance, open_documents"
        " from analytics.int_subledger_reconciliation"
        " where reconciliation_date = date '2024-03-31' order by subledger"
    ).fetchall()
    assert rows == [("AP", Decimal("-5000.00"), 1), ("AR", Decimal("1000.00"), 1)]


@pytest.mark.parametrize("side", ["ar", "ap"])
def test_reconciliation_marts_are_exactly_their_half(
    acme: duckdb.DuckDBPyConnection, side: str
) -> None:
    mart = acme.sql(f"select * from analytics.fct_{side}_reconciliation order by all").fetchall()
    half = acme.sql(
        "select * exclude (subledger) from analytics.int_subledger_reconciliation"
        f" where subledger = '{side.upper()}' order by all"
    ).fetchall()
    assert len(mart) == 4
    assert mart == half


def test_aging_marts_keep_their_own_names(acme: duckdb.DuckDBPyConnection) -> None:
    ar_columns = [row[0] for row in acme.sql("describe analytics.fct_ar_aging").fetchall()]
    ap_columns = [row[0] for row in acme.sql("describe analytics.fct_ap_aging").fetchall()]
    assert ar_columns[:5] == [
        "company_id",
        "as_of_date",
        "invoice_number",
        "customer_number",
        "customer_name",
    ]
    assert ap_columns[:6] == [
        "company_id",
        "as_of_date",
        "given_number",
        "supplier_invoice_reference",
        "supplier_number",
        "supplier_name",
    ]
    assert "subledger" not in ar_columns + ap_columns
    assert acme.sql(
        "select subledger, document_number, aging_bucket from analytics.int_subledger_aging"
        " order by subledger"
    ).fetchall() == [("AP", 1, "1-30"), ("AR", 2, "current")]


def test_statement_lines_share_one_sum(acme: duckdb.DuckDBPyConnection) -> None:
    # December 2024: revenue 3001 (-11 100 in SIE sign) is income 11 100 on the income
    # statement and -11 100 in the balance sheet's calculated result.
    rows = acme.sql(
        "select statement, line_code, closing_balance from analytics.int_report_line_balances"
        " where period = '2024-12' and line_code in ('net_revenue', 'calculated_result')"
        " order by statement"
    ).fetchall()
    assert rows == [
        ("balance_sheet", "calculated_result", Decimal("-7100.00")),
        ("income_statement", "net_revenue", Decimal("-11100.00")),
    ]
    assert acme.sql(
        "select year_to_date_amount from analytics.fct_income_statement"
        " where period = '2024-12' and line_code = 'net_revenue'"
    ).fetchall() == [(Decimal("11100.00"),)]
