"""`fortnox-pipeline sie export`: the exact SIE file a company-year's rows came from.

Exit status: 0 when every asked-for file was verified and written; `NOT_FOUND` when the
warehouse or the archive does not have it; `DATA_CHECK_FAILED` when the archived bytes no longer
hash to the sha256 the warehouse recorded (nothing is written then).
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pipelines.archive_settings import ArchiveOption, configured_archive_dir
from pipelines.cli.output import OutputOption, UserError, emit, print_error, stdout, user_errors
from pipelines.companies import CompanyError, resolve_company
from pipelines.exit_codes import ExitCode
from pipelines.sie_export import (
    ExportedFile,
    ExportError,
    LoadedSieFile,
    archive_candidates,
    default_file_name,
    export_file,
    loaded_sie_files,
    select_file,
    write_exact,
)
from pipelines.sie_write import books_from_warehouse
from pipelines.warehouse import WarehouseNotFoundError, open_warehouse
from sources.fortnox import settings

DuckdbOption = Annotated[Path, typer.Option("--duckdb", help="DuckDB warehouse file.")]
DatasetOption = Annotated[
    str, typer.Option("--dataset", help="Dataset (schema) of the raw tables.")
]


def _loaded_files(
    duckdb: Path, dataset: str, company: str | None
) -> tuple[list[LoadedSieFile], tuple[str, ...]]:
    """The warehouse's SIE files, and the ids of the company `--company` names (if given)."""
    try:
        connection = open_warehouse(duckdb, read_only=True)
    except WarehouseNotFoundError as error:
        raise UserError(
            str(error), ExitCode.NOT_FOUND, "run `fortnox-pipeline run` first"
        ) from None
    try:
        company_ids = resolve_company(connection, dataset, company).company_ids if company else ()
        return loaded_sie_files(connection, dataset), company_ids
    except CompanyError as error:
        raise UserError(error.message, error.exit_code, error.fix) from None
    finally:
        connection.close()


def _as_user_error(error: ExportError) -> UserError:
    return UserError(error.message, error.exit_code, error.fix)


def export_command(
    company: Annotated[
        str | None,
        typer.Option("--company", help="Org number (any writing) or Fortnox DatabaseNumber."),
    ] = None,
    year: Annotated[
        int | None, typer.Option("--year", help="Financial year, by its start year.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="File to write (a folder with --all); default <company>_<year>.se here."
        ),
    ] = None,
    all_years: Annotated[
        bool, typer.Option("--all", help="Every company and year in the warehouse.")
    ] = False,
    sha256: Annotated[
        str | None,
        typer.Option("--sha256", help="Which file, when several of the year are loaded."),
    ] = None,
    duckdb: DuckdbOption = Path("fortnox.duckdb"),
    dataset: DatasetOption = settings.DEFAULT_DATASET,
    archive: ArchiveOption = None,
    output: OutputOption = None,
) -> None:
    """Write the exact bytes of the SIE export a company-year's rows came from, verified.

    The archived file's sha256 is checked against the one the warehouse recorded before a
    byte is written; the run that fetched it, and when, is printed with it.
    """
    with user_errors():
        if all_years == (company is not None or year is not None):
            raise UserError(
                "give --company and --year, or --all", ExitCode.BAD_INPUT, "see sie export --help"
            )
        if not all_years and (company is None or year is None):
            raise UserError("give both --company and --year", ExitCode.BAD_INPUT)
        files, company_ids = _loaded_files(duckdb, dataset, company)
        default_archive = configured_archive_dir(duckdb)
        if all_years:
            chosen = [f for f in files if f.chosen]
            if not chosen:
                raise UserError(f"no SIE files in {duckdb}", ExitCode.NOT_FOUND)
            folder = out or Path()
            targets = [(f, folder / default_file_name(f)) for f in chosen]
        else:
            assert company is not None and year is not None
            try:
                source = select_file(files, company_ids=company_ids, year=year, sha256=sha256)
            except ExportError as error:
                raise _as_user_error(error) from None
            targets = [(source, out or Path(default_file_name(source)))]
        exported: list[ExportedFile] = []
        failures: list[ExportError] = []
        for source, target in targets:
            try:
                exported.append(
                    export_file(
                        source, target, archive_candidates(source, archive, default_archive)
                    )
                )
            except ExportError as error:
                if not all_years:
                    raise _as_user_error(error) from None
                print_error(error.message, error.fix)
                failures.append(error)

        def render() -> None:
            table = Table(title="SIE exports written (sha256 verified against the warehouse)")
            for column in ("company", "year", "file", "bytes", "sha256", "fetched by run", "at"):
                table.add_column(column)
            for entry in exported:
                table.add_row(
                    entry.source.company_id,
                    str(entry.source.year),
                    str(entry.out_path),
                    f"{entry.size_bytes:,}",
                    entry.source.file_sha256,
                    entry.source.run_id or "(no run recorded)",
                    entry.source.run_started_at.isoformat(timespec="seconds")
                    if entry.source.run_started_at
                    else "",
                )
            stdout.print(table)

        emit([entry.as_json() for entry in exported], output, render)
        if failures:
            raise typer.Exit(int(max(failure.exit_code for failure in failures)))


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(
            f"{option} {value} is not a date", ExitCode.BAD_INPUT, "use YYYY-MM-DD"
        ) from None


