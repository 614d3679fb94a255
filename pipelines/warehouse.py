"""Opening the DuckDB warehouse file, with a clear error when another process holds it.

DuckDB allows one writing process per file. An analyst with the file open in a notebook, or a load
still running, makes `duckdb.connect` fail with an IO error naming the lock; the commands turn that
into `WarehouseBusyError` (exit code `WAREHOUSE_BUSY`) instead of a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

_LOCK_MESSAGE = re.compile(r"lock", re.IGNORECASE)
_LOCK_HOLDER_PID = re.compile(r"PID (\d+)")


class WarehouseBusyError(RuntimeError):
    """The warehouse file is locked by another process (a load, or an analyst's session)."""

    def __init__(self, path: Path, holder_pid: int | None) -> None:
        holder = f"process {holder_pid}" if holder_pid is not None else "another process"
        super().__init__(
            f"The warehouse {path} is in use by {holder}. DuckDB allows one writer at a time: "
            "close other sessions on the file (or query a copy of it), then try again."
        )
        self.path = path
        self.holder_pid = holder_pid


class WarehouseNotFoundError(FileNotFoundError):
    """A read-only command was pointed at a warehouse file that does not exist."""


def open_warehouse(path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse DuckDB file.

    Args:
        path: The DuckDB file.
        read_only: Open without write access, so several readers may share the file; the file
            must then already exist (DuckDB would otherwise fail with a less helpful message).

    Returns:
        An open connection; the caller closes it.

    Raises:
        WarehouseBusyError: Another process holds a conflicting lock on the file.
        WarehouseNotFoundError: `read_only` and the file does not exist.
    """
    warehouse_path = Path(path)
    if read_only and not warehouse_path.exists():
        raise WarehouseNotFoundError(f"No warehouse at {warehouse_path}: load something first.")
    if not read_only:
        warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(warehouse_path), read_only=read_only)
    except duckdb.IOException as error:
        message = str(error)
        if not _LOCK_MESSAGE.search(message):
            raise
        pid_match = _LOCK_HOLDER_PID.search(message)
        raise WarehouseBusyError(
            warehouse_path, int(pid_match.group(1)) if pid_match else None
        ) from None
