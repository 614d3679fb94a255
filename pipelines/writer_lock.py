"""One writer per warehouse: an exclusive lock held for a whole run, taken before any request.

DuckDB's own file lock is held only while a connection is open, and a run opens and closes the
file many times (dlt connects per step), so two runs could each pass DuckDB's check and then
collide halfway (DuckDB's "Could not set lock", or one run deleting the other's load files in a
shared working folder). An advisory `flock` on a file in the warehouse's working folder, held
from before the first request until the run's record is written, makes the second process fail
at once, naming the holder. The kernel drops the lock when its process dies, even by SIGKILL,
so a killed run never leaves the warehouse locked.

Inside one process the lock is shared (counted) rather than taken twice: `flock` locks belong
to an open file, so a second `open` + `flock` in the same process would refuse itself, and
several companies may load into one warehouse from threads of one process.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

LOCK_FILE_NAME = "writer.lock"


class WarehouseBusyError(RuntimeError):
    """The warehouse is being written by another process (a load, or an analyst's session)."""

    def __init__(self, path: Path, holder_pid: int | None, holder: str | None = None) -> None:
        who = f"process {holder_pid}" if holder_pid is not None else "another process"
        if holder:
            who = f"{who} ({holder})"
        super().__init__(
            f"The warehouse {path} is in use by {who}. One process writes a warehouse at a "
            "time: wait for it to finish or close that session (or query a copy of the file), "
            "then try again."
        )
        self.path = path
        self.holder_pid = holder_pid
        self.holder = holder


@dataclass
class _Held:
    handle: Any
    count: int


_held: dict[Path, _Held] = {}
"""Locks this process holds, by lock file: an OS resource of the process, so process-wide."""
_held_guard = threading.Lock()


def describe_holder(details: dict[str, Any]) -> str:
    """A short description of the process holding the lock, from what it wrote in the file."""
    parts = [str(details[key]) for key in ("command",) if details.get(key)]
    if details.get("since"):
        parts.append(f"since {details['since']}")
    return ", ".join(parts)


def read_holder(lock_path: Path) -> dict[str, Any]:
    """What the holder wrote about itself (empty when unreadable or not written yet)."""
    try:
        details = json.loads(lock_path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return details if isinstance(details, dict) else {}


@contextlib.contextmanager
def hold_writer_lock(
    working_dir: Path, warehouse: Path | str, *, command: str | None = None
) -> Iterator[None]:
    """Hold the warehouse's writer lock, or fail at once naming the process that holds it.

    Args:
        working_dir: the warehouse's working folder (the lock file lives there).
        warehouse: the warehouse, as named in the error message.
        command: what this process is doing, shown to a process refused the lock.

    Raises:
        WarehouseBusyError: another process holds the lock.
    """
    working_dir.mkdir(parents=True, exist_ok=True)
    lock_path = (working_dir / LOCK_FILE_NAME).resolve()
    with _held_guard:
        held = _held.get(lock_path)
        if held is not None:
            held.count += 1
        else:
            handle = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 (kept open while held)
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                details = read_holder(lock_path)
                pid = details.get("pid")
                raise WarehouseBusyError(
                    Path(warehouse), int(pid) if pid else None, describe_holder(details) or None
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(
                json.dumps(
                    {
                        "pid": os.getpid(),
                        "command": command or " ".join(Path(sys.argv[0]).name.split()),
                        "since": datetime.now().astimezone().isoformat(timespec="seconds"),
                    }
                )
            )
            handle.flush()
            _held[lock_path] = _Held(handle, 1)
    try:
        yield
    finally:
        with _held_guard:
            held = _held[lock_path]
            held.count -= 1
            if held.count == 0:
                del _held[lock_path]
                # Emptied before unlocking: a stale description must never name a dead process.
                with contextlib.suppress(OSError):
                    held.handle.seek(0)
                    held.handle.truncate()
                    held.handle.flush()
                fcntl.flock(held.handle.fileno(), fcntl.LOCK_UN)
                held.handle.close()