def write_command(
    company: Annotated[
        str, typer.Option("--company", help="Org number (any writing) or Fortnox DatabaseNumber.")
    ],
    first_day: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    last_day: Annotated[str, typer.Option("--to", help="Last day (YYYY-MM-DD).")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="File to write; default <company>_<from>_<to>.se here."),
    ] = None,
    duckdb: DuckdbOption = Path("fortnox.duckdb"),
    dataset: DatasetOption = settings.DEFAULT_DATASET,
    output: OutputOption = None,
) -> None:
    """Generate a SIE 4 (4E) file from the warehouse for a company and period.

    Works for any source (Fortnox API, other programs' files). A whole financial year gives
    every balance record of its file; a part of a year gives #IB/#UB as of the period's days
    and #RES/#PSALDO of its movements. The period must lie inside one financial year.
    """
    from sources.sie.writer import write_sie4

    with user_errors():
        start, end = _day(first_day, "--from"), _day(last_day, "--to")
        try:
            connection = open_warehouse(duckdb, read_only=True)
        except WarehouseNotFoundError as error:
            raise UserError(str(error), ExitCode.NOT_FOUND) from None
        try:
            company_ids = resolve_company(connection, dataset, company).company_ids
            found = books_from_warehouse(
                connection, dataset, company_ids=company_ids, first_day=start, last_day=end
            )
        except ExportError as error:
            raise _as_user_error(error) from None
        except CompanyError as error:
            raise UserError(error.message, error.exit_code, error.fix) from None
        finally:
            connection.close()
        result = write_sie4(found.books, generated_on=date.today(), program_version=_version())
        safe = default_file_name(found.source).removesuffix(f"_{found.source.year}.se")
        target = out or Path(f"{safe}_{start:%Y%m%d}_{end:%Y%m%d}.se")
        try:
            write_exact(target, result.data)
        except ExportError as error:
            raise _as_user_error(error) from None
        document = {
            "company_id": found.source.company_id,
            "from": start,
            "to": end,
            "out": target,
            "sha256": hashlib.sha256(result.data).hexdigest(),
            "size_bytes": len(result.data),
            "vouchers": result.vouchers,
            "rows": result.rows,
            "source_sha256": found.source.file_sha256,
            "notes": result.notes,
        }

        def render() -> None:
            stdout.print(
                f"wrote {target}: SIE 4E, {result.vouchers} vouchers, {result.rows} rows,"
                f" {len(result.data):,} bytes, sha256 {document['sha256']}"
                f" (from the rows of file {found.source.file_sha256})"
            )
            for note in result.notes:
                stdout.print(f"note: {note}")

        emit(document, output, render)


def _version() -> str:
    from importlib.metadata import version

    return version("fortnox-pipeline")


def register(app: typer.Typer) -> None:
    """Attach `sie export` and `sie write` to the `sie` command group."""
    from pipelines.cli.sie import sie_app

    sie_app.command("export")(export_command)
    sie_app.command("write")(write_command)
