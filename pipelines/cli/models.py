"""`fortnox-pipeline models | reconcile | report`: build the SQL models and read what they say.

`models` builds every model and runs the checks (exit `DATA_CHECK_FAILED` when a check fails);
`run` and `demo` call `build_and_report` after loading. `reconcile` and `report` only read the
warehouse (opened read-only, so analysts' sessions and these commands can share the file).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import duckdb
import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from pipelines.cli.output import OutputOption, emit, fail
from pipelines.companies import CompanyError, company_in_model, resolve_company
from pipelines.exit_codes import ExitCode
from pipelines.transform import (
    DEFAULT_DATASET,
    DEFAULT_MODELS_SCHEMA,
    BuildReport,
    DbtError,
    build_models,
    query_model,
)
from pipelines.warehouse import (
    WarehouseBusyError,
    WarehouseNotFoundError,
    open_warehouse,
    working_dir_beside,
)
from pipelines.writer_lock import hold_writer_lock

DEFAULT_WAREHOUSE = Path("fortnox.duckdb")

DuckdbOption = Annotated[Path, typer.Option("--duckdb", help="DuckDB warehouse file.")]
DatasetOption = Annotated[
    str, typer.Option("--dataset", help="Schema the raw tables were loaded into.")
]
SchemaOption = Annotated[
    str, typer.Option("--models-schema", help="Schema the models are built into.")
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Treat this date (YYYY-MM-DD) as today; default: the latest date in the books.",
    ),
]
CompanyOption = Annotated[
    str | None,
    typer.Option(
        "--company",
        help="Org number (any writing) or Fortnox DatabaseNumber; needed when several.",
    ),
]

report_app = typer.Typer(
    help="Financial statements from the models, as a table or CSV/Parquet.",
    no_args_is_help=True,
)


class CommandError(Exception):
    """A user-facing failure: a message for stderr and the exit code to leave with."""

    def __init__(self, message: str, exit_code: ExitCode) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _console() -> Console:
    """A console that does not squeeze amounts into 80 columns when output is not a terminal."""
    console = Console()
    return console if console.is_terminal else Console(width=160)


def _fail(error: CommandError) -> typer.Exit:
    return fail(str(error), error.exit_code)


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        message = f"{option} {value!r} is not a date — write it as YYYY-MM-DD"
        raise CommandError(message, ExitCode.BAD_INPUT) from None


def _open(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return open_warehouse(path, read_only=read_only)
    except WarehouseBusyError as error:
        raise CommandError(str(error), ExitCode.WAREHOUSE_BUSY) from None
    except WarehouseNotFoundError as error:
        raise CommandError(str(error), ExitCode.NOT_FOUND) from None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}".replace(",", " ")
    return str(value)


def echo_build_report(report: BuildReport, console: Console | None = None) -> ExitCode:
    """Print what a build did and return the exit code it deserves.

    Args:
        report: What `build_models` returned.
        console: Where to print; a default console on stdout otherwise.

    Returns:
        `ERROR` when a model failed, `DATA_CHECK_FAILED` when a check failed, else `OK`.
    """
    console = console or _console()
    built = [result for result in report.models if result.status == "built"]
    skipped = [result for result in report.models if result.status == "skipped"]
    console.print(
        f"Models: {len(built)} built, {len(skipped)} skipped, "
        f"{len(report.failed_models)} failed in {report.seconds:.2f} s"
    )
    reasons: dict[str, list[str]] = {}
    for result in skipped:
        reasons.setdefault(result.reason, []).append(result.name)
    for reason, names in sorted(reasons.items()):
        console.print(f"  skipped ({reason}): {', '.join(names)}")
    for result in report.failed_models:
        console.print(f"  [red]failed[/red] {result.name}: {result.reason}")
    checks = Table(title="Checks")
    for column in ("check", "status", "offending rows"):
        checks.add_column(column)
    for check in report.checks:
        colour = {"passed": "green", "skipped": "yellow"}.get(check.status, "red")
        checks.add_row(
            check.name, f"[{colour}]{check.status}[/{colour}]", str(check.offending_rows)
        )
    console.print(checks)
    for check in report.failed_checks:
        console.print(f"[red]{check.name}[/red]: {check.reason or 'first offending rows:'}")
        for row in check.sample:
            console.print("  " + ", ".join(f"{key}={_text(value)}" for key, value in row.items()))
    if report.failed_models:
        return ExitCode.ERROR
    if report.failed_checks:
        return ExitCode.DATA_CHECK_FAILED
    return ExitCode.OK


def build_and_report(
    duckdb_path: Path,
    *,
    dataset: str = DEFAULT_DATASET,
    models_schema: str = DEFAULT_MODELS_SCHEMA,
    as_of: date | None = None,
    console: Console | None = None,
) -> ExitCode:
    """Open the warehouse, build every model, run the checks and print the outcome.

    This is what `run` and `demo` call after loading.

    Raises:
        WarehouseBusyError: Another process holds the warehouse file.
        DbtError: dbt could not run the project (e.g. the models depend on each other in a cycle).
    """
    # Under the warehouse's writer lock (a run building its models already holds it): a
    # build never overlaps a load of another process.
    with hold_writer_lock(working_dir_beside(duckdb_path), duckdb_path, command="models"):
        connection = open_warehouse(duckdb_path)
        try:
            report = build_models(
                connection, dataset=dataset, models_schema=models_schema, as_of=as_of
            )
        finally:
            connection.close()
    return echo_build_report(report, console)


def models(
    duckdb: DuckdbOption = DEFAULT_WAREHOUSE,
    dataset: DatasetOption = DEFAULT_DATASET,
    models_schema: SchemaOption = DEFAULT_MODELS_SCHEMA,
    as_of: AsOfOption = None,
) -> None:
    """Build the SQL models in dependency order, then run the data checks."""
    try:
        as_of_date = _parse_date(as_of, "--as-of")
        exit_code = build_and_report(
            duckdb, dataset=dataset, models_schema=models_schema, as_of=as_of_date
        )
    except CommandError as error:
        raise _fail(error) from None
    except WarehouseBusyError as error:
        raise _fail(CommandError(str(error), ExitCode.WAREHOUSE_BUSY)) from None
    except DbtError as error:
        raise _fail(CommandError(str(error), ExitCode.ERROR)) from None
    raise typer.Exit(int(exit_code))


def _company_for_profile(connection: duckdb.DuckDBPyConnection, dataset: str, profile: str) -> str:
    """The company a profile loads, from the pipeline's run records (a table with both columns)."""
    tables = connection.execute(
        "select table_name from information_schema.columns"
        " where table_schema = ? and column_name in ('profile', 'company_id')"
        " group by table_name having count(*) = 2",
        [dataset],
    ).fetchall()
    database = connection.execute("select current_database()").fetchone()[0]  # type: ignore[index]
    for (table,) in tables:
        found = connection.execute(
            f'select company_id from "{database}"."{dataset}"."{table}" where profile = ?'
            " and company_id is not null limit 1",
            [profile],
        ).fetchone()
        if found:
            return str(found[0])
    raise CommandError(
        f"no run of profile {profile!r} is recorded in the warehouse", ExitCode.NOT_FOUND
    )


