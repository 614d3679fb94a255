"""The audit pack: what an auditor asks for at year end, in one folder or zip, reproducibly.

For one company and financial year: the original SIE export(s), verified against the sha256
the warehouse recorded; a SIE 4 file generated from the warehouse; the general ledger and trial
balance; the AR/AP reconciliations and aging at year end; the SIE findings; the vouchers of
receipt-bearing series that have no attachment; the load history; and a `MANIFEST` naming every
file with its sha256 and what it is.

Same warehouse, same pack: rows are written in a fixed order, the generated SIE file's #GEN is
the source export's date, Parquet files carry no write time and zip entries a fixed one. The
manifest's `created:` line is the only thing that says when the pack was made.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines.companies import CompanyError, resolve_company
from pipelines.exit_codes import ExitCode
from pipelines.sie_export import (
    ExportError,
    LoadedSieFile,
    archive_candidates,
    loaded_sie_files,
    select_file,
    verified_bytes,
)
from pipelines.sie_write import books_from_warehouse
from pipelines.transform import DEFAULT_MODELS_SCHEMA, query_model
from sources.sie.writer import write_sie4

ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: no time of packing inside
MISSING_RECEIPTS_MODEL = "fct_vouchers_missing_receipt"


@dataclass
class PackFile:
    """One file of the pack: its path inside the pack, its bytes, and what it is."""

    path: str
    data: bytes
    description: str

    @property
    def sha256(self) -> str:
        """The file's SHA-256, as the manifest lists it."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class AuditPack:
    """Every file of a pack, and what could not be included (said in the manifest)."""

    company_id: str
    company_name: str | None
    org_number: str | None
    year_start: date
    year_end: date
    files: list[PackFile] = field(default_factory=list)
    not_included: list[str] = field(default_factory=list)

    def manifest(self, created_at: datetime, generator: str) -> bytes:
        """The `MANIFEST`: what the pack is, then one line per file (sha256, bytes, path, what).

        Only the `created:` line differs between two packs of the same warehouse.
        """
        lines = [
            f"# Audit pack: company {self.company_id} ({self.company_name or 'name unknown'},"
            f" org number {self.org_number or 'unknown'}),"
            f" financial year {self.year_start}..{self.year_end}",
            f"created: {created_at.isoformat(timespec='seconds')}",
            f"generator: {generator}",
            "# sha256  bytes  path  what it is",
        ]
        for entry in sorted(self.files, key=lambda f: f.path):
            lines.append(f"{entry.sha256}  {len(entry.data)}  {entry.path}  {entry.description}")
        for reason in self.not_included:
            lines.append(f"# not included: {reason}")
        return ("\n".join(lines) + "\n").encode("utf-8")


def _csv(frame: pl.DataFrame) -> bytes:
    """CSV with nested values as JSON text (a spreadsheet cannot hold a list)."""
    flat = frame.with_columns(
        pl.col(name).map_elements(
            lambda value: json.dumps(
                value.to_list() if hasattr(value, "to_list") else value,
                default=str,
                ensure_ascii=False,
            ),
            return_dtype=pl.String,
        )
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.List | pl.Struct | pl.Array)
    )
    return flat.write_csv().encode("utf-8")


def _parquet(frame: pl.DataFrame) -> bytes:
    with tempfile.TemporaryDirectory(prefix="audit-pack-") as folder:
        path = Path(folder) / "table.parquet"
        frame.write_parquet(path, compression="zstd", statistics=False)
        return path.read_bytes()


def _tables(pack: AuditPack, stem: str, frame: pl.DataFrame, description: str) -> None:
    pack.files.append(PackFile(f"{stem}.csv", _csv(frame), f"{description} (CSV)"))
    pack.files.append(PackFile(f"{stem}.parquet", _parquet(frame), f"{description} (Parquet)"))


def _select(
    connection: duckdb.DuckDBPyConnection,
    dataset: str,
    table: str,
    where: str,
    parameters: list[object],
    order: str,
) -> pl.DataFrame:
    """Rows of one raw table, dlt's own columns left out (they differ between equal loads)."""
    row = connection.execute("select current_database()").fetchone()
    assert row is not None
    qualified = f'"{row[0]}"."{dataset}"."{table}"'
    columns = [
        name
        for (name,) in connection.execute(
            "select column_name from information_schema.columns where table_catalog = ?"
            " and table_schema = ? and table_name = ? order by ordinal_position",
            [row[0], dataset, table],
        ).fetchall()
        if not name.startswith("_dlt")
    ]
    listed = ", ".join(f'"{name}"' for name in columns)
    return connection.execute(
        f"select {listed} from {qualified} where {where} order by {order}", parameters
    ).pl()


