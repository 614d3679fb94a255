"""Statements of sandbox companies of each legal form against their ground truth."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import duckdb
import pytest

from pipelines.transform import build_models
from sources.fortnox_sandbox.books import generate_books, ground_truth
from tests.models.conftest import warehouse_file_connection
from tests.models.sandbox_tables import load_sandbox_company
from tests.models.statement_invariants import assert_statements_hold


@pytest.fixture(scope="module", params=["ab", "hb", "enskild"])
def books(request: pytest.FixtureRequest) -> tuple[duckdb.DuckDBPyConnection, dict[str, Any], str]:
    [company] = generate_books(seed=6, scale="small", legal_form=request.param)
    connection = warehouse_file_connection()
    load_sandbox_company(connection, company)
    report = build_models(connection, as_of=company.business_date)
    assert report.ok, (report.failed_models, report.failed_checks)
    return connection, ground_truth(company), request.param


def test_statements_hold_for_every_year(
    books: tuple[duckdb.DuckDBPyConnection, dict[str, Any], str],
) -> None:
    connection, truth, _ = books
    assert assert_statements_hold(connection) == len(truth["financial_years"])


def test_each_years_result_is_the_truths_and_tax_follows_the_legal_form(
    books: tuple[duckdb.DuckDBPyConnection, dict[str, Any], str],
) -> None:
    connection, truth, legal_form = books
    rows = connection.execute(
        "select financial_year_id, line_code, year_to_date_amount"
        " from analytics.fct_income_statement"
        " where period_end = financial_year_end"
        " and line_code in ('net_result', 'tax', 'result_before_tax')"
    ).fetchall()
    by_year: dict[int, dict[str, Decimal]] = {}
    for year_id, line_code, amount in rows:
        by_year.setdefault(year_id, {})[line_code] = amount
    # Closed years: their result was booked to equity through 8999 (the open year's was not).
    closed = [
        year
        for year in truth["financial_years"]
        if Decimal(year["closing_balances"].get("8999", "0"))
    ]
    assert len(closed) >= 2
    for year in truth["financial_years"]:
        assert by_year[year["id"]]["net_result"] == Decimal(year["net_result"])
    for year in closed:
        assert by_year[year["id"]]["net_result"] == Decimal(year["net_result"]) != 0
        figures = by_year[year["id"]]
        if legal_form == "ab" and figures["result_before_tax"] > 0:
            # Corporate income tax, 20.6 % rounded down to whole kronor: a cost.
            assert -figures["tax"] == int(figures["result_before_tax"] * Decimal("0.206"))
        else:
            assert figures["tax"] == 0
    if legal_form == "ab":
        assert any(by_year[year["id"]]["tax"] < 0 for year in closed)


def test_equity_is_on_the_owners_accounts_and_nothing_is_unclassified(
    books: tuple[duckdb.DuckDBPyConnection, dict[str, Any], str],
) -> None:
    connection, _, legal_form = books
    equity_accounts = {
        account
        for (account,) in connection.execute(
            "select distinct account_number from analytics.fct_trial_balance"
            " where line_code = 'equity' and closing_balance <> 0"
        ).fetchall()
    }
    expected = {
        "ab": {"2081", "2091", "2099"},
        "hb": {"2010", "2019", "2020", "2029"},
        "enskild": {"2010", "2019"},
    }[legal_form]
    assert equity_accounts == expected
    assert connection.execute(
        "select count(*) from analytics.fct_trial_balance where line_code = 'unclassified'"
    ).fetchone() == (0,)
