"""Load parsed SIE files into a warehouse through dlt: one merge resource per SIE table.

Each resource yields Arrow tables (never per-row dicts) with write disposition merge and the
delete-insert strategy on a merge key, so loading a file again replaces its rows instead of
adding to them. Files are parsed completely before the pipeline starts: a structurally broken
file raises `SieError` and the warehouse is not touched.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.destinations.impl.duckdb.sql_client import DuckDbSqlClient
from dlt.extract import DltResource

from sources.fortnox import settings
from sources.sie.archive import archive_sie_file
from sources.sie.reader import SieFile, normalise_org_number, read_sie
from sources.sie.tables import ROW_KEYS, TABLE_NAMES

PIPELINE_NAME = "fortnox_sie"
TOMBSTONE = "_sie_tombstone"
_ALL_ROW_KEY_COLUMNS = {column for key in ROW_KEYS.values() if key for column in key}


@dataclass(frozen=True)
class FileSummary:
    """What one file contributed to a load."""

    file_name: str
    file_sha256: str
    company_id: str
    voucher_count: int
    trans_rows: int
    rtrans_rows: int
    btrans_rows: int
    checksum_status: str
    findings: int
    archived_path: Path | None = None


@dataclass(frozen=True)
class LoadSummary:
    """The result of `load_sie_files`: per-file counts, rows per table and timings."""

    files: list[FileSummary]
    table_rows: dict[str, int]
    parse_seconds: float
    load_seconds: float
    load_ids: list[str] = field(default_factory=list)


def sie_resources(
    files: Iterable[SieFile],
    *,
    extra_columns: Mapping[str, Any] | None = None,
    merge_key: Sequence[str] = ("file_sha256",),
) -> list[DltResource]:
    """One dlt resource per SIE table, yielding each file's rows as Arrow tables.

    Each file's rows are preceded, in every table, by a one-row tombstone carrying only the
    merge-key values and `_sie_tombstone = true` (a dlt `hard_delete` column): it makes
    delete-insert remove the unit's old rows even from tables where the new file has none
    (a year whose findings were fixed), and is itself never inserted.

    Args:
        files: parsed files; a file repeated (same sha256) is loaded once.
        extra_columns: constant columns added to (or replacing) every table's columns, e.g.
            `{"company_id": "556677-8899", "financial_year_id": 9}` from the Fortnox source.
        merge_key: the columns whose values identify what a load replaces; the default
            replaces a file as a unit, `("company_id", "financial_year_id")` a Fortnox year.
            Every key column must be `file_sha256`, `company_id` or one of `extra_columns`.

    Returns:
        Resources named after the tables in `sie_tables.TABLE_NAMES`.
    """
    unique: dict[str, SieFile] = {}
    for sie_file in files:
        unique.setdefault(sie_file.file_sha256, sie_file)
    extras = dict(extra_columns or {})
    unknown_keys = set(merge_key) - {"file_sha256", "company_id"} - set(extras)
    if unknown_keys:
        raise ValueError(f"merge_key columns {sorted(unknown_keys)} are not in extra_columns")
    tables_per_file = [
        (sie_file.tables(), {key: _key_value(sie_file, key, extras) for key in merge_key})
        for sie_file in unique.values()
    ]

    def table_batches(table_name: str) -> Iterator[pa.Table]:
        for tables, key_values in tables_per_file:
            table = _with_extra_columns(tables[table_name], extras)
            if table_name != "sie_files":  # one row per file, always: it replaces itself
                file_sha256 = tables["sie_files"]["file_sha256"][0].as_py()
                yield _tombstone(table, {"file_sha256": file_sha256, **key_values})
            for batch in table.to_batches():
                if batch.num_rows:
                    rows = pa.Table.from_batches([batch])
                    yield rows.append_column(TOMBSTONE, pa.repeat(pa.scalar(False), rows.num_rows))

    return [
        dlt.resource(
            table_batches(table_name),
            name=table_name,
            write_disposition={"disposition": "merge", "strategy": "delete-insert"},
            merge_key=list(merge_key),
            # A primary key makes delete-insert drop a load job dlt repeats after a crash
            # (loads are at-least-once); sie_findings has no row key and is left without.
            primary_key=_primary_key(table_name, merge_key),
            columns={TOMBSTONE: {"data_type": "bool", "hard_delete": True}},
        )
        for table_name in TABLE_NAMES
    ]


def load_sie_files(
    paths: Sequence[Path],
    *,
    duckdb_path: Path,
    dataset: str = settings.DEFAULT_DATASET,
    archive_dir: Path | None = None,
) -> LoadSummary:
    """Parse SIE files, archive them, and load them into DuckDB as one dlt run.

    Every file is parsed before anything is written, so one broken file leaves the warehouse
    and the archive exactly as they were.

    Args:
        paths: SIE files to load.
        duckdb_path: the DuckDB database file (created when missing).
        dataset: the schema (dlt dataset) the tables go to.
        archive_dir: when given, each raw file is stored there content-addressed first.

    Returns:
        Per-file and per-table counts and the parse and load times.

    Raises:
        SieError: a file is structurally broken (message names the file and line).
    """
    started = time.perf_counter()
    parsed = [(path, path.read_bytes()) for path in paths]
    sie_files = [read_sie(data, path.name) for path, data in parsed]
    parse_seconds = time.perf_counter() - started

    archived: dict[str, Path] = {}
    if archive_dir is not None:
        for (path, data), sie_file in zip(parsed, sie_files, strict=True):
            year = sie_file.year_start.year if sie_file.year_start else None
            entry = archive_sie_file(
                data,
                archive_dir=archive_dir,
                org_number=normalise_org_number(sie_file.org_number),
                year=year,
                source=f"file:{path.resolve()}",
                file_name=path.name,
            )
            archived[sie_file.file_sha256] = entry.path

    started = time.perf_counter()
    duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="fortnox-sie-dlt-") as pipelines_dir,
        duckdb_catalog_qualified(duckdb_path, dataset),
    ):
        pipeline = dlt.pipeline(
            pipeline_name=PIPELINE_NAME,
            pipelines_dir=pipelines_dir,
            destination=dlt.destinations.duckdb(
                # Row order in a table means nothing (line_no keeps file order): not preserving
                # it lets DuckDB insert the million-row tables with less work.
                DuckDbCredentials(
                    str(duckdb_path), global_config={"preserve_insertion_order": False}
                )
            ),
            dataset_name=dataset,
        )
        info = pipeline.run(sie_resources(sie_files))

    load_seconds = time.perf_counter() - started

    summaries = [
        FileSummary(
            file_name=f.file_name,
            file_sha256=f.file_sha256,
            company_id=f.company_id,
            voucher_count=f.voucher_count,
            trans_rows=f.trans_rows,
            rtrans_rows=f.rtrans_rows,
            btrans_rows=f.btrans_rows,
            checksum_status=f.checksum_status,
            findings=len(f.findings),
            archived_path=archived.get(f.file_sha256),
        )
        for f in sie_files
    ]
    unique_files = {f.file_sha256: f for f in sie_files}.values()
    table_rows = dict.fromkeys(TABLE_NAMES, 0)
    for sie_file in unique_files:
        for name, count in sie_file.row_counts().items():
            table_rows[name] += count
    return LoadSummary(
        files=summaries,
        table_rows=table_rows,
        parse_seconds=parse_seconds,
        load_seconds=load_seconds,
        load_ids=list(info.loads_ids),
    )


@contextlib.contextmanager
def duckdb_catalog_qualified(duckdb_path: Path, dataset: str) -> Iterator[None]:
    """Let dlt load dataset `fortnox` into `fortnox.duckdb`, the project's default pair.

    DuckDB names a database file's catalog after its stem, so in `fortnox.duckdb` the name
    `fortnox.sie_files` is ambiguous (catalog `fortnox`, or schema `fortnox`) and dlt 1.31,
    which qualifies tables with the schema only, fails with a Binder Error. While this context
    is open and only when the stem equals the dataset, dlt's DuckDB client also names the
    catalog, which makes every statement unambiguous. Other pairs are left untouched.
    """
    if duckdb_path.stem.casefold() != dataset.casefold():
        yield
        return
    catalog = duckdb_path.stem
    original = DuckDbSqlClient.catalog_name

    def catalog_name(self: Any, quote: bool = True, casefold: bool = True) -> str | None:
        return self.capabilities.escape_identifier(catalog) if quote else catalog

    DuckDbSqlClient.catalog_name = catalog_name  # type: ignore[method-assign]
    try:
        yield
    finally:
        DuckDbSqlClient.catalog_name = original  # type: ignore[method-assign]


def _primary_key(table_name: str, merge_key: Sequence[str]) -> list[str]:
    row_key = ROW_KEYS[table_name]
    return [] if row_key is None else [*merge_key, *row_key]


def _key_value(sie_file: SieFile, key: str, extras: Mapping[str, Any]) -> Any:
    if key in extras:
        return extras[key]
    return sie_file.file_sha256 if key == "file_sha256" else sie_file.company_id


def _tombstone(table: pa.Table, key_values: Mapping[str, Any]) -> pa.Table:
    """One row with the unit's merge-key values (and file_sha256), everything else null.

    Row-key columns, which a primary key makes NOT NULL, get a value no real row has
    (-1 for numbers, an empty string for text).
    """
    row = {column.name: key_values.get(column.name) for column in table.schema}
    for column in table.schema:
        if row[column.name] is None and column.name in _ALL_ROW_KEY_COLUMNS:
            row[column.name] = -1 if pa.types.is_integer(column.type) else ""
    row[TOMBSTONE] = True
    schema = table.schema.append(pa.field(TOMBSTONE, pa.bool_()))
    return pa.Table.from_pylist([row], schema=schema)


def _with_extra_columns(table: pa.Table, extras: Mapping[str, Any]) -> pa.Table:
    for name, value in extras.items():
        column = pa.repeat(pa.scalar(value), table.num_rows)
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, column)
        else:
            table = table.append_column(name, column)
    return table
