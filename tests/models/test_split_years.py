"""A company with an 18-month first financial year and May-April years, through every model."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from pipelines.transform import build_models
from sources.fortnox_sandbox.books import generate_books, ground_truth
from tests.models.conftest import warehouse_file_connection
from tests.models.sandbox_tables import load_sandbox_company
from tests.models.statement_invariants import assert_statements_hold


@pytest.fixture(scope="module")
def split() -> tuple[duckdb.DuckDBPyConnection, dict[str, Any]]:
    [company] = generate_books(seed=8, scale="small", fiscal_years="split")
    connection = warehouse_file_connection()
    load_sandbox_company(connection, company)
    report = build_models(connection, as_of=company.business_date)
    assert report.ok, (report.failed_models, report.failed_checks)
    return connection, ground_truth(company)


def test_periods_are_fiscal_months(split: tuple[duckdb.DuckDBPyConnection, Any]) -> None:
    connection, _ = split
    years = connection.execute(
        "select financial_year_id, financial_year, min(period), max(period), max(period_index),"
        " count(distinct period)"
        " from analytics.fct_general_ledger_by_period group by all order by 1"
    ).fetchall()
    assert years == [
        (7, "2023/2025", "2023-11", "2025-04", 18, 18),
        (8, "2025/2026", "2025-05", "2026-04", 12, 12),
        (9, "2026/2027", "2026-05", "2027-04", 12, 12),
    ]
    assert connection.execute(
        "select period_index from analytics.fct_income_statement"
        " where period = '2025-05' and line_code = 'net_result'"
    ).fetchall() == [(1,)]


def test_statements_hold_for_every_fiscal_year(
    split: tuple[duckdb.DuckDBPyConnection, Any],
) -> None:
    connection, truth = split
    # The 18-month first year, then May-April years: every month end balances.
    assert assert_statements_hold(connection) == len(truth["financial_years"]) == 3


def test_trial_balance_and_results_equal_the_truth(
    split: tuple[duckdb.DuckDBPyConnection, Any],
) -> None:
    connection, truth = split
    for year in truth["financial_years"]:
        closing = {
            account: amount
            for account, amount in connection.execute(
                "select account_number, closing_balance from analytics.fct_trial_balance"
                " where financial_year_id = ?",
                [year["id"]],
            ).fetchall()
            if amount
        }
        expected = {
            account: Decimal(amount)
            for account, amount in year["closing_balances"].items()
            if Decimal(amount)
        }
        assert closing == expected, year["id"]
        result = connection.execute(
            "select year_to_date_amount from analytics.fct_income_statement"
            " where financial_year_id = ? and line_code = 'net_result'"
            " and period_end = financial_year_end",
            [year["id"]],
        ).fetchone()
        assert result == (Decimal(year["net_result"]),), year["id"]


def test_comparatives_are_the_same_months_of_the_previous_year(
    split: tuple[duckdb.DuckDBPyConnection, Any],
) -> None:
    connection, _ = split
    rows = dict(
        connection.execute(
            "select period, year_to_date_amount from analytics.fct_income_statement"
            " where line_code = 'net_revenue' and period in ('2024-09', '2025-09')"
        ).fetchall()
    )
    comparative = connection.execute(
        "select comparative_period, comparative_period_amount, comparative_year_to_date_amount"
        " from analytics.fct_income_statement where line_code = 'net_revenue'"
        " and period = '2025-09'"
    ).fetchone()
    september_2024 = connection.execute(
        "select period_amount from analytics.fct_income_statement"
        " where line_code = 'net_revenue' and period = '2024-09'"
    ).fetchone()
    assert comparative is not None and september_2024 is not None
    # September 2025 (month 5 of May-April) against September 2024 (month 11 of the long year).
    assert comparative == ("2024-09", september_2024[0], rows["2024-09"])
    # The long year's first months have no previous year to compare with.
    assert connection.execute(
        "select count(*) from analytics.fct_income_statement"
        " where financial_year_id = 7 and comparative_period is not null"
    ).fetchone() == (0,)


def test_reconciliation_and_aging_across_the_split(
    split: tuple[duckdb.DuckDBPyConnection, Any],
) -> None:
    connection, truth = split
    ledger = {
        day.isoformat(): amount
        for day, amount in connection.execute(
            "select reconciliation_date, subledger_balance from analytics.fct_ar_reconciliation"
        ).fetchall()
    }
    assert ledger == {day: Decimal(value) for day, value in truth["open_ar_by_month_end"].items()}
    assert connection.execute(
        "select distinct as_of_date from analytics.fct_ar_aging"
    ).fetchall() == [(date(2026, 11, 20),)]
