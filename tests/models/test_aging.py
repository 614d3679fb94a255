"""AR/AP aging as of the data: credit notes, documents not yet due, partly paid overdue ones."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb

from pipelines.transform import build_models
from tests.models.conftest import DATASET, add_acme_2024, add_acme_api_tables


def _add_invoice(
    warehouse: duckdb.DuckDBPyConnection,
    number: int,
    customer: str,
    invoice_date: str,
    due_date: str,
    total: float,
) -> None:
    warehouse.execute(
        f"insert into {DATASET}.invoices (company_id, document_number, customer_number,"
        " customer_name, invoice_date, due_date, currency, currency_rate, total, balance, booked,"
        " cancelled, invoice_type) values ('acme', ?, ?, 'Kund', ?, ?, 'SEK', '1', ?, ?, true,"
        " false, ?)",
        [
            number,
            customer,
            invoice_date,
            due_date,
            total,
            total,
            "CREDIT" if total < 0 else "INVOICE",
        ],
    )


def _add_payment(
    warehouse: duckdb.DuckDBPyConnection, number: str, invoice: int, paid_on: str, amount: float
) -> None:
    warehouse.execute(
        f"insert into {DATASET}.invoice_payments (company_id, number, invoice_number, amount,"
        " amount_currency, currency, currency_rate, payment_date, booked)"
        " values ('acme', ?, ?, ?, ?, 'SEK', 1, ?, true)",
        [number, invoice, amount, amount, paid_on],
    )


def _aging(warehouse: duckdb.DuckDBPyConnection) -> dict[int, tuple[object, ...]]:
    rows = warehouse.execute(
        "select invoice_number, days_past_due, aging_bucket, open_amount_sek,"
        " counterparty_open_amount_sek from analytics.fct_ar_aging"
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


def test_credit_note_is_a_credit_never_overdue(warehouse: duckdb.DuckDBPyConnection) -> None:
    add_acme_2024(warehouse)
    add_acme_api_tables(warehouse)
    # Customer 11 owes invoice 2 (1 000, due 2024-04-19) and got a credit note of -400 in March.
    _add_invoice(warehouse, 5, "11", "2024-03-22", "2024-03-22", -400.0)
    build_models(warehouse, as_of=date(2024, 9, 30))
    aging = _aging(warehouse)
    assert aging[5] == (0, "credits", Decimal("-400.00"), Decimal("600.00"))
    # The invoice beside it is overdue; the customer's net total nets the credit.
    assert aging[2] == (164, "over 90", Decimal("1000.00"), Decimal("600.00"))


def test_not_yet_due_is_current_with_zero_days(warehouse: duckdb.DuckDBPyConnection) -> None:
    add_acme_2024(warehouse)
    add_acme_api_tables(warehouse)
    build_models(warehouse, as_of=date(2024, 4, 4))
    # Invoice 2 is due 2024-04-19: 15 days ahead, which is 0 days past due, not -15.
    assert _aging(warehouse)[2] == (0, "current", Decimal("1000.00"), Decimal("1000.00"))


def test_partly_paid_overdue_invoice_ages_its_rest(warehouse: duckdb.DuckDBPyConnection) -> None:
    add_acme_2024(warehouse)
    add_acme_api_tables(warehouse)
    _add_invoice(warehouse, 6, "10", "2024-03-01", "2024-03-31", 2000.0)
    _add_payment(warehouse, "2", 6, "2024-04-10", 1200.0)
    build_models(warehouse, as_of=date(2024, 5, 15))
    assert _aging(warehouse)[6] == (45, "31-60", Decimal("800.00"), Decimal("800.00"))
    # Paid in full later: it leaves the aging.
    _add_payment(warehouse, "3", 6, "2024-05-20", 800.0)
    build_models(warehouse, as_of=date(2024, 5, 31))
    assert 6 not in _aging(warehouse)


def test_default_as_of_is_the_datas_latest_date_not_the_clock(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    add_acme_2024(warehouse)
    add_acme_api_tables(warehouse)
    build_models(warehouse)
    # The latest dated fact: invoice 4 (cancelled, but dated) of 2024-03-26... and A1 of
    # 2024-03-31, the last voucher: the data's date is 2024-03-31, whatever today is.
    assert warehouse.sql("select distinct as_of_date from analytics.fct_ar_aging").fetchall() == [
        (date(2024, 3, 31),)
    ]
    first = warehouse.sql("select * from analytics.fct_ar_reconciliation order by all").fetchall()
    build_models(warehouse)
    assert (
        warehouse.sql("select * from analytics.fct_ar_reconciliation order by all").fetchall()
        == first
    )


def test_an_overpaid_invoice_and_a_supplier_credit_note_are_credits(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    add_acme_2024(warehouse)
    add_acme_api_tables(warehouse)
    # Customer 10 paid 600 on an invoice of 500 that fell due long ago: 100 is owed back.
    _add_invoice(warehouse, 7, "10", "2024-01-02", "2024-01-31", 500.0)
    _add_payment(warehouse, "4", 7, "2024-02-01", 600.0)
    # Supplier 20 sent a credit note of -300 beside its open invoice 1 (5 000, due 2024-04-04).
    warehouse.execute(
        f"insert into {DATASET}.supplier_invoices (company_id, given_number, supplier_number,"
        " supplier_name, invoice_number, invoice_date, due_date, currency, currency_rate, total,"
        " balance, booked, cancel, credit) values ('acme', 2, '20', 'Leverantör AB', 'K-12',"
        " '2024-03-10', '2024-03-10', 'SEK', '1', '-300.00', '-300.00', true, false, true)"
    )
    build_models(warehouse, as_of=date(2024, 9, 30))
    assert _aging(warehouse)[7] == (0, "credits", Decimal("-100.00"), Decimal("-100.00"))
    ap = {
        row[0]: row[1:]
        for row in warehouse.execute(
            "select given_number, days_past_due, aging_bucket, open_amount_sek,"
            " counterparty_open_amount_sek from analytics.fct_ap_aging"
        ).fetchall()
    }
    assert ap == {
        1: (179, "over 90", Decimal("5000.00"), Decimal("4700.00")),
        2: (0, "credits", Decimal("-300.00"), Decimal("4700.00")),
    }
