"""The statements' invariants, asserted on any built warehouse (sandbox companies of every kind).

Per company and financial year: Σ of the income statement's lines = *Årets resultat* = −Σ #RES(0)
of the year's SIE file over the result accounts, closing entry (8990-8999) left out; the balance
sheet balances at every month end; every account of the trial balance is in exactly one line.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb

from pipelines.transform import DEFAULT_DATASET

ZERO = Decimal("0.00")


def assert_statements_hold(
    connection: duckdb.DuckDBPyConnection, *, dataset: str = DEFAULT_DATASET
) -> int:
    """Assert the three invariants for every company and year; returns the years checked."""
    year_end = connection.execute(
        "select company_id, financial_year_id, file_sha256,"
        " sum(year_to_date_amount) filter (where row_type = 'line'),"
        " sum(year_to_date_amount) filter (where line_code = 'net_result')"
        " from analytics.fct_income_statement where period_end = financial_year_end"
        " group by all order by all"
    ).fetchall()
    assert year_end, "no income statement at a year end"
    for company_id, year_id, file_sha256, lines, net_result in year_end:
        row = connection.execute(
            f"select -coalesce(sum(amount), 0) from {dataset}.sie_balances"
            " where file_sha256 = ? and company_id = ? and record = 'RES' and year_index = 0"
            " and object_id is null and left(account_number, 3) <> '899'",
            [file_sha256, company_id],
        ).fetchone()
        assert row is not None
        without_closing = Decimal(row[0])
        assert lines == net_result == without_closing, (company_id, year_id)
    # The balance sheet balances at every month end of every year.
    totals = connection.execute(
        "select company_id, period_end,"
        " sum(year_to_date_amount) filter (where line_code = 'total_assets'),"
        " sum(year_to_date_amount) filter (where line_code = 'total_equity_and_liabilities')"
        " from analytics.fct_balance_sheet group by all order by all"
    ).fetchall()
    assert totals
    for company_id, period_end, assets, claims in totals:
        assert assets == claims, (company_id, period_end)
    months = {(company, day.strftime("%Y-%m")) for company, day, _, _ in totals}
    assert len(months) == len(totals), "one balance sheet per company and month end"
    # Every account of the trial balance in exactly one line, none unclassified.
    assert (
        connection.execute(
            "select company_id, file_sha256, account_number, count(*)"
            " from analytics.int_account_lines group by all having count(*) <> 1"
        ).fetchall()
        == []
    )
    assert connection.execute(
        "select count(*) from analytics.fct_trial_balance"
        " where line_code is null or line_code = 'unclassified'"
    ).fetchone() == (0,)
    # Each line is the sum of its accounts at the year end: none dropped, none counted twice.
    untied = connection.execute(
        "with accounts as ("
        "  select file_sha256, statement, line_code, sum(closing_balance) as amount"
        "  from analytics.fct_trial_balance group by all),"
        " statement_lines as ("
        "  select file_sha256, 'income_statement' as statement, line_code,"
        "   -year_to_date_amount as amount from analytics.fct_income_statement"
        "  where row_type in ('line', 'excluded') and period_end = financial_year_end"
        "  union all"
        "  select file_sha256, 'balance_sheet', line_code, closing_balance"
        "  from analytics.fct_balance_sheet where row_type = 'line'"
        "  and line_code <> 'calculated_result' and period_end = financial_year_end)"
        " select * from statement_lines"
        " left join accounts using (file_sha256, statement, line_code)"
        " where statement_lines.amount <> coalesce(accounts.amount, 0)"
    ).fetchall()
    assert untied == []
    return len(year_end)
