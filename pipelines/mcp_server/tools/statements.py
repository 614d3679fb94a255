"""`trial_balance`, `income_statement`, `balance_sheet`: one period, with the prior year beside it.

All three pick a financial year and a month the same way (`choose_period`): the one asked for,
else the latest month of the latest year that has ended on the models' as-of date.
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

TRIAL_BALANCE_SQL = """
with chosen as (
    select * from analytics.fct_trial_balance
    where company_id = $company and financial_year_id is not distinct from $year_id
        and financial_year = $year
),
year_opening as (
    select account_number, opening_balance from chosen
    where period = (select min(period) from chosen)
),
through as (
    select account_number, account_name, closing_balance, is_final from chosen
    where period = $period
),
movements as (
    select account_number,
        coalesce(sum(amount) filter (where amount > 0), 0) as debit,
        coalesce(-sum(amount) filter (where amount < 0), 0) as credit
    from analytics.fct_gl_transactions
    where company_id = $company and financial_year_id is not distinct from $year_id
        and financial_year = $year and period <= $period
    group by account_number
)
select cast(through.account_number as varchar), through.account_name,
    coalesce(year_opening.opening_balance, 0), coalesce(movements.debit, 0),
    coalesce(movements.credit, 0), through.closing_balance, through.is_final
from through
left join year_opening using (account_number)
left join movements using (account_number)
where coalesce(year_opening.opening_balance, 0) <> 0 or through.closing_balance <> 0
    or coalesce(movements.debit, 0) <> 0 or coalesce(movements.credit, 0) <> 0
order by cast(through.account_number as varchar)
"""

INCOME_STATEMENT_SQL = """
select current.section, current.line_code, current.line_name, current.period_amount,
    current.year_to_date_amount, prior.year_to_date_amount, current.is_final
from analytics.fct_income_statement as current
left join analytics.fct_income_statement as prior
    on prior.company_id = current.company_id and prior.line_code = current.line_code
    and prior.period = $prior_period
where current.company_id = $company and current.financial_year = $year
    and current.period = $period
order by current.sort_order
"""

BALANCE_SHEET_SQL = """
select current.section, current.line_code, current.line_name, current.closing_balance,
    current.year_opening_balance, prior.closing_balance, current.is_final
from analytics.fct_balance_sheet as current
left join analytics.fct_balance_sheet as prior
    on prior.company_id = current.company_id and prior.line_code = current.line_code
    and prior.period = $prior_period
where current.company_id = $company and current.financial_year = $year
    and current.period = $period
order by current.sort_order
"""

PRIOR_EXISTS_SQL = "select count(*) from {model} where company_id = ? and period = ?"


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


def _prior_period(period: str) -> str:
    year, month = period.split("-")
    return f"{int(year) - 1:04d}-{month}"


def trial_balance(
    connection: duckdb.DuckDBPyConnection,
    *,
    company: str | None,
    financial_year: str | None,
    period: str | None,
) -> TrialBalance:
    """Per account: the year's opening, debits and credits to the period's end, and closing."""
    require_models(connection, "fct_trial_balance", "fct_gl_transactions")
    company_id = resolve_company(connection, company)
    year_id, year, chosen_period, period_end = choose_period(
        connection, "analytics.fct_trial_balance", company_id, financial_year, period
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


def _statement(
    connection: duckdb.DuckDBPyConnection,
    *,
    kind: str,
    model: str,
    sql: str,
    signs: str,
    company: str | None,
    financial_year: str | None,
    period: str | None,
) -> Statement:
    require_models(connection, model.split(".")[-1])
    company_id = resolve_company(connection, company)
    _, year, chosen_period, period_end = choose_period(
        connection, model, company_id, financial_year, period
    )
    prior = _prior_period(chosen_period)
    has_prior = connection.execute(
        PRIOR_EXISTS_SQL.format(model=model), [company_id, prior]
    ).fetchone()[0]  # type: ignore[index]
    rows = connection.execute(
        sql,
        {"company": company_id, "year": year, "period": chosen_period, "prior_period": prior},
    ).fetchall()
    lines = [
        StatementLine(
            section=row[0],
            line_code=row[1],
            line_name=row[2],
            amount=amount(row[3]) or "0",
            year_to_date_or_opening=amount(row[4]),
            comparative=amount(row[5]) if has_prior else None,
            status=status(row[6]),
        )
        for row in rows
    ]
    totals: dict[str, Decimal] = {}
    for row in rows:
        key = "result" if kind == "income_statement" else f"total_{row[0]}"
        totals[key] = totals.get(key, Decimal(0)) + row[3]
    return Statement(
        about=about(connection, company_id, period_end),
        statement=kind,  # type: ignore[arg-type]
        financial_year=year,
        period=chosen_period,
        comparative_period=prior if has_prior else None,
        signs=signs,
        totals={name: amount(value) or "0" for name, value in totals.items()},
        lines=lines,
    )


def income_statement(
    connection: duckdb.DuckDBPyConnection,
    *,
    company: str | None,
    financial_year: str | None,
    period: str | None,
) -> Statement:
    """Income statement lines: the month, the year to date, and the prior year to date."""
    return _statement(
        connection,
        kind="income_statement",
        model="analytics.fct_income_statement",
        sql=INCOME_STATEMENT_SQL,
        signs="income positive, costs negative (as Fortnox's Resultatrapport); amount = the "
        "month, year_to_date_or_opening = the year to date, comparative = the prior year to "
        "the same month",
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
    """Balance sheet lines at a month end, the year's opening, and a year earlier."""
    return _statement(
        connection,
        kind="balance_sheet",
        model="analytics.fct_balance_sheet",
        sql=BALANCE_SHEET_SQL,
        signs="SIE signs (as Fortnox's Balansrapport): assets positive, equity and "
        "liabilities negative; amount = closing at the month end, year_to_date_or_opening = "
        "the year's opening, comparative = closing a year earlier",
        company=company,
        financial_year=financial_year,
        period=period,
    )