@dataclass(frozen=True)
class _Reconciliation:
    subledger: str
    rows: pl.DataFrame


def _reconciliations(
    connection: duckdb.DuckDBPyConnection,
    *,
    dataset: str,
    models_schema: str,
    as_of: date | None,
    company_ids: tuple[str, ...] | None,
) -> list[_Reconciliation]:
    """AR's and AP's reconciliation rows as of a date, by company and date.

    fct_ar_reconciliation and fct_ap_reconciliation are the two halves of
    int_subledger_reconciliation: evaluating that once, rather than each mart, computes the
    shared open items of both ledgers once.
    """
    try:
        rows = query_model(
            connection,
            "int_subledger_reconciliation",
            dataset=dataset,
            models_schema=models_schema,
            as_of=as_of,
        )
    except LookupError as error:
        raise CommandError(
            f"cannot reconcile: {error}. Load the Fortnox API tables and run "
            "`fortnox-pipeline models` first.",
            ExitCode.NOT_FOUND,
        ) from None
    if company_ids is not None:
        rows = rows.filter(pl.col("company_id").is_in(list(company_ids)))
    return [
        _Reconciliation(
            subledger,
            rows.filter(pl.col("subledger") == subledger)
            .drop("subledger")
            .sort(["company_id", "reconciliation_date"]),
        )
        for subledger in ("AR", "AP")
    ]


