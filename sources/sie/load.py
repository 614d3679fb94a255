"""SIE files as a dlt source: one merge resource per SIE table, for any dlt destination.

Each resource yields Arrow tables (never per-row dicts) with write disposition merge and the
delete-insert strategy on a merge key, so loading a file again replaces its rows instead of
adding to them. `sie load` into DuckDB writes through `load_files.py` instead (one transaction
per file; see `warehouse.py` for why).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
from dlt.destinations.impl.duckdb.sql_client import DuckDbSqlClient
from dlt.extract import DltResource

from sources.sie.reader import SieFile, read_sie
from sources.sie.tables import ROW_KEYS, TABLE_NAMES

PIPELINE_NAME = "fortnox_sie"
TOMBSTONE = "_sie_tombstone"
_ALL_ROW_KEY_COLUMNS = {column for key in ROW_KEYS.values() if key for column in key}


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


@dlt.source(name="sie_files")
def sie_files_source(paths: Sequence[Path]) -> list[DltResource]:
    """SIE files as a dlt source, for any dlt destination: one merge resource per SIE table.

    Each file replaces itself (merge key `file_sha256`). A structurally broken file raises
    `SieError` while the source is built, before anything is extracted. `sie load` into DuckDB
    uses `sources.sie.load_files` instead, which writes each file in one transaction.
    """
    return sie_resources(read_sie(path.read_bytes(), path.name) for path in paths)


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
