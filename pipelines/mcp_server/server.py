"""The MCP server: the tools, a schema resource and a month-end prompt over one warehouse.

Built on the official SDK's FastMCP (`mcp.server.fastmcp`): typed Python signatures become the
tools' input schemas and the pydantic answers their output schemas, so an agent sees exactly
what it may send and what comes back. Each tool opens one read-only session
(`WarehouseReader`), answers, and closes it; nothing here calls Fortnox.
"""

# No `from __future__ import annotations`: FastMCP reads the tools' annotations at
# registration, and `query`'s row cap comes from the settings in scope there.
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import duckdb
from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from pipelines.mcp_server import answers
from pipelines.mcp_server.context import ToolInputError, about
from pipelines.mcp_server.privacy import (
    PersonalDataRefused,
    is_personal_column,
    personal_data_granted,
)
from pipelines.mcp_server.query_guard import QUERY_SCHEMAS, QueryRefused, run_query
from pipelines.mcp_server.tools import companies, ledger, statements, subledgers
from pipelines.mcp_server.warehouse import WarehouseReader, WarehouseUnavailableError
from pipelines.transform import MODELS_DIR

INSTRUCTIONS = """\
Read-only access to a Fortnox company's books as loaded into the fortnox-pipeline warehouse
(nothing here calls Fortnox or can change anything). Start with list_companies: it says which
companies are loaded, their financial years, the locked period and when data was last loaded.
Every answer has `about` (company, as-of date, locked_through, loaded_at) and a status per
figure: final (inside Fortnox's locked period) or provisional. Amounts are exact decimal strings
in SEK with SIE signs (debit positive) unless the answer's `signs` says otherwise. Long lists are
paged: ask again with page=next_page. For anything the tools do not cover, `query` runs one
SELECT over the schemas analytics (models) and fortnox_raw (raw tables); read the resource
warehouse://schema first. If a call says the warehouse is busy, a load is writing it: wait a
minute and ask again."""

READ_ONLY = ToolAnnotations(readOnlyHint=True, destructiveHint=False, openWorldHint=False)

Company = Annotated[
    str | None,
    Field(
        description="The company: its company_key (organisation number, NNNNNN-NNNN) or "
        "company_id (DatabaseNumber) from list_companies; may be left out when only one."
    ),
]
FinancialYearLabel = Annotated[
    str | None,
    Field(description="Financial year label, e.g. '2026' (default: the latest)."),
]
Period = Annotated[
    str | None,
    Field(
        description="Month 'YYYY-MM' (default: the latest month that has ended).",
        pattern=r"^\d{4}-\d{2}$",
    ),
]
AsOf = Annotated[
    date | None,
    Field(description="Date YYYY-MM-DD (default: the date the models were built for)."),
]
PageNumber = Annotated[int, Field(description="Page, from 1.", ge=1)]
IncludePersonal = Annotated[
    bool,
    Field(
        description="Include e-mail, phone, address and payment details (only on a server "
        "started with --allow-personal-data)."
    ),
]

T = TypeVar("T")


@dataclass(frozen=True)
class ServerSettings:
    """How the server was started.

    Args:
        duckdb_path: The warehouse file.
        allow_personal_data: `--allow-personal-data`: calls may ask for personal fields.
        busy_wait_seconds: How long a call waits while a load holds the file.
        query_row_cap: The most rows `query` returns.
        query_timeout_seconds: `query` is interrupted after this long.
        http_host: Interface of the streamable HTTP transport.
        http_port: Port of the streamable HTTP transport.
    """

    duckdb_path: Path
    allow_personal_data: bool = False
    busy_wait_seconds: float = 15.0
    query_row_cap: int = 500
    query_timeout_seconds: float = 20.0
    http_host: str = "127.0.0.1"
    http_port: int = 8765


@contextmanager
def _answering() -> Iterator[None]:
    """Turn what the agent can act on into a tool error with a plain message."""
    try:
        yield
    except (
        ToolInputError,
        WarehouseUnavailableError,
        QueryRefused,
        PersonalDataRefused,
    ) as error:
        raise ToolError(str(error)) from None
    except duckdb.CatalogException as error:
        raise ToolError(
            f"the warehouse lacks a table this tool reads ({error}); run "
            "`fortnox-pipeline models` after a load"
        ) from None