def _model(
    connection: duckdb.DuckDBPyConnection,
    name: str,
    *,
    dataset: str,
    as_of: date,
    keep: Callable[[pl.DataFrame], pl.DataFrame],
) -> pl.DataFrame:
    try:
        frame = query_model(
            connection, name, dataset=dataset, models_schema=DEFAULT_MODELS_SCHEMA, as_of=as_of
        )
    except LookupError as error:
        raise ExportError(
            f"the model {name} is not built in this warehouse ({error})",
            ExitCode.NOT_FOUND,
            "build the models first: fortnox-pipeline models",
        ) from None
    return keep(frame)


def build_pack(
    connection: duckdb.DuckDBPyConnection,
    dataset: str,
    *,
    company: str,
    year: int,
    archive_option: Path | None,
    default_archive: Path | None,
) -> AuditPack:
    """Everything the pack holds, in memory, before a byte is written.

    Raises:
        ExportError: the company-year is not loaded, an original export is missing or altered
            in the archive, or the models are not built.
    """
    try:
        company_ids = resolve_company(connection, dataset, company).company_ids
    except CompanyError as error:
        raise ExportError(error.message, error.exit_code, error.fix) from None
    files = loaded_sie_files(connection, dataset)
    chosen = select_file(files, company_ids=company_ids, year=year)
    assert chosen.year_start is not None and chosen.year_end is not None
    company_id = chosen.company_id
    pack = AuditPack(
        company_id=company_id,
        company_name=None,
        org_number=chosen.org_number,
        year_start=chosen.year_start,
        year_end=chosen.year_end,
    )
    of_year = [f for f in files if f.company_id == company_id and f.year == year]
    for source in sorted(of_year, key=lambda f: (not f.chosen, f.file_sha256)):
        _, data = verified_bytes(
            source, archive_candidates(source, archive_option, default_archive)
        )
        role = "used by the models and reports" if source.chosen else "an earlier export"
        pack.files.append(
            PackFile(
                f"sie/original/{source.file_sha256}.se",
                data,
                f"original SIE export as loaded ({role}; original name {source.file_name},"
                f" fetched by run {source.run_id or 'not recorded'}"
                f"{' at ' + source.run_started_at.isoformat() if source.run_started_at else ''})",
            )
        )
    generated = books_from_warehouse(
        connection,
        dataset,
        company_ids=[company_id],
        first_day=pack.year_start,
        last_day=pack.year_end,
    )
    pack.company_name = generated.books.company_name
    written = write_sie4(
        generated.books,
        generated_on=chosen.generated_on or pack.year_end,
        program_version=_version(),
    )
    notes = f"; notes: {' / '.join(written.notes)}" if written.notes else ""
    pack.files.append(
        PackFile(
            f"sie/generated_{_safe(company_id)}_{year}.se",
            written.data,
            f"SIE 4E generated from the warehouse rows of {chosen.file_sha256}"
            f" (#GEN = that export's date){notes}",
        )
    )
    _ledger_tables(pack, connection, dataset, chosen)
    _history_tables(pack, connection, dataset)
    return pack


