"""`trial_balance`, `income_statement`, `balance_sheet`: one month, with the prior year beside it.

All three pick a financial year and a month the same way (`choose_period`): the one asked for,
else the latest month of the latest year that has ended on the models' as-of date. The
statements are the marts' rows as they are (lines, subtotals, totals, and the closing entry
shown but never counted), so an agent quotes the same figures `report` prints.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb

from pipelines.mcp_server.answers import (
    Statement,
    StatementLine,
    TrialBalance,
    TrialBalanceRow,
    amount,
    status,
)
from pipelines.mcp_server.context import (
    ToolInputError,
    about,
    require_models,
    resolve_company,
)

PERIODS_SQL = """
select financial_year_id, financial_year, period, period_end
from {model}
where company_id = $company
    and ($year is null or financial_year = $year)
    and ($period is null or period = $period)
group by financial_year_id, financial_year, financial_year_start, period, period_end
order by (period_end <= $today) desc, financial_year_start desc, period_end desc
limit 1
"""

TODAY_SQL = """
select coalesce(
    (select max(reconciliation_date) from analytics.int_reconciliation_dates
     where company_id = ? and is_as_of),
    current_date)
"""

# Through a month: the year's opening, the debits and credits of its months so far, and the
# balance at the month's end; through the year's last month this is fct_trial_balance.
TRIAL_BALANCE_SQL = """
with months as (
    select * from analytics.fct_general_ledger_by_period
    where company_id = $company and financial_year_id is not distinct from $year_id
        and financial_year = $year
        and period_index <= (
            select max(period_index) from analytics.fct_general_ledger_by_period
            where company_id = $company and financial_year_id is not distinct from $year_id
                and financial_year = $year and period = $period
        )
)
select
    cast(account_number as varchar) as account_number,
    any_value(account_name),
    arg_min(opening_balance, period_index) as opening_balance,
    sum(debit) as debit,
    sum(credit) as credit,
    arg_max(closing_balance, period_index) as closing_balance,
    arg_max(is_final, period_index) as is_final,
    any_value(account_sort_key) as account_sort_key
