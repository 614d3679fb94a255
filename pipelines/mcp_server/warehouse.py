"""The server's only way into the warehouse: read-only, one short session per tool call.

DuckDB locks the file per process: a read-only opener takes a shared lock, a writer (a load, a
model build) an exclusive one, and neither waits for the other. A server that kept the file
open would therefore make every nightly load fail with "warehouse busy". So the server opens
the file for one tool call and closes it straight after, and when a load holds the file it
retries for a bounded time (`busy_wait_seconds`) and then answers "busy, try again" as a tool
error instead of crashing or hanging. Between two calls the file is free for any writer.

A load also holds the warehouse's writer lock (`pipelines/writer_lock.py`) for its whole run,
while it opens and closes the DuckDB file many times. The server takes that lock *shared* for the
length of a call: it never opens the file between two steps of a run (which would make the run's
next step fail halfway), and a run that starts during a call is refused at once, before any
request, as when another run holds the lock.

Every session is an in-memory DuckDB with the warehouse ATTACHed `READ_ONLY` (DuckDB itself
refuses any write to it) and file-system access switched off (no `read_csv('/etc/...')`, no
`COPY ... TO`, no `INSTALL`), so no tool, and no SQL an agent sends, can write or reach outside
the warehouse.
"""

from __future__ import annotations

import contextlib
import fcntl
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import duckdb

from pipelines.warehouse import working_dir_beside
from pipelines.writer_lock import LOCK_FILE_NAME, describe_holder, read_holder

_LOCK_MESSAGE = re.compile(r"could not set lock|conflicting lock", re.IGNORECASE)
_LOCK_HOLDER_PID = re.compile(r"PID (\d+)")


class WarehouseUnavailableError(RuntimeError):
    """The warehouse cannot be read now (missing file, or a writer holds it past the wait)."""


class WarehouseBusyError(WarehouseUnavailableError):
    """A writer (a load or a model build) held the file for longer than the server waits."""

    def __init__(
        self,
        path: Path,
        holder_pid: int | None,
        waited_seconds: float,
        holder_description: str | None = None,
    ) -> None:
        holder = f"process {holder_pid}" if holder_pid is not None else "another process"
        if holder_description:
            holder = f"{holder} ({holder_description})"
        super().__init__(
            f"the warehouse {path.name} is busy: {holder} is writing it (a load or a model "
            f"build; no reader may open the file while a writer holds it). Waited "
            f"{waited_seconds:.0f} s; try again in a minute."
        )
        self.holder_pid = holder_pid


@dataclass(frozen=True)
class WarehouseReader:
    """Opens read-only sessions on one warehouse file, one at a time.

    Args:
        path: The DuckDB file the pipeline loads.
        busy_wait_seconds: How long a call waits for a writer to let go of the file.
        retry_interval_seconds: Pause between two attempts while the file is held.
    """

    path: Path
    busy_wait_seconds: float = 15.0
    retry_interval_seconds: float = 0.25

    def __post_init__(self) -> None:
        # Tool calls run in worker threads; one session at a time keeps the per-call open and
        # close simple (two in-process attachments of one file would share nothing anyway).
        object.__setattr__(self, "_lock", threading.Lock())

    @property
    def catalog(self) -> str:
        """The catalog name the warehouse is attached under: the file's stem, as when the
        models were built (their views name their inputs with it, `fortnox.analytics.x`)."""
        return self.path.stem

    @contextmanager
    def session(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection whose default catalog is the read-only warehouse; closed on exit.

        Raises:
            WarehouseBusyError: A writer held the file for the whole wait.
            WarehouseUnavailableError: The file does not exist.
        """
        with self._lock_held(), self._attached() as connection:
            connection.execute(f'use "{self.catalog}"')
            yield connection

    @contextmanager
    def bare_session(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection whose default catalog is an empty in-memory database, with the
        warehouse attached beside it under `catalog` (for the `query` tool's filtered views)."""
        with self._lock_held(), self._attached() as connection:
            yield connection

    @contextmanager
    def _lock_held(self) -> Iterator[None]:
        lock: threading.Lock = self._lock  # type: ignore[attr-defined]
        with lock:
            yield

    @contextmanager
    def _attached(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if not self.path.exists():
            raise WarehouseUnavailableError(
                f"no warehouse at {self.path}: run `fortnox-pipeline run` (or `demo`) first"
            )
        started = time.monotonic()
        with self._writer_lock_shared(started):
            connection = self._attach_with_retry(started)
            try:
                connection.execute("set enable_external_access = false")
                yield connection
            finally:
                connection.close()

    @contextmanager
    def _writer_lock_shared(self, started: float) -> Iterator[None]:
        """Hold the warehouse's writer lock shared (waiting while a run holds it exclusively).

        A warehouse no run has written under the lock has no lock file; the server creates
        nothing beside the warehouse, so it then relies on DuckDB's own file lock alone.
        """
        lock_path = working_dir_beside(self.path) / LOCK_FILE_NAME
        try:
            handle: IO[str] = open(lock_path, encoding="utf-8")  # noqa: SIM115 (held below)
        except FileNotFoundError:
            yield
            return
        try:
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    waited = time.monotonic() - started
                    if waited >= self.busy_wait_seconds:
                        details = read_holder(lock_path)
                        pid = details.get("pid")
                        raise WarehouseBusyError(
                            self.path,
                            int(pid) if pid else None,
                            waited,
                            describe_holder(details) or None,
                        ) from None
                    time.sleep(self.retry_interval_seconds)
            yield
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()

    def _attach_with_retry(self, started: float) -> duckdb.DuckDBPyConnection:
        while True:
            connection = duckdb.connect(":memory:")
            try:
                # ATTACH takes no parameters: the path is a quoted literal.
                literal = "'" + str(self.path).replace("'", "''") + "'"
                connection.execute(f'attach {literal} as "{self.catalog}" (read_only)')
                return connection
            except duckdb.IOException as error:
                connection.close()
                message = str(error)
                if not _LOCK_MESSAGE.search(message):
                    raise
                waited = time.monotonic() - started
                if waited >= self.busy_wait_seconds:
                    pid = _LOCK_HOLDER_PID.search(message)
                    raise WarehouseBusyError(
                        self.path, int(pid.group(1)) if pid else None, waited
                    ) from None
                time.sleep(self.retry_interval_seconds)
            except BaseException:
                connection.close()
                raise
