"""SIE files as a dlt source: one merge resource per SIE table, for any dlt destination.

Each resource yields Arrow tables (never per-row dicts) with write disposition merge and the
delete-insert strategy on a merge key, so loading a file again replaces its rows instead of
adding to them. `sie load` into DuckDB writes through `load_files.py` instead (one transaction
per file; see `warehouse.py` for why). The Fortnox source hands each export to
`sie_file_items`, so both define the SIE tables' columns and hints here.

Why `unit_scope`: given a merge key and a primary key, dlt's delete-insert deletes
`WHERE EXISTS (SELECT 1 FROM staging s WHERE <primary key equal> OR <merge key equal>)`, which
DuckDB runs as a nested loop over both tables (over 400 s to replace one open year of a
company with 20,000 vouchers a year). The primary key adds nothing to that delete (it contains
the merge key); it is there so that rows a repeated load job staged twice are inserted once
(dlt loads at least once). A dlt destination scope, `(key columns) IN (SELECT key columns FROM
staging)`, replaces the delete's condition with the merge key's alone (a hash semi-join, 0.02 s)
and leaves the insert's de-duplication by primary key as it is.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.schema.typing import TColumnSchema, TDataType
from dlt.destinations.impl.duckdb.sql_client import DuckDbSqlClient
from dlt.extract import DltResource

from sources.sie.reader import SieFile, read_sie
from sources.sie.tables import ROW_KEYS, TABLE_NAMES

PIPELINE_NAME = "fortnox_sie"
TOMBSTONE = "_sie_tombstone"
_ALL_ROW_KEY_COLUMNS = {column for key in ROW_KEYS.values() if key for column in key}
_DLT_TYPES: dict[type, TDataType] = {bool: "bool", int: "bigint", str: "text"}


def sie_resources(
    files: Iterable[SieFile],
    *,
    extra_columns: Mapping[str, Any] | None = None,
    merge_key: Sequence[str] = ("file_sha256",),
    unit_scope: bool = False,
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
        unit_scope: replace the unit through a dlt destination scope on the merge key instead
            of dlt's merge key (see the module docstring: a hash join instead of a nested loop).
            For SQL destinations (the scope is SQL with a `{staging_table}` placeholder).

    Returns:
        Resources named after the tables in `sie_tables.TABLE_NAMES`.
    """
    unique: dict[str, SieFile] = {}
    for sie_file in files:
        unique.setdefault(sie_file.file_sha256, sie_file)
    extras = dict(extra_columns or {})
    _check_merge_key(merge_key, extras)
    tables_per_file = [
        (sie_file.tables(), {key: _key_value(sie_file, key, extras) for key in merge_key})
        for sie_file in unique.values()
    ]

    def table_batches(table_name: str) -> Iterator[pa.Table]:
        for tables, key_values in tables_per_file:
            yield from _table_batches(tables, table_name, extras, key_values, tombstones=True)

    return [
        dlt.resource(
            table_batches(table_name),
            name=table_name,
            **sie_table_hints(table_name, merge_key, extra_columns=extras, unit_scope=unit_scope),
        )
        for table_name in TABLE_NAMES
    ]


def sie_file_items(
    sie_file: SieFile,
    *,
    extra_columns: Mapping[str, Any] | None = None,
    merge_key: Sequence[str] = ("file_sha256",),
    columns: Mapping[str, TColumnSchema] | None = None,
    tombstones: bool = True,
    unit_scope: bool = False,
) -> Iterator[Any]:
    """Every table of one file as dlt items, each marked with its table's name and hints.

    For one resource that sends each SIE table to its own table (the Fortnox source's `sie`,
    one export per financial year); `sie_resources` is the same with one resource per table.

    Args:
        sie_file: a parsed file.
        extra_columns, merge_key, unit_scope: as in `sie_resources`.
        columns: further column hints of every table (e.g. for a column the caller's own
            map step stamps on the rows).
        tombstones: precede each table's rows with a tombstone (see `sie_resources`). Off
            when the caller removes a replaced unit's rows from tables the new file has none
            in by other means (`run` does after every load), so the warehouse gets no
            `_sie_tombstone` column.
    """
    extras = dict(extra_columns or {})
    _check_merge_key(merge_key, extras)
    key_values = {key: _key_value(sie_file, key, extras) for key in merge_key}
    tables = sie_file.tables()
    for table_name in TABLE_NAMES:
        table_hints = sie_table_hints(
            table_name,
            merge_key,
            extra_columns=extras,
            unit_scope=unit_scope,
            tombstones=tombstones,
        )
        table_hints["columns"] = {**(columns or {}), **table_hints["columns"]}
        hints = dlt.mark.make_hints(table_name=table_name, **table_hints)
        for batch in _table_batches(tables, table_name, extras, key_values, tombstones=tombstones):
            yield dlt.mark.with_hints(batch, hints, create_table_variant=True)


