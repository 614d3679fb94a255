"""AR/AP against the ledger, aging buckets and company isolation, on hand-computed books."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb

from pipelines.transform import build_models
from tests.models.conftest import (
    ACME_AS_OF,
    DATASET,
    BuiltWarehouse,
    add_acme_2024,
    add_acme_api_tables,
)

AS_OF = ACME_AS_OF  # the shared warehouse's date


def _reconciliation(connection: duckdb.DuckDBPyConnection, side: str) -> list[tuple]:
    return connection.execute(
        "select reconciliation_date, is_month_end, is_as_of, ledger_balance, subledger_balance,"
        f" difference, unexplained_difference, explaining_vouchers, status"
        f" from analytics.fct_{side}_reconciliation where company_id = 'acme'"
        " order by reconciliation_date"
    ).fetchall()


def test_ar_difference_is_exactly_the_manual_voucher_on_1510(
    acme_with_api: BuiltWarehouse,
) -> None:
    warehouse, report = acme_with_api.connection, acme_with_api.report
    assert report.ok, report.failed_checks
    zero = Decimal("0.00")
    assert _reconciliation(warehouse, "ar") == [
        (
            date(2024, 1, 31),
            True,
            False,
            Decimal("12500.00"),
            Decimal("12500.00"),
            zero,
            zero,
            None,
            "final",
        ),
        (date(2024, 2, 29), True, False, zero, zero, zero, zero, None, "final"),
        (
            date(2024, 3, 31),
            True,
            False,
            Decimal("1300.00"),
            Decimal("1000.00"),
            Decimal("300.00"),
            zero,
            "A1 2024-03-31 300.00",
            "provisional",
        ),
        (
            date(2024, 4, 15),
            False,
            True,
            Decimal("1300.00"),
            Decimal("1000.00"),
            Decimal("300.00"),
            zero,
            "A1 2024-03-31 300.00",
            "provisional",
        ),
    ]


def test_ap_is_in_ledger_sign_and_reconciles(acme_with_api: BuiltWarehouse) -> None:
    warehouse = acme_with_api.connection
    rows = _reconciliation(warehouse, "ap")
    assert [(row[0], row[3], row[4], row[5]) for row in rows] == [
        (date(2024, 1, 31), Decimal("0.00"), Decimal("0.00"), Decimal("0.00")),
        (date(2024, 2, 29), Decimal("0.00"), Decimal("0.00"), Decimal("0.00")),
        (date(2024, 3, 31), Decimal("-5000.00"), Decimal("-5000.00"), Decimal("0.00")),
        (date(2024, 4, 15), Decimal("-5000.00"), Decimal("-5000.00"), Decimal("0.00")),
    ]
    assert warehouse.sql(
        "select distinct control_accounts from analytics.fct_ap_reconciliation"
    ).fetchall() == [("2440",)]


def test_control_accounts_come_from_predefined_accounts(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    # With receivables predefined as 1930 instead, the ledger side follows, not a fixed 1510.
    add_acme_2024(warehouse)
    add_acme_api_tables(warehouse)
    warehouse.execute(
        f"update {DATASET}.predefined_accounts set account = 1930"
        " where name = 'CUSTOMERRECEIVABLES'"
    )
    build_models(warehouse, as_of=AS_OF)
    assert warehouse.sql(
        "select ledger_balance, control_accounts from analytics.fct_ar_reconciliation"
        " where reconciliation_date = '2024-03-31'"
    ).fetchall() == [(Decimal("22500.00"), "1930")]


def test_aging_buckets_as_of_a_date(warehouse: duckdb.DuckDBPyConnection) -> None:
    add_acme_2024(warehouse)
    add_acme_api_tables(warehouse)
    build_models(warehouse, as_of=date(2024, 6, 1))
    assert warehouse.sql(
        "select as_of_date, invoice_number, days_past_due, aging_bucket, open_amount_sek, status"
        " from analytics.fct_ar_aging"
    ).fetchall() == [(date(2024, 6, 1), 2, 43, "31-60", Decimal("1000.00"), "provisional")]
    assert warehouse.sql(
        "select given_number, days_past_due, aging_bucket from analytics.fct_ap_aging"
    ).fetchall() == [(1, 58, "31-60")]
    build_models(warehouse, as_of=date(2024, 4, 19))
    assert warehouse.sql("select aging_bucket from analytics.fct_ar_aging").fetchall() == [
        ("current",)
    ]
    build_models(warehouse, as_of=date(2024, 12, 31))
    assert warehouse.sql("select aging_bucket from analytics.fct_ap_aging").fetchall() == [
        ("over 90",)
    ]


def test_foreign_invoice_is_open_in_sek_at_its_own_rate(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    add_acme_2024(warehouse)
    add_acme_api_tables(warehouse)
    warehouse.execute(
        f"insert into {DATASET}.invoices (company_id, document_number, customer_number,"
        " invoice_date, due_date, currency, currency_rate, total, booked, cancelled)"
        " values ('acme', 5, '10', '2024-03-01', '2024-03-31', 'EUR', '11.4215', 100.05, true,"
        " false)"
    )
    # Half paid in EUR at another rate: 50.00 EUR at 11.50 is 575 SEK in the bank.
    warehouse.execute(
        f"insert into {DATASET}.invoice_payments (company_id, number, invoice_number, amount,"
        " amount_currency, currency, currency_rate, payment_date, booked)"
        " values ('acme', '2', 5, 575.0, 50.0, 'EUR', 11.5, '2024-03-15', true)"
    )
    build_models(warehouse, as_of=AS_OF)
    # 50.05 EUR open x 11.4215 = 571.646... -> 571.65 SEK.
    assert warehouse.sql(
        "select open_amount, open_amount_sek from analytics.fct_ar_aging where invoice_number = 5"
    ).fetchall() == [(Decimal("50.05"), Decimal("571.65"))]


def test_companies_never_mix(warehouse: duckdb.DuckDBPyConnection) -> None:
    add_acme_2024(warehouse)
    add_acme_api_tables(warehouse)
    add_acme_2024(warehouse, company_id="beta", file_sha256="beta-2024", financial_year_id=1)
    add_acme_api_tables(warehouse, company_id="beta", locked_through=())
    report = build_models(warehouse, as_of=AS_OF)
    assert report.ok, report.failed_checks
    per_company = warehouse.sql(
        "select company_id, count(*), sum(difference), count(*) filter (where status = 'final')"
        " from analytics.fct_ar_reconciliation group by 1 order by 1"
    ).fetchall()
    assert per_company == [
        ("acme", 4, Decimal("600.00"), 2),
        ("beta", 4, Decimal("600.00"), 0),
    ]
    assert warehouse.sql(
        "select company_id, sum(closing_balance) from analytics.fct_trial_balance"
        " where account_number = '1930' group by 1 order by 1"
    ).fetchall() == [("acme", Decimal("22500.00")), ("beta", Decimal("22500.00"))]
