"""`fortnox-pipeline sie load | check`: SIE files from any program into the warehouse, or audited.

Exit status: 0 when every file is structurally sound (bookkeeping findings are reported, not
fatal); `BAD_INPUT` when a file is not a readable SIE file, with the file and line named (the
other files are still loaded or checked); `WAREHOUSE_BUSY` when another process holds it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from pipelines.archive_settings import ArchiveOption, NoArchiveOption, resolve_archive_dir
from pipelines.cli.output import OutputOption, emit, fail, print_error, stderr, stdout
from pipelines.exit_codes import ExitCode
from pipelines.warehouse import WarehouseBusyError, open_warehouse, working_dir_beside
from pipelines.writer_lock import hold_writer_lock

# `sources.fortnox.settings.DEFAULT_DATASET` (a test keeps them equal): importing that package
# imports the Fortnox dlt source, about a second that `sie load` does not need.
DEFAULT_DATASET = "fortnox_raw"

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
    ] = DEFAULT_DATASET,
    archive: ArchiveOption = None,
    no_archive: NoArchiveOption = False,
    output: OutputOption = None,
) -> None:
    """Load SIE files into DuckDB, each wholly or not at all; a refused file never stops the
    others. Loading a file again replaces it, never duplicates it.

    Each file is archived first (content-addressed, beside the warehouse by default) and the
    load is recorded in `load_runs`, so `sie export` can hand the exact bytes back.
    """
    from pipelines.sie_load_runs import record_sie_load
    from sources.sie.load_files import load_sie_files

    archive_dir = resolve_archive_dir(archive, no_archive=no_archive, duckdb_path=duckdb)
    started_at = datetime.now(UTC)

    # Under the warehouse's writer lock, like `run` and `models`: DuckDB's own lock lasts only
    # while a connection is open, and a run opens and closes the file between its steps, so a
    # load could otherwise slip in between a run's load and its state commit.
    try:
        with hold_writer_lock(working_dir_beside(duckdb), duckdb, command="sie load"):
            connection = open_warehouse(duckdb)
            try:
                summary = load_sie_files(
                    files,
                    connection=connection,
                    duckdb_path=duckdb,
                    dataset=dataset,
                    archive_dir=archive_dir,
                )
                if summary.files:
                    record_sie_load(
                        summary,
                        connection=connection,
                        dataset=dataset,
                        archive_dir=archive_dir,
                        started_at=started_at,
                    )
            finally:
                connection.close()
    except WarehouseBusyError as error:
        raise fail(str(error), ExitCode.WAREHOUSE_BUSY) from None
    if summary.discarded:
        stderr.print(f"note: {summary.discarded}", markup=False)

    def render() -> None:
        from rich.table import Table

        table = Table(title=f"SIE files into {duckdb} ({dataset})")
        columns = ("file", "company", "status", "vouchers", "TRANS", "RTRANS", "BTRANS")
        for column in (*columns, "KSUMMA", "findings"):
            table.add_column(column, justify="left" if column in columns[:3] else "right")
        for entry in summary.files:
            table.add_row(
                entry.file_name,
                entry.company_id,
                entry.status if entry.reason is None else f"{entry.status}: {entry.reason}",
                str(entry.voucher_count),
                str(entry.trans_rows),
                str(entry.rtrans_rows),
                str(entry.btrans_rows),
                entry.checksum_status,
                str(entry.findings),
            )
        for refused in summary.refused:
            table.add_row(refused.file_name, "", "refused", *[""] * 6)
        stdout.print(table)
        stdout.print(
            f"{sum(f.status == 'loaded' for f in summary.files)} loaded, "
            f"{sum(f.status != 'loaded' for f in summary.files)} skipped, "
            f"{len(summary.refused)} refused; read and written in {summary.load_seconds:.2f} s "
            f"(of which parsing {summary.parse_seconds:.2f} s)"
        )

    emit(
        {
            "warehouse": str(duckdb),
            "dataset": dataset,
            "files": [
                {
                    "file": entry.file_name,
                    "file_sha256": entry.file_sha256,
                    "company_id": entry.company_id,
                    "status": entry.status,
                    "reason": entry.reason,
                    "vouchers": entry.voucher_count,
                    "trans_rows": entry.trans_rows,
                    "rtrans_rows": entry.rtrans_rows,
                    "btrans_rows": entry.btrans_rows,
                    "checksum": entry.checksum_status,
                    "findings": entry.findings,
                }
                for entry in summary.files
            ],
            "refused": [{"file": r.file_name, "error": r.error} for r in summary.refused],
            "discarded": summary.discarded,
        },
        output,
        render,
    )
    for refused in summary.refused:
        print_error(f"not loaded: {refused.error}", "fix or re-export the file; the others loaded")
    if summary.refused:
        raise typer.Exit(int(ExitCode.BAD_INPUT))


@sie_app.command("check")
def check_command(files: FilesArgument, output: OutputOption = None) -> None:
    """Print each file's findings (unbalanced vouchers, accounts that do not reconcile, a cut
    last line, checks that could not run), each naming its account, voucher or line."""
    from sources.sie.reader import SieError, SieFile, SieStream

    checked: list[SieFile] = []
    broken: list[str] = []
    for path in files:
        try:
            # Streamed: the vouchers are checked chunk by chunk and not kept.
            stream = SieStream(path, path.name)
            for _ in stream.body():
                pass
            checked.append(stream.finish())
        except SieError as error:
            broken.append(str(error))

    def render() -> None:
        from rich.table import Table

        for sie_file in checked:
            stdout.print(
                f"[bold]{sie_file.file_name}[/bold]: {sie_file.detected_encoding}, "
                f"{sie_file.voucher_count} vouchers, {sie_file.trans_rows} #TRANS, "
                f"{sie_file.rtrans_rows} #RTRANS, {sie_file.btrans_rows} #BTRANS, "
                f"KSUMMA {sie_file.checksum_status}"
            )
            if not sie_file.findings:
                stdout.print("  no findings: every check ran and holds")
                continue
            table = Table(show_lines=False)
            for column in ("check", "subject", "line", "expected", "actual", "severity"):
                numeric = column in ("line", "expected", "actual")
                table.add_column(column, justify="right" if numeric else "left", no_wrap=True)
            table.add_column("message", overflow="fold")
            for finding in sie_file.findings:
                table.add_row(
                    finding.check,
                    finding.subject,
                    "" if finding.line_no is None else str(finding.line_no),
                    "" if finding.expected is None else str(finding.expected),
                    "" if finding.actual is None else str(finding.actual),
                    finding.severity,
                    finding.message,
                )
            stdout.print(table)

    emit(
        {
            "files": [
                {
                    "file": f.file_name,
                    "file_sha256": f.file_sha256,
                    "encoding": f.detected_encoding,
                    "vouchers": f.voucher_count,
                    "trans_rows": f.trans_rows,
                    "checksum": f.checksum_status,
                    "findings": [
                        {
                            "check": x.check,
                            "subject": x.subject,
                            "line": x.line_no,
                            "expected": x.expected,
                            "actual": x.actual,
                            "severity": x.severity,
                            "message": x.message,
                        }
                        for x in f.findings
                    ],
                }
                for f in checked
            ],
            "refused": broken,
        },
        output,
        render,
    )
    for message in broken:
        print_error(f"broken: {message}", "fix or re-export the file")
    if broken:
        raise typer.Exit(int(ExitCode.BAD_INPUT))


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app."""
    app.add_typer(sie_app, name="sie")