def _ledger_tables(
    pack: AuditPack, connection: duckdb.DuckDBPyConnection, dataset: str, chosen: LoadedSieFile
) -> None:
    company_id, start, end = pack.company_id, pack.year_start, pack.year_end
    in_year = (pl.col("company_id") == company_id) & (pl.col("financial_year_start") == start)
    ledger = _model(
        connection,
        "fct_gl_transactions",
        dataset=dataset,
        as_of=end,
        keep=lambda f: f.filter(in_year).sort(
            "voucher_date", "voucher_series", "voucher_number", "row_no", nulls_last=True
        ),
    )
    _tables(pack, "general_ledger", ledger, "general ledger: every booked #TRANS row of the year")
    # Per period: fct_general_ledger_by_period (fct_trial_balance is one row per account and year).
    trial = _model(
        connection,
        "fct_general_ledger_by_period",
        dataset=dataset,
        as_of=end,
        keep=lambda f: f.filter(in_year).sort("period", "account_number"),
    )
    _tables(
        pack,
        "trial_balance",
        trial,
        "trial balance per period and account (opening, movement, closing; SIE signs)",
    )
    for side, label in (("ar", "customer"), ("ap", "supplier")):
        order = [
            "aging_bucket_order",
            "due_date",
            "invoice_number" if side == "ar" else "given_number",
        ]
        try:
            reconciliation = _model(
                connection,
                f"fct_{side}_reconciliation",
                dataset=dataset,
                as_of=end,
                keep=lambda f: f.filter(
                    (pl.col("company_id") == company_id) & (pl.col("reconciliation_date") == end)
                ),
            )
            aging = _model(
                connection,
                f"fct_{side}_aging",
                dataset=dataset,
                as_of=end,
                keep=lambda f: f.filter(pl.col("company_id") == company_id),
            ).sort(order, nulls_last=True)
        except ExportError:
            # A warehouse loaded from SIE files alone has no subledger to reconcile.
            pack.not_included.append(
                f"{label} reconciliation and aging: fct_{side}_reconciliation / fct_{side}_aging"
                " are not built (no Fortnox subledger in this warehouse)"
            )
            continue
        _tables(
            pack,
            f"{side}_reconciliation",
            reconciliation,
            f"{label} subledger against the ledger at {end}",
        )
        _tables(pack, f"{side}_aging", aging, f"open {label} invoices at {end} by days past due")
    judged = _has_rows(connection, dataset, "voucher_file_connections", company_id) or _has_rows(
        connection, dataset, "supplier_invoice_file_connections", company_id
    )
    if not judged:
        pack.not_included.append(
            "vouchers without an attachment: no file connections are loaded for the company"
            " (books from SIE files, or a token without the connectfile scope)"
        )
    else:
        missing = _model(
            connection,
            MISSING_RECEIPTS_MODEL,
            dataset=dataset,
            as_of=end,
            keep=lambda f: f.filter(
                (pl.col("company_id") == company_id) & pl.col("voucher_date").is_between(start, end)
            ).sort("voucher_series", "voucher_number"),
        )
        _tables(
            pack,
            "vouchers_without_attachment",
            missing,
            "vouchers of series that need a receipt (A manual, B supplier invoice) with no file",
        )
    findings = _select(
        connection,
        dataset,
        "sie_findings",
        "company_id = ? and file_sha256 = ?",
        [company_id, chosen.file_sha256],
        "all",
    )
    _tables(pack, "sie_findings", findings, "findings of the SIE checks on the loaded export")


def _history_tables(pack: AuditPack, connection: duckdb.DuckDBPyConnection, dataset: str) -> None:
    history = _select(
        connection, dataset, "load_runs", "company_id = ?", [pack.company_id], "started_at, run_id"
    )
    _tables(pack, "load_history", history, "every recorded load of the company (load_runs)")


def _has_rows(
    connection: duckdb.DuckDBPyConnection, dataset: str, table: str, company_id: str
) -> bool:
    row = connection.execute("select current_database()").fetchone()
    assert row is not None
    try:
        found = connection.execute(
            f'select 1 from "{row[0]}"."{dataset}"."{table}" where company_id = ? limit 1',
            [company_id],
        ).fetchone()
    except duckdb.CatalogException:
        return False  # never loaded
    return found is not None


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)


def _version() -> str:
    from importlib.metadata import version

    return version("fortnox-pipeline")


def write_pack(pack: AuditPack, out: Path, *, created_at: datetime | None = None) -> Path:
    """Write the pack to a folder, or a zip when `out` ends in `.zip`; never over another pack.

    The pack is assembled beside its target and moved into place, so a half-written pack never
    exists under the target's name.

    Raises:
        ExportError: `out` exists (BAD_INPUT): a pack is never mixed with older files.
    """
    if out.exists():
        raise ExportError(
            f"{out} exists", ExitCode.BAD_INPUT, "choose a new --out; a pack is never overwritten"
        )
    moment = created_at or datetime.now(UTC)
    entries = [
        *sorted(pack.files, key=lambda f: f.path),
        PackFile("MANIFEST", pack.manifest(moment, f"fortnox-pipeline {_version()}"), "manifest"),
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.incoming-"))
    try:
        if out.suffix.lower() == ".zip":
            archive = staging / out.name
            with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as handle:
                for entry in entries:
                    info = zipfile.ZipInfo(f"{out.stem}/{entry.path}", date_time=ZIP_TIME)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    handle.writestr(info, entry.data)
            os.replace(archive, out)
        else:
            folder = staging / "pack"
            for entry in entries:
                target = folder / entry.path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(entry.data)
            os.replace(folder, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out
