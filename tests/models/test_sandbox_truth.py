"""The models against the sandbox's ground truth: trial balance, AR/AP per month end, differences.

Acceptance of issue 6: the reconciliation differences equal exactly the deliberate differences,
month by month, and nothing else; the trial balance equals the ground truth.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from tests.conftest import SandboxWarehouse


@pytest.fixture(scope="module", params=["payment details", "payment list items"])
def sandbox(
    request: pytest.FixtureRequest, seed3_warehouse: Callable[[bool], SandboxWarehouse]
) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict[str, Any], str]]:
    """Books of seed 3, with payments as detail records or (no voucher reference) list items
    (built once per worker, shared with `test_close_report.py`; read-only here)."""
    built = seed3_warehouse(request.param == "payment details")
    assert built.report.ok, (built.report.failed_models, built.report.failed_checks)
    connection = duckdb.connect(str(built.path), read_only=True)
    yield connection, built.truth, built.company_id
    connection.close()


def _by_date(connection: duckdb.DuckDBPyConnection, side: str, column: str) -> dict[str, Decimal]:
    rows = connection.execute(
        f"select reconciliation_date, {column} from analytics.fct_{side}_reconciliation"
    ).fetchall()
    return {day.isoformat(): amount for day, amount in rows}


def _decimals(values: dict[str, str], sign: int = 1) -> dict[str, Decimal]:
    return {key: sign * Decimal(value) for key, value in values.items()}


def test_trial_balance_equals_ground_truth(sandbox: tuple[Any, dict[str, Any], str]) -> None:
    connection, truth, _ = sandbox
    for year in truth["financial_years"]:
        rows = connection.execute(
            "select account_number, closing_balance from analytics.fct_trial_balance"
            " where financial_year_id = ?",
            [year["id"]],
        ).fetchall()
        closing = {str(account): amount for account, amount in rows if amount}
        expected = {
            key: value for key, value in _decimals(year["closing_balances"]).items() if value
        }
        assert closing == expected, year["id"]


def test_ar_subledger_and_ledger_equal_ground_truth_month_by_month(
    sandbox: tuple[Any, dict[str, Any], str],
) -> None:
    connection, truth, _ = sandbox
    assert _by_date(connection, "ar", "subledger_balance") == _decimals(
        truth["open_ar_by_month_end"]
    )
    assert _by_date(connection, "ar", "ledger_balance") == _decimals(
        truth["ledger_ar_by_month_end"]
    )


def test_ap_subledger_and_ledger_equal_ground_truth_in_sie_sign(
    sandbox: tuple[Any, dict[str, Any], str],
) -> None:
    connection, truth, _ = sandbox
    # The truth states AP as liabilities (credit positive); the models keep SIE sign.
    assert _by_date(connection, "ap", "subledger_balance") == _decimals(
        truth["open_ap_by_month_end"], -1
    )
    assert _by_date(connection, "ap", "ledger_balance") == _decimals(
        truth["ledger_ap_by_month_end"], -1
    )


@pytest.mark.parametrize("side", ["ar", "ap"])
def test_differences_are_exactly_the_deliberate_ones(
    sandbox: tuple[Any, dict[str, Any], str], side: str
) -> None:
    connection, truth, _ = sandbox
    deliberate = [
        difference
        for difference in truth["deliberate_differences"]
        if difference["ledger"] == side.upper()
    ]
    assert deliberate, "the sandbox plants differences on both sides"
    differences = _by_date(connection, side, "difference")
    for day, difference in differences.items():
        expected = sum(
            (Decimal(item["amount"]) for item in deliberate if item["voucher_date"] <= day),
            Decimal("0.00"),
        )
        assert difference == expected, day
    # ... and the rows that explain them are exactly the deliberate vouchers.
    last_day = max(differences)
    explained = connection.execute(
        "select explaining_vouchers, unexplained_difference"
        f" from analytics.fct_{side}_reconciliation where reconciliation_date = ?",
        [date.fromisoformat(last_day)],
    ).fetchone()
    assert explained is not None
    assert explained[1] == 0
    assert sorted(explained[0].split("; ")) == sorted(
        f"{item['voucher_series']}{item['voucher_number']} {item['voucher_date']} "
        f"{Decimal(item['amount'])}"
        for item in deliberate
    )


def test_final_and_provisional_follow_the_sandbox_lock(
    sandbox: tuple[Any, dict[str, Any], str],
) -> None:
    connection, truth, _ = sandbox
    statuses = connection.execute(
        "select reconciliation_date, status from analytics.fct_ar_reconciliation"
    ).fetchall()
    locked = date.fromisoformat(truth["locked_through"])
    assert statuses
    for day, status in statuses:
        assert status == ("final" if day <= locked else "provisional")


def test_income_statement_shows_each_years_real_result(
    sandbox: tuple[Any, dict[str, Any], str],
) -> None:
    connection, truth, _ = sandbox
    results = dict(
        connection.execute(
            "select financial_year_id, year_to_date_amount from analytics.fct_income_statement"
            " where line_code = 'net_result' and period_end = financial_year_end"
        ).fetchall()
    )
    closed = 0
    for year in truth["financial_years"]:
        if year["id"] not in results:
            continue  # the open year's last month has not come yet
        assert results[year["id"]] == Decimal(year["net_result"]), year["id"]
        # A closed year books its result to 2099 through 8999; the statement still shows it.
        closing_entry = Decimal(year["closing_balances"].get("8999", "0"))
        if closing_entry:
            closed += 1
            assert results[year["id"]] != 0
            assert closing_entry == results[year["id"]]
    assert closed >= 2  # 2024 and 2025


def test_balance_sheet_balances_every_month_end(sandbox: tuple[Any, dict[str, Any], str]) -> None:
    connection, _, _ = sandbox
    totals = connection.execute(
        "select period_end,"
        " sum(year_to_date_amount) filter (where line_code = 'total_assets'),"
        " sum(year_to_date_amount) filter (where line_code = 'total_equity_and_liabilities'),"
        " sum(year_to_date_amount) filter (where line_code = 'calculated_result')"
        " from analytics.fct_balance_sheet group by period_end order by period_end"
    ).fetchall()
    assert len(totals) >= 34
    for period_end, assets, claims, _ in totals:
        assert assets == claims != 0, period_end
    # Once a year is closed (December), the result is in 2099 and no longer "calculated".
    december_2024 = next(row for row in totals if str(row[0]) == "2024-12-31")
    assert december_2024[3] == 0


def test_eur_payments_exchange_differences_are_explained(
    sandbox: tuple[Any, dict[str, Any], str],
) -> None:
    connection, _, _ = sandbox
    rows = connection.execute(
        "select reconciliation_date, financial_year_id, exchange_difference_year_to_date,"
        " foreign_payments_year_to_date, foreign_open_documents"
        " from analytics.fct_ar_reconciliation where is_month_end order by 1"
    ).fetchall()
    assert any(row[3] for row in rows), "the sandbox pays EUR invoices"
    assert any(row[4] for row in rows), "and has open EUR invoices at some month end"
    # The ledger's realised exchange differences (3960 gains, 7960 losses; no AP is in EUR):
    # the same figure, year to date, at every month end.
    booked = dict(
        connection.execute(
            "select period_end, -sum(closing_balance) from analytics.fct_general_ledger_by_period"
            " where account_number in ('3960', '7960') group by period_end"
        ).fetchall()
    )
    for day, _, exchange_difference, _, _ in rows:
        assert exchange_difference == booked.get(day, Decimal("0.00")), day
    assert any(row[2] for row in rows)
