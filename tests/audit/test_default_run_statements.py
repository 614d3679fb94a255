"""The statements after a default `run` against the sandbox: what an accountant reads first.

The served sandbox is seed 1, small (`sandbox serve`'s defaults), so its ground truth is the
generator's for that seed: the closed 2025's result must be the truth's, not 0, in the JSON rows
`report income-statement` prints, with 2024 beside it as the comparative.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from pipelines.exit_codes import ExitCode
from sources.fortnox_sandbox.books import generate_books, ground_truth
from tests.audit.conftest import DefaultRun, invoke
from tests.models.statement_invariants import assert_statements_hold

# The line codes of the ÅRL/K2 layout (kostnadsslagsindelad), in the order of the statements;
# `unclassified` and the closing entry are the two rows the layout adds.
INCOME_STATEMENT_CODES = [
    "net_revenue", "capitalised_work", "other_operating_income", "goods",
    "other_external_costs", "personnel", "depreciation", "other_operating_expenses",
    "unclassified", "operating_result", "financial_income", "financial_expenses",
    "result_after_financial_items", "appropriations", "result_before_tax", "tax", "net_result",
    "closing_entries",
]  # fmt: skip
BALANCE_SHEET_CODES = [
    "intangible_assets", "tangible_assets", "financial_assets", "fixed_assets", "inventory",
    "trade_receivables", "other_receivables", "prepaid_expenses", "short_term_investments",
    "cash_and_bank", "current_assets", "unclassified", "total_assets", "equity",
    "calculated_result", "untaxed_reserves", "provisions", "long_term_liabilities",
    "current_liabilities", "total_equity_and_liabilities",
]  # fmt: skip
ROW_FIELDS = {
    "line_code",
    "line_name",
    "period_amount",
    "year_to_date_amount",
    "comparative_amount",
    "is_final",
}


@pytest.fixture(scope="module")
def truth() -> dict[str, Any]:
    return ground_truth(generate_books(seed=1, scale="small")[0])


def _years(truth: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {year["from_date"][:4]: year for year in truth["financial_years"]}


def _report(default_run: DefaultRun, statement: str, year: str) -> dict[str, Any]:
    code, output = invoke(
        ["report", statement, "--year", year, "--duckdb", str(default_run.warehouse), "-o", "json"]
    )
    assert code == ExitCode.OK, output
    document: dict[str, Any] = json.loads(output)
    for row in document["rows"]:
        assert set(row) >= ROW_FIELDS, row
    return document


def test_statements_hold_for_every_year_of_the_loaded_company(default_run: DefaultRun) -> None:
    with duckdb.connect(str(default_run.warehouse), read_only=True) as connection:
        assert assert_statements_hold(connection, dataset="fortnox_raw") == 3


def test_closed_2025_shows_the_truths_result_with_2024_beside_it(
    default_run: DefaultRun, truth: dict[str, Any]
) -> None:
    years = _years(truth)
    # 2025 is closed: its result was booked to 2099 through 8999, which must not zero it.
    assert Decimal(years["2025"]["net_result"]) != 0
    document = _report(default_run, "income-statement", "2025")
    assert (document["period"], document["comparative_period"]) == ("2025-12", "2024-12")
    rows = {row["line_code"]: row for row in document["rows"]}
    assert [row["line_code"] for row in document["rows"]] == INCOME_STATEMENT_CODES
    net_result = rows["net_result"]
    assert Decimal(net_result["year_to_date_amount"]) == Decimal(years["2025"]["net_result"])
    assert Decimal(net_result["comparative_amount"]) == Decimal(years["2024"]["net_result"])
    # Σ lines = Årets resultat; the closing entry is shown apart and is minus the result.
    lines = [row for row in document["rows"] if row["row_type"] == "line"]
    for column in ("period_amount", "year_to_date_amount", "comparative_amount"):
        assert sum(Decimal(row[column]) for row in lines) == Decimal(net_result[column]), column
    assert Decimal(rows["closing_entries"]["year_to_date_amount"]) == -Decimal(
        net_result["year_to_date_amount"]
    )
    # Income positive, costs negative (Fortnox's Resultatrapport); AB: corporate income tax.
    assert Decimal(rows["net_revenue"]["year_to_date_amount"]) > 0
    assert Decimal(rows["personnel"]["year_to_date_amount"]) < 0
    assert Decimal(rows["tax"]["year_to_date_amount"]) < 0
    locked = date.fromisoformat(truth["locked_through"])
    assert all(row["is_final"] is (date(2025, 12, 31) <= locked) for row in document["rows"])


@pytest.mark.parametrize("year", ["2025", "2026"])
def test_balance_sheet_json_balances_against_the_truth(
    default_run: DefaultRun, truth: dict[str, Any], year: str
) -> None:
    document = _report(default_run, "balance-sheet", year)
    assert [row["line_code"] for row in document["rows"]] == BALANCE_SHEET_CODES
    rows = {row["line_code"]: row for row in document["rows"]}
    for column in ("year_to_date_amount", "comparative_amount"):
        assert Decimal(rows["total_assets"][column]) == Decimal(
            rows["total_equity_and_liabilities"][column]
        ), column
    years = _years(truth)
    if year == "2025":
        # The year is closed: its result sits in equity (2099), nothing is "calculated".
        closing = {k: Decimal(v) for k, v in years["2025"]["closing_balances"].items()}
        equity = -sum((v for k, v in closing.items() if k.startswith("20")), Decimal(0))
        assert Decimal(rows["equity"]["year_to_date_amount"]) == equity
        assert Decimal(rows["calculated_result"]["year_to_date_amount"]) == 0
        assets = sum((v for k, v in closing.items() if k[:1] == "1"), Decimal(0))
        assert Decimal(rows["total_assets"]["year_to_date_amount"]) == assets
        # A year earlier: 2024-12-31, which is 2025's opening balance.
        opening = {k: Decimal(v) for k, v in years["2025"]["opening_balances"].items()}
        assert Decimal(rows["total_assets"]["comparative_amount"]) == sum(
            (v for k, v in opening.items() if k[:1] == "1"), Decimal(0)
        )
    else:
        # Open: the year's result so far is the calculated result, not yet in equity.
        assert Decimal(rows["calculated_result"]["year_to_date_amount"]) != 0
        assert document["period"] == "2026-11"