def reconcile(
    duckdb: DuckdbOption = DEFAULT_WAREHOUSE,
    dataset: DatasetOption = DEFAULT_DATASET,
    models_schema: SchemaOption = DEFAULT_MODELS_SCHEMA,
    as_of: AsOfOption = None,
    profile: Annotated[
        str | None, typer.Option("--profile", help="Only the company this profile loads.")
    ] = None,
    company: CompanyOption = None,
    fail_on_difference: Annotated[
        bool,
        typer.Option(
            "--fail-on-difference",
            help="Exit with DATA_CHECK_FAILED when a final (locked) date has a difference.",
        ),
    ] = False,
    output: OutputOption = None,
) -> None:
    """AR and AP subledgers against the general ledger at every month end and the as-of date."""
    console = _console()
    try:
        as_of_date = _parse_date(as_of, "--as-of")
        with _open(duckdb, read_only=True) as connection:
            company_ids: tuple[str, ...] | None = None
            if profile is not None:
                company = _company_for_profile(connection, dataset, profile)
                company_ids = (company,)
            elif company is not None:
                company_ids = resolve_company(connection, dataset, company).company_ids
            reconciliations = _reconciliations(
                connection,
                dataset=dataset,
                models_schema=models_schema,
                as_of=as_of_date,
                company_ids=company_ids,
            )
    except CommandError as error:
        raise _fail(error) from None
    except CompanyError as error:
        raise fail(error.message, error.exit_code, error.fix) from None
    if company is not None and all(item.rows.is_empty() for item in reconciliations):
        raise _fail(
            CommandError(f"no reconciliation rows for company {company!r}", ExitCode.NOT_FOUND)
        )
    final_differences = sum(
        int(row["status"] == "final" and row["difference"] != 0)
        for reconciliation in reconciliations
        for row in reconciliation.rows.iter_rows(named=True)
    )
    document = {
        reconciliation.subledger: reconciliation.rows.to_dicts()
        for reconciliation in reconciliations
    }

    def tables() -> None:
        for reconciliation in reconciliations:
            _echo_reconciliation(console, reconciliation)

    emit(document, output, tables)
    if fail_on_difference and final_differences:
        typer.echo(
            f"{final_differences} final (locked) date(s) have a difference between a subledger "
            "and the ledger.",
            err=True,
        )
        raise typer.Exit(int(ExitCode.DATA_CHECK_FAILED))


