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
