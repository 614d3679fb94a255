"""The `load_runs` table's columns, and appending to it with DuckDB alone (no dlt).

`run` records its runs through dlt (`run_journal.py`); `sie load` writes its one row per company
straight into the open warehouse connection, with the very columns and types dlt gives the table
(its `_dlt_load_id`/`_dlt_id` included), so either may create the table and the other append.
Importing dlt costs about a second of `sie load`'s run time, and a dlt pipeline another second.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

import duckdb

LOAD_RUNS_COLUMNS: dict[str, Any] = {
    "run_id": {"data_type": "text", "nullable": False},
    "profile": {"data_type": "text"},
    "company_id": {"data_type": "text", "nullable": False},
    "started_at": {"data_type": "timestamp", "timezone": True},
    "ended_at": {"data_type": "timestamp", "timezone": True},
    "outcome": {"data_type": "text"},
    "error": {"data_type": "text"},
    "requests": {"data_type": "bigint"},
    "rows": {"data_type": "bigint"},
    "resources": {"data_type": "text"},
    "sie_files": {"data_type": "text"},
    "notes": {"data_type": "text"},
    "skipped": {"data_type": "text"},
    # Whether this run kept the raw SIE files it read, and where (absolute path).
    "archive_enabled": {"data_type": "bool"},
    "archive_dir": {"data_type": "text"},
}
"""The audit trail of runs: one row per run and company, failed, killed and refused runs too."""

_DUCKDB_TYPES = {
    "text": "VARCHAR",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "bigint": "BIGINT",
    "bool": "BOOLEAN",
}
# dlt's own columns: every dlt-made table has them, NOT NULL.
_DLT_COLUMNS = {"_dlt_load_id": "VARCHAR NOT NULL", "_dlt_id": "VARCHAR NOT NULL"}


def load_runs_ddl() -> dict[str, str]:
    """Column name -> DuckDB type with constraint, as dlt 1.31 creates `load_runs`."""
    columns = {
        name: _DUCKDB_TYPES[spec["data_type"]] + ("" if spec.get("nullable", True) else " NOT NULL")
        for name, spec in LOAD_RUNS_COLUMNS.items()
    }
    return {**columns, **_DLT_COLUMNS}


def append_load_runs(
    connection: duckdb.DuckDBPyConnection,
    dataset: str,
    rows: Sequence[dict[str, Any]],
    *,
    replace: bool = False,
) -> None:
    """Append `rows` (new `run_id`s) to `<dataset>.load_runs`, creating the table or adding
    columns a table from an older version lacks, all in one transaction.

    Args:
        replace: the rows' `run_id`s may be there already (a run recorded once as running,
            or a recording repeated): their rows are replaced, as a merge on `run_id` would.
    """
    if not rows:
        return
    [(catalog,)] = connection.execute("SELECT current_database()").fetchall()
    # Catalog-qualified: in `fortnox.duckdb` the name `fortnox.load_runs` alone is ambiguous.
    schema = f'"{catalog}"."{dataset}"'
    table = f'{schema}."load_runs"'
    wanted = load_runs_ddl()
    load_id = f"{time.time():.6f}"  # dlt's load ids are the load's Unix time as text
    existing = _columns(connection, table)
    connection.execute("BEGIN TRANSACTION")
    try:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        if not existing:
            columns = ", ".join(f'"{name}" {kind}' for name, kind in wanted.items())
            connection.execute(f"CREATE TABLE {table} ({columns})")
        else:
            for name, kind in wanted.items():
                if name not in existing:
                    nullable_kind = kind.replace(" NOT NULL", "")
                    connection.execute(f'ALTER TABLE {table} ADD COLUMN "{name}" {nullable_kind}')
        if replace and existing:
            connection.executemany(
                f'DELETE FROM {table} WHERE "run_id" = ?', [[row["run_id"]] for row in rows]
            )
        names = list(wanted)
        placeholders = ", ".join("?" for _ in names)
        quoted = ", ".join(f'"{name}"' for name in names)
        connection.executemany(
            f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})",
            [
                [
                    {"_dlt_load_id": load_id, "_dlt_id": uuid.uuid4().hex[:14]}.get(
                        name, row.get(name)
                    )
                    for name in names
                ]
                for row in rows
            ],
        )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _columns(connection: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """The columns of `table`, none when it does not exist. Asked of the table itself: DuckDB's
    catalog views cost 30-40 ms a query in a warehouse of a portfolio's tables (measured)."""
    try:
        cursor = connection.execute(f"SELECT * FROM {table} LIMIT 0")
    except duckdb.CatalogException:
        return set()
    return {column[0] for column in cursor.description or ()}