def build_server(settings: ServerSettings) -> FastMCP:
    """The MCP server over one warehouse, with every tool, the schema and the checklist."""
    reader = WarehouseReader(settings.duckdb_path, busy_wait_seconds=settings.busy_wait_seconds)
    server = FastMCP(
        "fortnox-warehouse",
        instructions=INSTRUCTIONS,
        log_level="WARNING",
        host=settings.http_host,
        port=settings.http_port,
    )

    def read(work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        with _answering(), reader.session() as connection:
            return work(connection)

    @server.tool(annotations=READ_ONLY)
    def list_companies() -> answers.CompanyList:
        """Companies in the warehouse, each by company_key (organisation number) and company_id
        (Fortnox DatabaseNumber): financial years (final or provisional), the locked period,
        the last load and its outcome. Call this first."""
        return read(companies.list_companies)

    @server.tool(annotations=READ_ONLY)
    def trial_balance(
        company: Company = None,
        financial_year: FinancialYearLabel = None,
        period: Period = None,
    ) -> answers.TrialBalance:
        """Trial balance per account (SIE signs, debit positive): the year's opening, debits
        and credits through the period's end, and the closing balance."""
        return read(
            lambda connection: statements.trial_balance(
                connection, company=company, financial_year=financial_year, period=period
            )
        )

    @server.tool(annotations=READ_ONLY)
    def income_statement(
        company: Company = None,
        financial_year: FinancialYearLabel = None,
        period: Period = None,
    ) -> answers.Statement:
        """Income statement by BAS group (income positive): the month, the year to date and
        the prior year to the same month."""
        return read(
            lambda connection: statements.income_statement(
                connection, company=company, financial_year=financial_year, period=period
            )
        )

    @server.tool(annotations=READ_ONLY)
    def balance_sheet(
        company: Company = None,
        financial_year: FinancialYearLabel = None,
        period: Period = None,
    ) -> answers.Statement:
        """Balance sheet by BAS group at a month end (assets positive, equity and
        liabilities negative), with the year's opening and a year earlier."""
        return read(
            lambda connection: statements.balance_sheet(
                connection, company=company, financial_year=financial_year, period=period
            )
        )

    @server.tool(annotations=READ_ONLY)
    def ar_aging(
        company: Company = None,
        as_of: AsOf = None,
        page: PageNumber = 1,
        page_size: Annotated[int, Field(ge=1, le=500)] = 50,
    ) -> answers.Aging:
        """Customer invoices open on a date, by days past due (not due, 1-30, 31-60, 61-90,
        over 90): bucket totals and the invoices, largest first."""
        return read(
            lambda connection: subledgers.aging(
                connection,
                ledger="AR",
                company=company,
                as_of=as_of,
                page=page,
                page_size=page_size,
            )
        )

    @server.tool(annotations=READ_ONLY)
    def ap_aging(
        company: Company = None,
        as_of: AsOf = None,
        page: PageNumber = 1,
        page_size: Annotated[int, Field(ge=1, le=500)] = 50,
    ) -> answers.Aging:
        """Supplier invoices open on a date, by days past due: bucket totals and the
        invoices, largest first."""
        return read(
            lambda connection: subledgers.aging(
                connection,
                ledger="AP",
                company=company,
                as_of=as_of,
                page=page,
                page_size=page_size,
            )
        )

    @server.tool(annotations=READ_ONLY)
    def reconciliation(
        ledger: Annotated[
            Literal["AR", "AP"], Field(description="AR (customers) or AP (suppliers).")
        ],
        company: Company = None,
        as_of: AsOf = None,
    ) -> answers.Reconciliation:
        """The customer or supplier subledger against the ledger's control accounts on a
        date: both balances, the difference, and the voucher rows that explain it."""
        return read(
            lambda connection: subledgers.reconciliation(
                connection, ledger=ledger, company=company, as_of=as_of
            )
        )

    @server.tool(annotations=READ_ONLY)
    def general_ledger(
        company: Company = None,
        account: Annotated[
            str | None, Field(description="Account number as text, e.g. '1930'.")
        ] = None,
        date_from: Annotated[date | None, Field(description="First voucher date.")] = None,
        date_to: Annotated[date | None, Field(description="Last voucher date.")] = None,
        series: Annotated[str | None, Field(description="Voucher series, e.g. 'A'.")] = None,
        text: Annotated[
            str | None, Field(description="Words in the voucher or row text (any case).")
        ] = None,
        page: PageNumber = 1,
        page_size: Annotated[int, Field(ge=1, le=500)] = 100,
    ) -> answers.GeneralLedger:
        """Booked voucher rows, oldest first, filtered by account, dates, series and text;
        with the sum of every matching row. Paged."""
        return read(
            lambda connection: ledger.general_ledger(
                connection,
                company=company,
                account=account,
                date_from=date_from,
                date_to=date_to,
                series=series,
                text=text,
                page=page,
                page_size=page_size,
            )
        )

    @server.tool(annotations=READ_ONLY)
    def voucher(
        series: Annotated[str, Field(description="Voucher series, e.g. 'A'.")],
        number: Annotated[int, Field(description="Voucher number within the series.")],
        financial_year: Annotated[str, Field(description="Financial year label, e.g. '2026'.")],
        company: Company = None,
    ) -> answers.Voucher:
        """One voucher (verifikation) with its rows, account names and whether it balances."""
        return read(
            lambda connection: ledger.voucher(
                connection,
                company=company,
                series=series,
                number=number,
                financial_year=financial_year,
            )
        )

    @server.tool(annotations=READ_ONLY)
    def customer(
        customer_number: Annotated[str, Field(description="Fortnox customer number.")],
        company: Company = None,
        include_personal_data: IncludePersonal = False,
        page: PageNumber = 1,
        page_size: Annotated[int, Field(ge=1, le=200)] = 50,
    ) -> answers.Counterparty:
        """A customer: invoices newest first with what is open on the models' as-of date,
        and the open total. No contact details unless asked for and allowed."""
        granted = _granted(include_personal_data, settings)
        return read(
            lambda connection: subledgers.counterparty(
                connection,
                ledger="AR",
                company=company,
                number=customer_number,
                personal=granted,
                page=page,
                page_size=page_size,
            )
        )

    @server.tool(annotations=READ_ONLY)
    def supplier(
        supplier_number: Annotated[str, Field(description="Fortnox supplier number.")],
        company: Company = None,
        include_personal_data: IncludePersonal = False,
        page: PageNumber = 1,
        page_size: Annotated[int, Field(ge=1, le=200)] = 50,
    ) -> answers.Counterparty:
        """A supplier: invoices newest first with what is open on the models' as-of date,
        and the open total. No contact or payment details unless asked for and allowed."""
        granted = _granted(include_personal_data, settings)
        return read(
            lambda connection: subledgers.counterparty(
                connection,
                ledger="AP",
                company=company,
                number=supplier_number,
                personal=granted,
                page=page,
                page_size=page_size,
            )
        )

    @server.tool(annotations=READ_ONLY)
    def sie_findings(
        company: Company = None,
        severity: Annotated[
            str | None, Field(description="Only this severity, e.g. 'error' or 'warning'.")
        ] = None,
        include_unused_files: Annotated[
            bool, Field(description="Also files no financial year uses (older exports).")
        ] = False,
        page: PageNumber = 1,
        page_size: Annotated[int, Field(ge=1, le=200)] = 50,
    ) -> answers.SieFindings:
        """Bookkeeping problems found in the loaded SIE files (unbalanced vouchers, opening
        plus movements not equal to closing, ...)."""
        return read(
            lambda connection: companies.sie_findings(
                connection,
                company=company,
                severity=severity,
                include_unused_files=include_unused_files,
                page=page,
                page_size=page_size,
            )
        )

    @server.tool(annotations=READ_ONLY)
    def query(
        sql: Annotated[
            str,
            Field(
                description="One SELECT over analytics.* and fortnox_raw.* (DuckDB SQL); "
                "filter by company_id."
            ),
        ],
        max_rows: Annotated[int, Field(ge=1, le=settings.query_row_cap)] = 100,
        include_personal_data: IncludePersonal = False,
    ) -> answers.QueryAnswer:
        """Run one read-only SELECT (nothing else: no INSERT, COPY, ATTACH, PRAGMA, INSTALL,
        no second statement) with a row cap and a timeout. See resource warehouse://schema."""
        granted = _granted(include_personal_data, settings)
        with _answering(), reader.bare_session() as connection:
            result = run_query(
                connection,
                sql,
                row_cap=max_rows,
                timeout_seconds=settings.query_timeout_seconds,
                personal=granted,
                catalog=reader.catalog,
            )
            connection.execute(f'use "{reader.catalog}"')
            company_ids = _company_ids(connection, result)
            abouts = [about(connection, company_id, None) for company_id in company_ids]
        return answers.QueryAnswer(
            about=abouts,
            columns=result.columns,
            types=result.types,
            rows=[[_json_value(value) for value in row] for row in result.rows],
            row_count=len(result.rows),
            truncated=result.truncated,
            personal_data=granted,
        )

    @server.resource(
        "warehouse://schema",
        name="warehouse-schema",
        description="The models and raw tables an agent can query: columns and each model's grain.",
        mime_type="text/markdown",
    )
    def schema() -> str:
        with _answering(), reader.session() as connection:
            return _schema_markdown(connection, personal=settings.allow_personal_data)

    @server.prompt(
        name="month_end_checklist",
        description="Walk through a month-end close with the tools, for one company and month.",
    )
    def month_end_checklist(company: str = "", period: str = "") -> str:
        return MONTH_END_CHECKLIST.format(
            company=company or "the only company (or ask list_companies)",
            period=period or "the latest month that has ended",
        )

    return server


def _granted(asked: bool, settings: ServerSettings) -> bool:
    try:
        return personal_data_granted(asked=asked, allowed=settings.allow_personal_data)
    except PersonalDataRefused as error:
        raise ToolError(str(error)) from None


def _json_value(value: Any) -> Any:
    """A query cell for JSON: decimals (and raw DOUBLE amounts) as exact strings, dates and
    times in ISO 8601, lists and structs element by element."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal | float):
        return answers.amount(value)
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    return str(value)


def _company_ids(connection: duckdb.DuckDBPyConnection, result: Any) -> list[str]:
    """The companies a query's rows belong to (its company_id column), else every company."""
    if "company_id" in result.columns:
        index = result.columns.index("company_id")
        found = sorted({str(row[index]) for row in result.rows if row[index] is not None})
        if found:
            return found
    return [str(row[0]) for row in connection.execute(companies.COMPANIES_SQL).fetchall()]


def _grains() -> dict[str, str]:
    """Each model's grain, from the first comment line of its SQL file."""
    grains = {}
    for path in sorted(MODELS_DIR.glob("*/*.sql")):
        first = path.read_text(encoding="utf-8").splitlines()[:1]
        if first and first[0].startswith("--"):
            grains[path.stem] = first[0].removeprefix("--").strip()
    return grains


def _schema_markdown(connection: duckdb.DuckDBPyConnection, *, personal: bool) -> str:
    """The queryable relations and their columns (personal columns only when allowed)."""
    grains = _grains()
    rows = connection.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns"
        " where table_catalog = current_database() and table_schema in ?"
        " and table_name not like '\\_dlt%' escape '\\'"
        " order by table_schema, table_name, ordinal_position",
        [list(QUERY_SCHEMAS)],
    ).fetchall()
    lines = [
        "# The warehouse",
        "",
        "`analytics`: models (marts `fct_*`/`dim_*` are what to query; `int_*`, `stg_*` are "
        "their steps). `fortnox_raw`: tables as loaded. Every row has `company_id`. Amounts are "
        "SIE signs (debit positive) except `fct_income_statement` (income positive). `is_final`"
        " / `status` say whether a figure is inside the locked period.",
    ]
    current = None
    for schema, table, column, data_type in rows:
        if not personal and is_personal_column(column):
            continue
        if (schema, table) != current:
            current = (schema, table)
            lines += ["", f"## {schema}.{table}"]
            if table in grains:
                lines.append(grains[table])
        lines.append(f"- {column} {data_type}")
    return "\n".join(lines) + "\n"


MONTH_END_CHECKLIST = """\
Month-end close for {company}, month {period}. Use the fortnox-warehouse tools; quote figures as
the tools give them and say for each whether it is final or provisional.

1. list_companies: confirm the company, when it was last loaded (loaded_at) and the locked
   period. If the last load is older than a day or failed, say so first.
2. sie_findings: any unbalanced voucher or opening + movements != closing is a blocker.
3. reconciliation ledger=AR and ledger=AP at the month end: the difference between subledger
   and ledger; list the explaining rows and anything unexplained.
4. ar_aging and ap_aging at the month end: totals per bucket; name the largest overdue items.
5. trial_balance for the month: check that debits equal credits and that the bank accounts
   (1910-1979) match the bank statements the user has.
6. income_statement and balance_sheet for the month, against the prior year's comparative:
   explain the largest changes, with general_ledger for the accounts behind them.
7. Summarise: what is ready to lock, what needs a correction voucher, and what to ask whom.
"""
