"""Income statement and balance sheet on every fixture SIE file: the ÅRL/K2 acceptance, per file.

Expected figures are computed here from the SIE reader's own tables (not from the models): the
year's result is −Σ #RES(0) over the result accounts without the closing entry (8990-8999), the
balance sheet's imbalance at a period end is what the file's opening balances and vouchers leave
unbalanced (zero for a file whose books balance), and every account of the trial balance is in
exactly one statement line.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from decimal import Decimal

import polars as pl
import pytest

from pipelines.transform import SQL_DIR
from tests.models.conftest import SIE_SAMPLES as SAMPLES
from tests.models.conftest import SampleBook as Book

SAMPLE_FILES = sorted(path.name for path in SAMPLES.iterdir() if path.suffix.lower() != ".md")
# Files whose #RES agrees with their #TRANS (the others' result is the vouchers' one).
RES_DISAGREES = {"fortnox_2.0.0_legacy_2010.si", "bl_admin_2021_utf8_crlf.SE", "e-conomic_typ4.se"}
# Files whose own opening balances do not sum to zero, or with an unbalanced voucher.
UNBALANCED_BOOKS = {
    "avendo_5.10_typ4_rtrans_btrans_tabs.SE",
    "bl_admin_2018_iso8859-15.SE",
    "bl_admin_2021_utf8_crlf.SE",
    "fortnox_2.0.0_legacy_2010.si",
    "softone_xe_typ4_unbalanced_voucher.SE",
}
ZERO = Decimal("0.00")


def _layout(statement: str) -> dict[str, str]:
    with (SQL_DIR / "seeds" / "report_layout.csv").open(encoding="utf-8") as handle:
        return {
            row["line_code"]: row["row_type"]
            for row in csv.DictReader(handle)
            if row["statement"] == statement
        }


@pytest.fixture(scope="module", params=SAMPLE_FILES)
def book(request: pytest.FixtureRequest, sie_sample_book: Callable[[str], Book]) -> Book:
    return sie_sample_book(request.param)


def _booked_rows(book: Book) -> pl.DataFrame:
    return book.tables["sie_voucher_rows"].filter(pl.col("row_type") == "TRANS")


def test_models_build_and_every_account_is_in_exactly_one_line(book: Book) -> None:
    assert not book.report.failed_models, book.report.failed_models
    assert book.report.check("accounts_classified_once").status == "passed"
    accounts = book.rows(
        "select account_number, statement, line_code from analytics.fct_trial_balance"
    )
    assert accounts
    per_account = book.rows(
        "select account_number, file_sha256, count(*) from analytics.int_account_lines"
        " group by all having count(*) <> 1"
    )
    assert per_account == []
    for account, statement, line_code in accounts:
        expected_statement = (
            "balance_sheet" if book.is_balance_account(account) else "income_statement"
        )
        assert statement == expected_statement, account
        assert _layout(statement)[line_code] in ("line", "excluded"), (account, line_code)
        if statement == "income_statement" and account.startswith("899"):
            assert line_code == "closing_entries"
    # No account dropped, none counted twice: each line is the sum of its accounts.
    lines = dict(
        book.rows(
            "select statement || ':' || line_code, sum(closing_balance)"
            " from analytics.fct_trial_balance group by 1"
        )
    )
    last = book.rows(
        "select 'income_statement:' || line_code, -year_to_date_amount"
        " from analytics.fct_income_statement where row_type in ('line', 'excluded')"
        " and period_end = financial_year_end"
        " union all select 'balance_sheet:' || line_code, closing_balance"
        " from analytics.fct_balance_sheet where row_type = 'line'"
        " and line_code <> 'calculated_result' and period_end = financial_year_end"
    )
    for key, amount in last:
        assert amount == lines.get(key, ZERO), key


def _result_without_closing(book: Book, amounts: pl.DataFrame) -> Decimal:
    return -sum(
        (
            Decimal(str(amount))
            for account, amount in amounts.select("account_number", "amount").iter_rows()
            if not book.is_balance_account(str(account)) and not str(account).startswith("899")
        ),
        ZERO,
    )


def test_net_result_is_minus_the_result_accounts_without_the_closing_entry(book: Book) -> None:
    results = book.tables["sie_balances"].filter(
        (pl.col("year_index") == 0) & pl.col("object_id").is_null() & (pl.col("record") == "RES")
    )
    if results.is_empty() or book.file_name in RES_DISAGREES:
        # No #RES (4I files), or a #RES that disagrees with the vouchers: the vouchers' result.
        expected = _result_without_closing(book, _booked_rows(book))
    else:
        expected = _result_without_closing(book, results)
    year_end = dict(
        book.rows(
            "select row_type, sum(year_to_date_amount) from analytics.fct_income_statement"
            " where period_end = financial_year_end and row_type in ('line', 'total')"
            " group by row_type"
        )
    )
    # Σ lines = Årets resultat = −Σ RES(0) without the closing entry.
    assert year_end["line"] == year_end["total"] == expected
    subtotals = dict(
        book.rows(
            "select line_code, year_to_date_amount from analytics.fct_income_statement"
            " where period_end = financial_year_end"
        )
    )
    assert subtotals["result_before_tax"] + subtotals["tax"] == subtotals["net_result"]
    assert (
        subtotals["operating_result"]
        + subtotals["financial_income"]
        + subtotals["financial_expenses"]
        == subtotals["result_after_financial_items"]
    )


def test_balance_sheet_balances_at_every_month_end_when_the_books_do(book: Book) -> None:
    periods = book.rows(
        "select period_end,"
        " sum(year_to_date_amount) filter (where line_code = 'total_assets'),"
        " sum(year_to_date_amount) filter (where line_code = 'total_equity_and_liabilities')"
        " from analytics.fct_balance_sheet group by period_end order by period_end"
    )
    assert periods
    balances = book.tables["sie_balances"].filter(
        (pl.col("year_index") == 0) & pl.col("object_id").is_null() & (pl.col("record") == "IB")
    )
    opening = sum(
        (
            Decimal(str(amount))
            for account, amount in balances.select("account_number", "amount").iter_rows()
            if book.is_balance_account(str(account))
        ),
        ZERO,
    )
    rows = _booked_rows(book)
    for period_end, total_assets, total_claims in periods:
        if book.file_name not in UNBALANCED_BOOKS:
            assert total_assets == total_claims, period_end
        # What the balance sheet leaves over is exactly what the file's books leave over.
        booked = rows.filter(pl.col("transaction_date") <= period_end)["amount"]
        leftover = opening + sum((Decimal(str(amount)) for amount in booked), ZERO)
        if period_end == periods[-1][0]:
            leftover = opening + sum((Decimal(str(a)) for a in rows["amount"]), ZERO)
        assert total_assets - total_claims == leftover, period_end


def test_cash_flow_explains_the_change_in_cash(book: Book) -> None:
    rows = book.rows(
        "select period, line_code, period_amount, year_to_date_amount"
        " from analytics.fct_cash_flow order by period, sort_order"
    )
    assert rows
    by_period: dict[str, dict[str, tuple[Decimal, Decimal]]] = {}
    for period, line_code, amount, to_date in rows:
        by_period.setdefault(period, {})[line_code] = (amount, to_date)
    # The movement on 19xx, from the reader's rows, per month.
    cash = _booked_rows(book).filter(pl.col("account_number").cast(pl.Utf8).str.starts_with("19"))
    for period, lines in by_period.items():
        if book.file_name != "softone_xe_typ4_unbalanced_voucher.SE":
            assert lines["cash_flow_for_the_period"] == lines["change_in_cash_and_bank"], period
        subtotal = sum(
            (lines[code][0] for code in ("cash_flow_from_operations", "cash_flow_from_investing")),
            ZERO,
        )
        assert (
            subtotal + lines["cash_flow_from_financing"][0]
            == (lines["cash_flow_for_the_period"][0])
        )
        if book.tables["sie_files"]["year_start"][0] is not None:
            in_month = cash.filter(
                pl.col("transaction_date").cast(pl.Utf8).str.starts_with(period)
            )["amount"]
            year = book.rows("select min(period) from analytics.fct_cash_flow")[0][0]
            if period != year:  # the first month also takes rows dated before the year
                assert lines["change_in_cash_and_bank"][0] == sum(
                    (Decimal(str(amount)) for amount in in_month), ZERO
                ), period
    check = book.report.check("cash_flow_equals_change_in_cash")
    expected = "failed" if book.file_name.startswith("softone") else "passed"
    assert check.status == expected
