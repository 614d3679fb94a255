"""Opening and creating the DuckDB warehouse file, with a clear error for each way it can fail.

DuckDB allows one writing process per file. An analyst with the file open in a notebook, or a load
still running, makes `duckdb.connect` fail with an IO error naming the lock; the commands turn that
into `WarehouseBusyError` (exit code `WAREHOUSE_BUSY`) instead of a traceback.

A new warehouse is created under a temporary name and renamed into place only once DuckDB has
written its header: a creation that fails (disk full) or is killed never leaves a truncated
`fortnox.duckdb` that every later run would refuse. A file that exists but is not a DuckDB
database (empty, or something else) is never touched: the user gets `WarehouseInvalidError`
with what to do.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb

from pipelines.writer_lock import WarehouseBusyError

__all__ = [
    "WarehouseBusyError",
    "WarehouseInvalidError",
    "WarehouseNotFoundError",
    "kept_open",
    "open_warehouse",
    "working_dir_beside",
]

KEPT_OPEN_CHECKPOINT_THRESHOLD = "1GB"
"""Write-ahead log size past which DuckDB checkpoints while `kept_open` (its default: 16 MiB)."""

_LOCK_MESSAGE = re.compile(r"lock", re.IGNORECASE)
_LOCK_HOLDER_PID = re.compile(r"PID (\d+)")
_NOT_DUCKDB = re.compile(r"not a valid DuckDB database", re.IGNORECASE)
_CREATING = ".creating-"


class WarehouseNotFoundError(FileNotFoundError):
    """A read-only command was pointed at a warehouse file that does not exist."""


class WarehouseInvalidError(RuntimeError):
    """The warehouse path holds something that is not a usable DuckDB database."""


def working_dir_beside(path: Path) -> Path:
    """The working folder of a warehouse file: beside it, named after it (`x.duckdb.work`).

    dlt's pipeline folders (state, schemas, pending load packages), the writer lock and the run
    journal of this warehouse live there, so two warehouses never share any of it.
    """
    return path.parent / f"{path.name}.work"


def open_warehouse(path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse DuckDB file, creating it safely when it does not exist.

    Args:
        path: The DuckDB file.
        read_only: Open without write access, so several readers may share the file; the file
            must then already exist (DuckDB would otherwise fail with a less helpful message).

    Returns:
        An open connection; the caller closes it.

    Raises:
        WarehouseBusyError: Another process holds a conflicting lock on the file.
        WarehouseNotFoundError: `read_only` and the file does not exist.
        WarehouseInvalidError: The file is empty or not a DuckDB database, or could not be
            created (the message says why and what to do).
    """
    warehouse_path = Path(path)
    if read_only and not warehouse_path.exists():
        raise WarehouseNotFoundError(f"No warehouse at {warehouse_path}: load something first.")
    if not read_only:
        warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        _remove_abandoned_creations(warehouse_path)
        if not warehouse_path.exists():
            _create(warehouse_path)
    try:
        return duckdb.connect(str(warehouse_path), read_only=read_only)
    except duckdb.IOException as error:
        raise _translated(warehouse_path, error) from None


@contextlib.contextmanager
def kept_open(path: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """Keep the warehouse open while inside, so every connection of the process shares it.

    DuckDB gives every connection of a process to one file the same database instance, made by
    the first connection and torn down by the last one closed. A connection opened in one thread
    while the last one closes in another races that teardown: the new instance finds the file
    still attached and fails ("Unique file handle conflict: ... already attached"). Companies
    loaded from threads of one process (`run --all`) open and close the warehouse many times
    (dlt connects per step); with one connection held for the whole run, the instance is made
    once and torn down once, and each of those openings is cheap (no replay of the file's
    write-ahead log, no checkpoint on every close).

    While inside, DuckDB checkpoints (writes the write-ahead log's changes into the file) only
    past `KEPT_OPEN_CHECKPOINT_THRESHOLD` of log, and once more when the instance closes, rather
    than every 16 MiB: a portfolio's companies each replace their open year's SIE rows, and
    every checkpoint rewrote the row groups the companies before had just changed (a nightly
    run of 8 companies spent 20-25 % less time in the warehouse, measured). Every commit is in
    the log on disk as before, so a killed run loses nothing committed: the next opening of
    the file replays the log.

    The held connection runs nothing itself. Close it before anything that opens the file with
    another configuration (dbt), which DuckDB refuses while an instance is open.
    """
    connection = open_warehouse(path)
    connection.execute(f"SET checkpoint_threshold = '{KEPT_OPEN_CHECKPOINT_THRESHOLD}'")
    try:
        yield connection
    finally:
        connection.close()


def _translated(path: Path, error: duckdb.Error) -> Exception:
    message = str(error)
    if _NOT_DUCKDB.search(message):
        size = path.stat().st_size if path.exists() else 0
        what = "is empty (0 bytes)" if size == 0 else f"is not a DuckDB database ({size:,} bytes)"
        return WarehouseInvalidError(
            f"The warehouse file {path} {what}. Move it away or delete it if it is not yours "
            "(a new warehouse is created in its place), or point --duckdb at another file."
        )
    if not _LOCK_MESSAGE.search(message):
        return error
    pid_match = _LOCK_HOLDER_PID.search(message)
    return WarehouseBusyError(path, int(pid_match.group(1)) if pid_match else None)


def _create(path: Path) -> None:
    """Create an empty DuckDB file at `path`, atomically: whole, or not at all."""
    temporary = path.with_name(f"{path.name}{_CREATING}{os.getpid()}")
    try:
        duckdb.connect(str(temporary)).close()
        # A hard link, not a rename: a warehouse another process created meanwhile wins.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    except (duckdb.Error, OSError) as error:
        raise WarehouseInvalidError(
            f"Could not create the warehouse {path}: {' '.join(str(error).split())}. Free "
            "space or fix permissions there, or point --duckdb elsewhere; nothing was written."
        ) from None
    finally:
        for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
            leftover.unlink(missing_ok=True)


def _remove_abandoned_creations(path: Path) -> None:
    """Remove temporary files of our own creations killed before they finished."""
    for leftover in path.parent.glob(f"{path.name}{_CREATING}*"):
        pid_text = leftover.name.removeprefix(f"{path.name}{_CREATING}").removesuffix(".wal")
        if pid_text.isdigit() and not _alive(int(pid_text)):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
