"""The general ledger: `general_ledger` (rows by account, dates, text; paged) and `voucher`."""

from __future__ import annotations

from datetime import date

import duckdb

from pipelines.mcp_server.answers import (
    GeneralLedger,
    LedgerRow,
    Voucher,
    VoucherRow,
    amount,
    status,
)
from pipelines.mcp_server.context import (
    ToolInputError,
    about,
    page_of,
    paging,
    require_models,
    resolve_company,
)

LEDGER_FILTER = """
from analytics.fct_gl_transactions
where company_id = $company
    and ($account is null or cast(account_number as varchar) = $account)
    and ($date_from is null or voucher_date >= $date_from)
    and ($date_to is null or voucher_date <= $date_to)
    and ($series is null or voucher_series = $series)
    and ($text is null or voucher_text ilike $text or row_text ilike $text)
"""

LEDGER_TOTALS_SQL = "select count(*), coalesce(sum(amount), 0), max(voucher_date)" + LEDGER_FILTER

LEDGER_ROWS_SQL = (
    """
select voucher_series, voucher_number, row_no, voucher_date,
    cast(account_number as varchar), amount, voucher_text, row_text, cost_center, project,
    is_final
"""
    + LEDGER_FILTER
    + """
order by voucher_date, voucher_series, voucher_number, row_no
limit $limit offset $offset
"""
)

YEAR_SQL = """
select financial_year_id, financial_year from analytics.dim_financial_years
where company_id = ? and (financial_year = ? or cast(financial_year_id as varchar) = ?)
"""

YEARS_SQL = """
select string_agg(financial_year, ', ' order by financial_year_start)
from analytics.dim_financial_years where company_id = ?
"""

VOUCHER_SQL = """
select rows.row_no, cast(rows.account_number as varchar), accounts.account_name, rows.amount,
    rows.row_text, rows.cost_center, rows.project, rows.transaction_date, rows.voucher_date,
    rows.registration_date, rows.voucher_text, rows.is_final
from analytics.fct_gl_transactions as rows
left join analytics.dim_accounts as accounts
    on rows.company_id = accounts.company_id and rows.account_number = accounts.account_number
where rows.company_id = ? and rows.financial_year_id is not distinct from ?
    and rows.financial_year = ? and rows.voucher_series = ? and rows.voucher_number = ?
order by rows.row_no
"""


def general_ledger(
    connection: duckdb.DuckDBPyConnection,
    *,
    company: str | None,
    account: str | None,
    date_from: date | None,
    date_to: date | None,
    series: str | None,
    text: str | None,
    page: int,
    page_size: int,
) -> GeneralLedger:
    """Booked voucher rows matching the filters, oldest first, one page at a time."""
    require_models(connection, "fct_gl_transactions")
    company_id = resolve_company(connection, company)
    page, page_size = paging(page, page_size, 500)
    if date_from and date_to and date_from > date_to:
        raise ToolInputError("date_from is after date_to")
    parameters = {
        "company": company_id,
        "account": account,
        "date_from": date_from,
        "date_to": date_to,
        "series": series,
        "text": None if text is None else f"%{text}%",
    }
    count, total, latest = connection.execute(LEDGER_TOTALS_SQL, parameters).fetchone()  # type: ignore[misc]
    rows = connection.execute(
        LEDGER_ROWS_SQL, parameters | {"limit": page_size, "offset": (page - 1) * page_size}
    ).fetchall()
    return GeneralLedger(
        # The figures describe the books through date_to, or through the latest matching row.
        about=about(connection, company_id, date_to or latest),
        filters={
            "account": account,
            "date_from": None if date_from is None else date_from.isoformat(),
            "date_to": None if date_to is None else date_to.isoformat(),
            "series": series,
            "text": text,
        },
        sum_amount=amount(total) or "0",
        page=page_of(page, page_size, count),
        rows=[
            LedgerRow(
                voucher_series=row[0],
                voucher_number=row[1],
                row_no=row[2],
                voucher_date=row[3],
                account_number=row[4],
                amount=amount(row[5]) or "0",
                voucher_text=row[6],
                row_text=row[7],
                cost_center=row[8],
                project=row[9],
                status=status(row[10]),
            )
            for row in rows
        ],
    )


def voucher(
    connection: duckdb.DuckDBPyConnection,
    *,
    company: str | None,
    series: str,
    number: int,
    financial_year: str,
) -> Voucher:
    """One voucher with all its booked rows and account names."""
    require_models(connection, "fct_gl_transactions", "dim_accounts", "dim_financial_years")
    company_id = resolve_company(connection, company)
    year = connection.execute(YEAR_SQL, [company_id, financial_year, financial_year]).fetchone()
    if year is None:
        years = connection.execute(YEARS_SQL, [company_id]).fetchone()
        raise ToolInputError(
            f"no financial year {financial_year!r} in company {company_id}; loaded years: "
            f"{years[0] if years else 'none'}"
        )
    rows = connection.execute(
        VOUCHER_SQL, [company_id, year[0], year[1], series, number]
    ).fetchall()
    if not rows:
        raise ToolInputError(
            f"no voucher {series}{number} in financial year {year[1]} of company {company_id}"
        )
    first = rows[0]
    total = sum(row[3] for row in rows)
    return Voucher(
        about=about(connection, company_id, first[8]),
        financial_year=year[1],
        voucher_series=series,
        voucher_number=number,
        voucher_date=first[8],
        registration_date=first[9],
        text=first[10],
        status=status(first[11]),
        balanced=total == 0,
        rows=[
            VoucherRow(
                row_no=row[0],
                account_number=row[1],
                account_name=row[2],
                amount=amount(row[3]) or "0",
                text=row[4],
                cost_center=row[5],
                project=row[6],
                transaction_date=row[7],
            )
            for row in rows
        ],
    )
