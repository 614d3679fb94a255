"""`fortnox-pipeline sie load | check`: SIE files from any program into the warehouse, or audited.

Exit status: 0 when every file is structurally sound (bookkeeping findings are reported, not
fatal); `BAD_INPUT` when a file is not a readable SIE file, with the file and line named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from pipelines.cli.output import OutputOption, emit, print_error
from pipelines.exit_codes import ExitCode
from sources.fortnox import settings

sie_app = typer.Typer(help="Load or check SIE 1-4 files.", no_args_is_help=True)

FilesArgument = Annotated[
    list[Path],
    typer.Argument(exists=True, dir_okay=False, readable=True, help="SIE files (.se, .si)."),
]


@sie_app.command("load")
def load_command(
    files: FilesArgument,
    duckdb: Annotated[Path, typer.Option("--duckdb", help="DuckDB database file.")] = Path(
        "fortnox.duckdb"
    ),
    dataset: Annotated[
        str, typer.Option("--dataset", help="Dataset (schema) name.")
    ] = settings.DEFAULT_DATASET,
    archive: Annotated[
        Path | None,
        typer.Option("--archive", help="Archive folder for the raw files (content-addressed)."),
    ] = None,
) -> None:
    """Load SIE files into DuckDB; loading a file again replaces it, never duplicates it."""
    from sources.sie.load import load_sie_files
    from sources.sie.reader import SieError

    console = Console()
    try:
        summary = load_sie_files(files, duckdb_path=duckdb, dataset=dataset, archive_dir=archive)
    except SieError as error:
        Console(stderr=True).print(f"[red]not loaded:[/red] {error}", highlight=False)
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    table = Table(title=f"SIE files loaded into {duckdb} ({dataset})")
    for column in (
        "file",
        "company",
        "vouchers",
        "TRANS",
        "RTRANS",
        "BTRANS",
        "KSUMMA",
        "findings",
    ):
        table.add_column(column, justify="left" if column in ("file", "company") else "right")
    for entry in summary.files:
        table.add_row(
            entry.file_name,
            entry.company_id,
            str(entry.voucher_count),
            str(entry.trans_rows),
            str(entry.rtrans_rows),
            str(entry.btrans_rows),
            entry.checksum_status,
            str(entry.findings),
        )
    console.print(table)
    console.print(
        f"parsed in {summary.parse_seconds:.2f} s, loaded in {summary.load_seconds:.2f} s",
        highlight=False,
    )


@sie_app.command("check")
def check_command(files: FilesArgument, output: OutputOption = None) -> None:
    """Print each file's findings (unbalanced vouchers, accounts that do not reconcile)."""
    from sources.sie.reader import SieError, SieFile, read_sie

    checked: list[tuple[str, SieFile]] = []
    broken: list[dict[str, str]] = []
    for path in files:
        try:
            checked.append((path.name, read_sie(path.read_bytes(), path.name)))
        except SieError as error:
            print_error(str(error), "the file is not loadable as it is; nothing of it was loaded")
            broken.append({"file": path.name, "error": str(error)})
    document = {
        "files": [
            {
                "file": name,
                "encoding": sie_file.detected_encoding,
                "vouchers": sie_file.voucher_count,
                "trans_rows": sie_file.trans_rows,
                "rtrans_rows": sie_file.rtrans_rows,
                "btrans_rows": sie_file.btrans_rows,
                "checksum_status": sie_file.checksum_status,
                "findings": [
                    {
                        "check": finding.check,
                        "subject": finding.subject,
                        "expected": finding.expected,
                        "actual": finding.actual,
                        "severity": finding.severity,
                        "message": finding.message,
                    }
                    for finding in sie_file.findings
                ],
            }
            for name, sie_file in checked
        ],
        "broken": broken,
    }
    emit(document, output, lambda: _print_checks(checked))
    if broken:
        raise typer.Exit(ExitCode.BAD_INPUT)


def _print_checks(checked: list[tuple[str, Any]]) -> None:
    """`sie check` as tables: a line per file, then its findings."""
    console = Console()
    for name, sie_file in checked:
        console.print(
            f"[bold]{name}[/bold]: {sie_file.detected_encoding}, "
            f"{sie_file.voucher_count} vouchers, {sie_file.trans_rows} #TRANS, "
            f"{sie_file.rtrans_rows} #RTRANS, {sie_file.btrans_rows} #BTRANS, "
            f"KSUMMA {sie_file.checksum_status}",
            highlight=False,
        )
        if not sie_file.findings:
            console.print("  no findings: every check holds")
            continue
        table = Table(show_lines=False)
        for column in ("check", "subject", "expected", "actual", "severity", "message"):
            table.add_column(
                column, justify="right" if column in ("expected", "actual") else "left"
            )
        for finding in sie_file.findings:
            table.add_row(
                finding.check,
                finding.subject,
                "" if finding.expected is None else str(finding.expected),
                "" if finding.actual is None else str(finding.actual),
                finding.severity,
                finding.message,
            )
        console.print(table)


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app."""
    app.add_typer(sie_app, name="sie")
