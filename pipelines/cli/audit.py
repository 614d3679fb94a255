"""`fortnox-pipeline audit-pack`: a company-year's audit material in one folder or zip.

Exit status: 0 when the pack was written; `NOT_FOUND` when the company-year, an original export
or a model is missing; `DATA_CHECK_FAILED` when an archived export no longer matches the sha256
the warehouse recorded (nothing is written then); `BAD_INPUT` when `--out` already exists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipelines.archive_settings import ArchiveOption, configured_archive_dir
from pipelines.cli.output import OutputOption, UserError, emit, stdout, user_errors
from pipelines.exit_codes import ExitCode
from pipelines.warehouse import WarehouseNotFoundError, open_warehouse
from sources.fortnox import settings


def audit_pack(
    company: Annotated[
        str, typer.Option("--company", help="Org number (any writing) or Fortnox DatabaseNumber.")
    ],
    year: Annotated[int, typer.Option("--year", help="Financial year, by its start year.")],
    out: Annotated[Path, typer.Option("--out", help="A new folder, or a file ending in .zip.")],
    duckdb: Annotated[Path, typer.Option("--duckdb", help="DuckDB warehouse file.")] = Path(
        "fortnox.duckdb"
    ),
    dataset: Annotated[
        str, typer.Option("--dataset", help="Dataset (schema) of the raw tables.")
    ] = settings.DEFAULT_DATASET,
    archive: ArchiveOption = None,
    output: OutputOption = None,
) -> None:
    """Pack what an auditor asks for at year end: original and generated SIE, ledger, trial
    balance, AR/AP reconciliation and aging, findings, vouchers without attachment, load
    history, and a MANIFEST with every file's sha256. Same warehouse, same bytes."""
    from pipelines.audit_pack import build_pack, write_pack
    from pipelines.sie_export import ExportError

    with user_errors():
        try:
            connection = open_warehouse(duckdb, read_only=True)
        except WarehouseNotFoundError as error:
            raise UserError(str(error), ExitCode.NOT_FOUND) from None
        try:
            pack = build_pack(
                connection,
                dataset,
                company=company,
                year=year,
                archive_option=archive,
                default_archive=configured_archive_dir(duckdb),
            )
            written = write_pack(pack, out)
        except ExportError as error:
            raise UserError(error.message, error.exit_code, error.fix) from None
        finally:
            connection.close()
        document = {
            "out": written,
            "company_id": pack.company_id,
            "year_start": pack.year_start,
            "year_end": pack.year_end,
            "files": [
                {"path": f.path, "sha256": f.sha256, "bytes": len(f.data), "what": f.description}
                for f in sorted(pack.files, key=lambda f: f.path)
            ],
            "not_included": pack.not_included,
        }

        def render() -> None:
            stdout.print(
                f"wrote {written}: {len(pack.files)} files and a MANIFEST for company"
                f" {pack.company_id}, financial year {pack.year_start}..{pack.year_end}"
            )
            for entry in sorted(pack.files, key=lambda f: f.path):
                stdout.print(f"  {entry.path}  {len(entry.data):,} bytes")
            for reason in pack.not_included:
                stdout.print(f"  not included: {reason}")

        emit(document, output, render)


def register(app: typer.Typer) -> None:
    """Attach `audit-pack` to the main app."""
    app.command("audit-pack")(audit_pack)