def _echo_reconciliation(console: Console, reconciliation: _Reconciliation) -> int:
    """Print one subledger's reconciliation; return how many final dates show a difference."""
    table = Table(title=f"{reconciliation.subledger} against the ledger (SIE sign: debit +)")
    table.add_column("company", no_wrap=True)
    table.add_column("date", no_wrap=True)
    for column in ("ledger", "subledger", "difference"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True, min_width=11)
    final_differences = 0
    for row in reconciliation.rows.iter_rows(named=True):
        final_differences += row["status"] == "final" and row["difference"] != 0
        marker = " as of" if row["is_as_of"] and not row["is_month_end"] else ""
        difference = _text(row["difference"])
        table.add_row(
            row["company_id"],
            f"{row['reconciliation_date']}{marker}",
            _text(row["ledger_balance"]),
            _text(row["subledger_balance"]),
            f"[red]{difference}[/red]" if row["difference"] else difference,
            row["status"],
        )
    console.print(table)
    # The explanation is cumulative: the latest date of each company says it all.
    latest = reconciliation.rows.group_by("company_id").agg(
        pl.all().sort_by("reconciliation_date").last()
    )
    for row in latest.sort("company_id").iter_rows(named=True):
        if row.get("foreign_payments_year_to_date"):
            console.print(
                f"{row['company_id']} {reconciliation.subledger}: "
                f"{row['foreign_payments_year_to_date']} payment(s) in another currency this "
                f"financial year, realised exchange differences "
                f"{_text(row['exchange_difference_year_to_date'])} (gain +, booked on 3960/7960, "
                "not a difference)",
                soft_wrap=True,
            )
        if not row["difference"]:
            continue
        console.print(
            f"{row['company_id']} {reconciliation.subledger} at {row['reconciliation_date']}: "
            f"difference {_text(row['difference'])}, of which rows with no document behind them "
            f"{_text(row['explained_amount'])} ({row['explaining_vouchers'] or 'none'}), "
            f"unexplained {_text(row['unexplained_difference'])}",
            soft_wrap=True,
        )
    return final_differences


def _statement_rows(
    connection: duckdb.DuckDBPyConnection,
    model: str,
    *,
    dataset: str,
    models_schema: str,
    company: str | None,
    year: int | None,
    period: str | None,
) -> pl.DataFrame:
    """One period's rows of a statement mart, in layout order.

    The default period is the one holding the company's latest booked voucher (a date of the
    books, never the wall clock), within `--year` when given; else the year's last period.
    """
    database = connection.execute("select current_database()").fetchone()[0]  # type: ignore[index]
    schema = f'"{database}"."{models_schema}"'
    table = f'{schema}."{model}"'
    try:
        company = company_in_model(connection, dataset=dataset, model_table=table, given=company)
    except duckdb.CatalogException:
        raise CommandError(
            f"{model} is not built: run `fortnox-pipeline models` first", ExitCode.NOT_FOUND
        ) from None
    except CompanyError as error:
        raise CommandError(f"{error.message} — {error.fix}", error.exit_code) from None
    filters = ["company_id = ?"]
    parameters: list[Any] = [company]
    if year is not None:
        filters.append("year(financial_year_start) = ?")
        parameters.append(year)
    if period is not None:
        filters.append("period = ?")
        parameters.append(period)
    where = " and ".join(filters)
    latest_voucher = connection.execute(
        f"select max(voucher_date) from {schema}.fct_gl_transactions where company_id = ?",
        [company],
    ).fetchone()
    data_date = latest_voucher[0] if latest_voucher else None
    chosen = connection.execute(
        f"select financial_year_start, period from {table} where {where}"
        " order by (period_start <= coalesce(?::date, period_start)) desc,"
        " financial_year_start desc, period_end desc limit 1",
        [*parameters, data_date],
    ).fetchone()
    if chosen is None:
        raise CommandError(
            f"no {model} rows for company {company!r}"
            + (f", year {year}" if year is not None else "")
            + (f", period {period}" if period is not None else ""),
            ExitCode.NOT_FOUND,
        )
    return connection.execute(
        f"select * from {table} where company_id = ? and financial_year_start = ?"
        " and period = ? order by sort_order",
        [company, chosen[0], chosen[1]],
    ).pl()


def _write_outputs(rows: pl.DataFrame, csv: Path | None, parquet: Path | None) -> None:
    if csv is not None:
        rows.write_csv(csv)
        typer.echo(f"Wrote {rows.height} rows to {csv}", err=True)
    if parquet is not None:
        rows.write_parquet(parquet)
        typer.echo(f"Wrote {rows.height} rows to {parquet}", err=True)