def sie_table_hints(
    table_name: str,
    merge_key: Sequence[str] = ("file_sha256",),
    *,
    extra_columns: Mapping[str, Any] | None = None,
    unit_scope: bool = False,
    tombstones: bool = True,
) -> dict[str, Any]:
    """The dlt hints of one SIE table (keyword arguments of `dlt.resource` and `make_hints`).

    Write disposition merge, delete-insert: the unit (`merge_key`) is replaced as a whole. A
    primary key, the unit plus the table's row key, makes the insert drop rows a load job dlt
    repeated after a crash staged twice (loads are at-least-once); `sie_findings` has no row
    key and is left without. With `unit_scope` the unit's delete is a destination scope and
    no column is a merge key (a warehouse loaded before keeps its merge-key hints in its dlt
    schema; dlt ignores them beside a destination scope, with a warning).
    The unit's columns are NOT NULL, typed after `extra_columns`' values.
    """
    extras = extra_columns or {}
    key_columns: dict[str, TColumnSchema] = {}
    for key in merge_key:
        column: TColumnSchema = {"nullable": False}
        if key in extras and type(extras[key]) in _DLT_TYPES:
            column["data_type"] = _DLT_TYPES[type(extras[key])]
        key_columns[key] = column
    columns: dict[str, TColumnSchema] = dict(key_columns)
    if tombstones:
        columns[TOMBSTONE] = {"data_type": "bool", "hard_delete": True}
    disposition: dict[str, Any] = {"disposition": "merge", "strategy": "delete-insert"}
    if unit_scope:
        disposition["destination_scope"] = unit_scope_sql(merge_key)
    return {
        "write_disposition": disposition,
        "merge_key": [] if unit_scope else list(merge_key),
        "primary_key": _primary_key(table_name, merge_key),
        "columns": columns,
    }


def unit_scope_sql(merge_key: Sequence[str]) -> str:
    """The destination scope that deletes the units the staged rows belong to.

    `(k1, k2) IN (SELECT k1, k2 FROM staging)`: uncorrelated, so DuckDB runs it as a hash
    semi-join (a correlated `EXISTS` would need the destination table's qualified name, which
    is ambiguous in `fortnox.duckdb`'s `fortnox` dataset).
    """
    keys = ", ".join(f'"{key}"' for key in merge_key)
    if len(merge_key) > 1:
        return f"({keys}) IN (SELECT {keys} FROM {{staging_table}})"
    return f"{keys} IN (SELECT {keys} FROM {{staging_table}})"


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

    Threads of one process (companies loaded side by side) may be inside at once, for one
    warehouse: dlt's client is patched by the first to enter and restored by the last to leave.
    """
    if duckdb_path.stem.casefold() != dataset.casefold():
        yield
        return
    catalog = duckdb_path.stem

    def catalog_name(self: Any, quote: bool = True, casefold: bool = True) -> str | None:
        return self.capabilities.escape_identifier(catalog) if quote else catalog

    with _catalog_guard:
        if _catalog_users and _catalog_users[0] != catalog:
            raise RuntimeError(
                f"two warehouses named after their datasets in one process ({_catalog_users[0]}"
                f", {catalog}): load them one after the other"
            )
        if not _catalog_users:
            _catalog_original.append(DuckDbSqlClient.catalog_name)
            DuckDbSqlClient.catalog_name = catalog_name  # type: ignore[method-assign]
        _catalog_users.append(catalog)
    try:
        yield
    finally:
        with _catalog_guard:
            _catalog_users.pop()
            if not _catalog_users:
                DuckDbSqlClient.catalog_name = _catalog_original.pop()  # type: ignore[method-assign]


_catalog_guard = threading.Lock()
_catalog_users: list[str] = []
"""The catalogs of the `duckdb_catalog_qualified` contexts open now (one warehouse at a time)."""
_catalog_original: list[Any] = []


def _check_merge_key(merge_key: Sequence[str], extras: Mapping[str, Any]) -> None:
    unknown_keys = set(merge_key) - {"file_sha256", "company_id"} - set(extras)
    if unknown_keys:
        raise ValueError(f"merge_key columns {sorted(unknown_keys)} are not in extra_columns")


def _table_batches(
    tables: Mapping[str, pa.Table],
    table_name: str,
    extras: Mapping[str, Any],
    key_values: Mapping[str, Any],
    *,
    tombstones: bool,
) -> Iterator[pa.Table]:
    """One table of one file: its tombstone (unless off or `sie_files`), then its batches."""
    table = _with_extra_columns(tables[table_name], extras)
    if tombstones and table_name != "sie_files":  # one row per file, always: replaces itself
        file_sha256 = tables["sie_files"]["file_sha256"][0].as_py()
        yield _tombstone(table, {"file_sha256": file_sha256, **key_values})
    elif not table.num_rows:  # an empty table still creates its warehouse table
        yield table
    for batch in table.to_batches():
        if batch.num_rows:
            rows = pa.Table.from_batches([batch])
            if tombstones:
                rows = rows.append_column(TOMBSTONE, pa.repeat(pa.scalar(False), rows.num_rows))
            yield rows


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
