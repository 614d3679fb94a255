"""dlt's scratch files go to the warehouse's working folder, not the system TMPDIR.

dlt writes the SQL of follow-up jobs (merges) to `tempfile.gettempdir()` before moving them into
the load package; a run killed in between leaves them in TMPDIR for good (0-byte `*.sql` files
were seen after SIGKILLs). Inside a run, the temporary directory is `<working folder>/tmp`,
emptied by the next run that holds the warehouse's lock, so nothing outlives a killed run.

`tempfile.tempdir` is process-wide: the first run of this process to enter sets it, the last
to leave restores it; runs entering meanwhile (other companies, in threads) share it.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

_guard = threading.Lock()
_users = 0
_previous: str | None = None


@contextlib.contextmanager
def scratch_in(working_dir: Path) -> Iterator[Path]:
    """Point temporary files at `working_dir / "tmp"` while inside; call under the writer lock."""
    global _users, _previous
    directory = working_dir / "tmp"
    with _guard:
        if _users == 0:
            # Anything here is a dead run's: this process holds the lock and has no run yet.
            shutil.rmtree(directory, ignore_errors=True)
            directory.mkdir(parents=True, exist_ok=True)
            _previous = tempfile.tempdir
            tempfile.tempdir = str(directory)
        _users += 1
    try:
        yield directory
    finally:
        with _guard:
            _users -= 1
            if _users == 0:
                tempfile.tempdir = _previous