from months
group by account_number
having arg_min(opening_balance, period_index) <> 0 or sum(debit) <> 0 or sum(credit) <> 0
order by account_sort_key, account_number
"""

STATEMENT_SQL = {
    "income_statement": """
        select section, line_code, line_name, row_type, period_amount, year_to_date_amount,
            null::decimal(18, 2) as opening_amount, comparative_period_amount,
            comparative_year_to_date_amount, comparative_period, is_final
        from analytics.fct_income_statement
        where company_id = $company and financial_year = $year and period = $period
        order by sort_order
    """,
    "balance_sheet": """
        select section, line_code, line_name, row_type, period_amount, year_to_date_amount,
            opening_amount, null::decimal(18, 2) as comparative_period_amount,
            comparative_amount, comparative_period, is_final
        from analytics.fct_balance_sheet
        where company_id = $company and financial_year = $year and period = $period
        order by sort_order
    """,
}

SIGNS = {
    "income_statement": "income positive, costs negative (as Fortnox's Resultatrapport); "
    "period_amount = the month, year_to_date_amount = the year through the month, "
    "comparative_* = the same month of the previous financial year; rows of type subtotal and "
    "total sum the lines above them, an `excluded` row (the closing entry) is never counted",
    "balance_sheet": "report signs (as Fortnox's Balansrapport): assets positive, equity and "
    "liabilities positive on their side; year_to_date_amount = the balance at the month end, "
    "opening_amount = the year's opening, period_amount = the month's change, "
    "comparative_amount = the balance at the same month end a year earlier",
}


def choose_period(
    connection: duckdb.DuckDBPyConnection,
    model: str,
    company_id: str,
    financial_year: str | None,
    period: str | None,
) -> tuple[int | None, str, str, date]:
    """(year id, year label, period YYYY-MM, period end) asked for, or the latest ended one."""
    today = connection.execute(TODAY_SQL, [company_id]).fetchone()[0]  # type: ignore[index]
    chosen = connection.execute(
        PERIODS_SQL.format(model=model),
        {"company": company_id, "year": financial_year, "period": period, "today": today},
    ).fetchone()
    if chosen is None:
        raise ToolInputError(
            f"no {model.split('.')[-1]} rows for company {company_id}"
            + (f", financial year {financial_year}" if financial_year else "")
            + (f", period {period}" if period else "")
            + " (financial_year is the year's label, e.g. '2026'; period is 'YYYY-MM')"
        )
    return chosen[0], chosen[1], chosen[2], chosen[3]


def trial_balance(
    connection: duckdb.DuckDBPyConnection,
    *,
    company: str | None,
    financial_year: str | None,
    period: str | None,
) -> TrialBalance:
    """Per account: the year's opening, debits and credits to the month's end, and closing."""
    require_models(connection, "fct_general_ledger_by_period")
    company_id = resolve_company(connection, company)
    year_id, year, chosen_period, period_end = choose_period(
        connection, "analytics.fct_general_ledger_by_period", company_id, financial_year, period
    )
    rows = connection.execute(
        TRIAL_BALANCE_SQL,
        {"company": company_id, "year_id": year_id, "year": year, "period": chosen_period},
    ).fetchall()
    totals = {
        "opening_balance": sum((row[2] for row in rows), Decimal(0)),
        "debit": sum((row[3] for row in rows), Decimal(0)),
        "credit": sum((row[4] for row in rows), Decimal(0)),
        "closing_balance": sum((row[5] for row in rows), Decimal(0)),
    }
    return TrialBalance(
        about=about(connection, company_id, period_end),
        financial_year=year,
        period=chosen_period,
        signs="SIE signs: debit positive, credit negative; opening + debit - credit = closing",
        totals={name: amount(value) or "0" for name, value in totals.items()},
        rows=[
            TrialBalanceRow(
                account_number=row[0],
                account_name=row[1],
                opening_balance=amount(row[2]) or "0",
                debit=amount(row[3]) or "0",
                credit=amount(row[4]) or "0",
                closing_balance=amount(row[5]) or "0",
                status=status(row[6]),
            )
            for row in rows
        ],
    )


def statement(
    connection: duckdb.DuckDBPyConnection,
    *,
    kind: str,
    company: str | None,
    financial_year: str | None,
    period: str | None,
) -> Statement:
    """The income statement or balance sheet for a month, every row of the mart in order."""
    model = f"fct_{kind}"
    require_models(connection, model)
    company_id = resolve_company(connection, company)
    _, year, chosen_period, period_end = choose_period(
        connection, f"analytics.{model}", company_id, financial_year, period
    )
    rows = connection.execute(
        STATEMENT_SQL[kind], {"company": company_id, "year": year, "period": chosen_period}
    ).fetchall()
    comparative_periods = {row[9] for row in rows if row[9] is not None}
    return Statement(
        about=about(connection, company_id, period_end),
        statement=kind,  # type: ignore[arg-type]
        financial_year=year,
        period=chosen_period,
        comparative_period=min(comparative_periods) if comparative_periods else None,
        signs=SIGNS[kind],
        totals={row[1]: amount(row[5]) or "0" for row in rows if row[3] in ("subtotal", "total")},
        lines=[
            StatementLine(
                section=row[0],
                line_code=row[1],
                line_name=row[2],
                row_type=row[3],
                period_amount=amount(row[4]) or "0",
                year_to_date_amount=amount(row[5]) or "0",
                opening_amount=amount(row[6]),
                comparative_period_amount=amount(row[7]),
                comparative_amount=amount(row[8]),
                status=status(row[10]),
            )
            for row in rows
        ],
    )


def income_statement(
    connection: duckdb.DuckDBPyConnection,
    *,
    company: str | None,
    financial_year: str | None,
    period: str | None,
) -> Statement:
    """The income statement (ÅRL/K2 layout) for a month, year to date and a year earlier."""
    return statement(
        connection,
        kind="income_statement",
        company=company,
        financial_year=financial_year,
        period=period,
    )


def balance_sheet(
    connection: duckdb.DuckDBPyConnection,
    *,
    company: str | None,
    financial_year: str | None,
    period: str | None,
) -> Statement:
    """The balance sheet (ÅRL/K2 layout) at a month end, with the year's opening and a year
    earlier."""
    return statement(
        connection,
        kind="balance_sheet",
        company=company,
        financial_year=financial_year,
        period=period,
    )