YearOption = Annotated[
    int | None,
    typer.Option("--year", help="Financial year by the year it starts in; default: the latest."),
]
PeriodOption = Annotated[
    str | None,
    typer.Option(
        "--period",
        help="Month YYYY-MM; default: the month of the company's latest booked voucher.",
    ),
]
CsvOption = Annotated[Path | None, typer.Option("--csv", help="Also write the rows as CSV.")]
ParquetOption = Annotated[
    Path | None, typer.Option("--parquet", help="Also write the rows as Parquet.")
]


def statement_document(model: str, rows: pl.DataFrame) -> dict[str, Any]:
    """The JSON of one statement: which company and period, the sign rule, and its rows.

    Income statement: `period_amount` is the month, `year_to_date_amount` the year through it,
    `comparative_amount` the previous year's year to date through the same month (income
    positive, costs negative). Balance sheet: `period_amount` is the month's change,
    `year_to_date_amount` the balance at the period end, `comparative_amount` the balance a year
    earlier (assets positive, equity and liabilities positive).
    """
    first = rows.row(0, named=True)
    is_income = model == "fct_income_statement"
    statement_rows = []
    for row in rows.iter_rows(named=True):
        comparative = (
            row["comparative_year_to_date_amount"] if is_income else row["comparative_amount"]
        )
        statement_rows.append(
            {
                "line_code": row["line_code"],
                "line_name": row["line_name"],
                "row_type": row["row_type"],
                "section": row["section"],
                "period_amount": row["period_amount"],
                "year_to_date_amount": row["year_to_date_amount"],
                "comparative_amount": comparative,
                "is_final": row["is_final"],
            }
        )
    return {
        "statement": "income_statement" if is_income else "balance_sheet",
        "company_id": first["company_id"],
        "financial_year": first["financial_year"],
        "financial_year_start": first["financial_year_start"],
        "financial_year_end": first["financial_year_end"],
        "period": first["period"],
        "period_start": first["period_start"],
        "period_end": first["period_end"],
        "comparative_period": first["comparative_period"],
        "signs": (
            "income positive, costs negative (Resultatrapport)"
            if is_income
            else "assets positive, equity and liabilities positive (Balansrapport)"
        ),
        "rows": statement_rows,
    }


def _statement_title(name: str, rows: pl.DataFrame, when: str, status: str) -> str:
    first = rows.row(0, named=True)
    return (
        f"{name} {first['company_id']}{when} (financial year {first['financial_year']}), {status}"
    )


def _label(row: dict[str, Any]) -> str:
    if row["row_type"] in ("subtotal", "total"):
        return f"[bold]{row['line_name']}[/bold]"
    if row["row_type"] == "excluded":
        return f"[dim]{row['line_name']}[/dim]"
    return f"  {row['line_name']}"


def _income_statement_table(rows: pl.DataFrame, status: str) -> Table:
    """The period, the year to date and the previous year's year to date per row."""
    title = _statement_title("Income statement", rows, f", {rows['period'][0]}", status)
    columns = {
        "period": "period_amount",
        "year to date": "year_to_date_amount",
        "previous year to date": "comparative_year_to_date_amount",
    }
    return _amounts_table(rows, title, columns)


def _balance_sheet_table(rows: pl.DataFrame, status: str) -> Table:
    """Year opening, the period end and a year earlier per row (assets and claims positive)."""
    title = _statement_title("Balance sheet", rows, f" at {rows['period_end'][0]}", status)
    columns = {
        "year opening": "opening_amount",
        "period end": "year_to_date_amount",
        "a year earlier": "comparative_amount",
    }
    return _amounts_table(rows, title, columns)


def _amounts_table(rows: pl.DataFrame, title: str, columns: dict[str, str]) -> Table:
    """A statement's rows as a table: the line's label, then one amount column per heading."""
    table = Table(title=title)
    table.add_column("line")
    for heading in columns:
        table.add_column(heading, justify="right")
    for row in rows.iter_rows(named=True):
        table.add_row(_label(row), *(_text(row[field]) for field in columns.values()))
    return table


