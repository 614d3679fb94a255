"""What every answer starts from: which company, and its freshness (`About`).

The tools' own SQL lives in their modules; this is the SQL they share.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from pipelines.companies import CompanyError
from pipelines.companies import resolve_company as shared_resolve_company
from pipelines.mcp_server.answers import About, Page

RAW_SCHEMA = "fortnox_raw"


class ToolInputError(ValueError):
    """A call the tool cannot answer as asked (unknown company, period, voucher...)."""


COMPANIES_SQL = """
select distinct company_id from analytics.dim_financial_years
union
select distinct company_id from analytics.dim_locked_period
order by 1
"""

ABOUT_SQL = """
with years as (
    select company_id, arg_max(company_name, financial_year_start) as company_name,
        max(loaded_at) as sie_loaded_at
    from analytics.dim_financial_years where company_id = $company group by company_id
),
locked as (
    select locked_through from analytics.dim_locked_period where company_id = $company
),
runs as (
    select max(ended_at) as run_ended_at from fortnox_raw.load_runs
    where company_id = $company and outcome = 'completed'
)
select
    (select company_name from years),
    (select locked_through from locked),
    coalesce((select run_ended_at from runs), (select sie_loaded_at from years))
"""

ABOUT_SQL_WITHOUT_RUNS = ABOUT_SQL.replace(
    "select max(ended_at) as run_ended_at from fortnox_raw.load_runs\n"
    "    where company_id = $company and outcome = 'completed'",
    "select null::timestamptz as run_ended_at",
)


def has_relation(connection: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """Whether a table or view exists in the warehouse (a SIE-only warehouse lacks API tables)."""
    return bool(
        connection.execute(
            "select count(*) from information_schema.tables"
            " where table_catalog = current_database() and table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]  # type: ignore[index]
    )


def require_models(connection: duckdb.DuckDBPyConnection, *names: str) -> None:
    """Fail with a fix when a model the tool reads was never built."""
    missing = [name for name in names if not has_relation(connection, "analytics", name)]
    if missing:
        raise ToolInputError(
            f"the warehouse has no {', '.join(missing)}: run `fortnox-pipeline models` "
            "(a SIE-only warehouse has no AR/AP models)"
        )


def resolve_company(connection: duckdb.DuckDBPyConnection, company: str | None) -> str:
    """The company asked for (org number in any writing, or a DatabaseNumber), or the only one;
    a clear error listing them otherwise. Resolved as the command line resolves `--company`
    (`pipelines.companies`), then to the id the models hold its books under."""
    require_models(connection, "dim_financial_years", "dim_locked_period")
    present = [str(row[0]) for row in connection.execute(COMPANIES_SQL).fetchall()]
    if company is None and len(present) == 1:
        return present[0]
    try:
        resolved = shared_resolve_company(connection, RAW_SCHEMA, company)
    except CompanyError as error:
        raise ToolInputError(
            f"{error.message}; {error.fix}".replace("--company", "company=")
        ) from None
    chosen = resolved.pick(present)
    if chosen is None:
        raise ToolInputError(
            f"no company {company!r} in the models; companies: {', '.join(present) or 'none'}"
        )
    return chosen


def about(connection: duckdb.DuckDBPyConnection, company_id: str, as_of_date: date | None) -> About:
    """The `about` block of an answer for one company and the date its figures describe."""
    sql = (
        ABOUT_SQL
        if has_relation(connection, "fortnox_raw", "load_runs")
        else ABOUT_SQL_WITHOUT_RUNS
    )
    row = connection.execute(sql, {"company": company_id}).fetchone() or (None, None, None)
    return About(
        company_id=company_id,
        company_name=row[0],
        as_of_date=as_of_date,
        locked_through=row[1],
        loaded_at=row[2],
    )


def paging(page: int, page_size: int, max_page_size: int) -> tuple[int, int]:
    """Validated (page, page_size): pages count from 1, a page holds at most `max_page_size`."""
    if page < 1:
        raise ToolInputError("page counts from 1")
    if not 1 <= page_size <= max_page_size:
        raise ToolInputError(f"page_size must be between 1 and {max_page_size}")
    return page, page_size


def page_of(page: int, page_size: int, total_rows: int) -> Page:
    """The `page` block: where this page is and which page comes next, if any."""
    return Page(
        page=page,
        page_size=page_size,
        total_rows=total_rows,
        next_page=page + 1 if page * page_size < total_rows else None,
    )


def one(connection: duckdb.DuckDBPyConnection, sql: str, parameters: Any = None) -> Any:
    """The first value of the first row (None when there is no row)."""
    row = connection.execute(sql, parameters).fetchone()
    return row[0] if row else None