StatementTable = Callable[[pl.DataFrame, str], Table]


def _statement_command(model: str, render: StatementTable) -> Callable[..., None]:
    """A `report` command for one statement model: the statements differ only in their table.

    Args:
        model: The statement's mart (`fct_income_statement`, `fct_balance_sheet`).
        render: Builds the printed table from the chosen period's rows and their status
            (`final` when the period is inside the locked period, else `provisional`).

    Returns:
        The command function, for `report_app.command`.
    """

    def command(
        duckdb: DuckdbOption = DEFAULT_WAREHOUSE,
        dataset: DatasetOption = DEFAULT_DATASET,
        models_schema: SchemaOption = DEFAULT_MODELS_SCHEMA,
        company: CompanyOption = None,
        year: YearOption = None,
        period: PeriodOption = None,
        csv: CsvOption = None,
        parquet: ParquetOption = None,
        output: OutputOption = None,
    ) -> None:
        try:
            with _open(duckdb, read_only=True) as connection:
                rows = _statement_rows(
                    connection,
                    model,
                    dataset=dataset,
                    models_schema=models_schema,
                    company=company,
                    year=year,
                    period=period,
                )
        except CommandError as error:
            raise fail(str(error), error.exit_code) from None
        status = "final" if rows.row(0, named=True)["is_final"] else "provisional"
        emit(
            statement_document(model, rows),
            output,
            lambda: _console().print(render(rows, status)),
        )
        _write_outputs(rows, csv, parquet)

    return command


report_app.command(
    "income-statement",
    help="Income statement (ÅRL/K2 by BAS group): the month, the year to date, the previous year.",
)(_statement_command("fct_income_statement", _income_statement_table))
report_app.command(
    "balance-sheet",
    help="Balance sheet (ÅRL/K2 by BAS group) at a period end, with a year earlier.",
)(_statement_command("fct_balance_sheet", _balance_sheet_table))


@report_app.command("close")
def close_report(
    duckdb: DuckdbOption = DEFAULT_WAREHOUSE,
    dataset: DatasetOption = DEFAULT_DATASET,
    models_schema: SchemaOption = DEFAULT_MODELS_SCHEMA,
    company: CompanyOption = None,
    period: Annotated[
        str | None,
        typer.Option(
            "--period", help="Month YYYY-MM; default: the month of the latest booked voucher."
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="The HTML file to write (self-contained).")
    ] = Path("close.html"),
) -> None:
    """Month-end close report: statements, AR/AP reconciliation and aging charts, one HTML page."""
    from pipelines.close_report import CloseReportError, gather, render_html

    if period is not None and not _is_month(period):
        raise fail(f"--period must be a month YYYY-MM, not {period!r}", ExitCode.USAGE)
    try:
        with _open(duckdb, read_only=True) as connection:
            report = gather(
                connection,
                company=company,
                period=period,
                models_schema=models_schema,
                dataset=dataset,
            )
            page = render_html(report)
    except CommandError as error:
        raise fail(str(error), error.exit_code) from None
    except CompanyError as error:
        raise fail(error.message, error.exit_code, error.fix) from None
    except CloseReportError as error:
        raise fail(str(error), ExitCode.NOT_FOUND, "run `fortnox-pipeline models` first") from None
    out.write_text(page, encoding="utf-8")
    typer.echo(
        f"Wrote the close report of {report.company_id} for {report.period} to {out}"
        f" ({'final' if report.is_final else 'provisional'})"
    )


def _is_month(value: str) -> bool:
    try:
        date.fromisoformat(f"{value}-01")
    except ValueError:
        return False
    return len(value) == 7


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app."""
    app.command("models")(models)
    app.command("reconcile")(reconcile)
    app.add_typer(report_app, name="report")
