"""A load beside the server: the server waits while a writer holds the file, answers when it
lets go, and says "busy" (a tool error, not a crash) when it holds on past the wait.

DuckDB lets one process write a file and lets no other process open it meanwhile, not even
read-only; the server holds the file only for the length of one call, so a load can start
between any two calls. A run also holds the warehouse's writer lock across its many opens of
the file; the server shares that lock during a call, so it never reads in the middle of a run.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pipelines.mcp_server.server import ServerSettings
from pipelines.mcp_server.warehouse import WarehouseReader
from tests.mcp.conftest import ToolFailed, call

HOLD_WRITE_LOCK = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1])
connection.execute("create table if not exists analytics.analyst_notes (note text)")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
connection.close()
"""

# A nightly load's write phases, repeated: rebuild every model (drops and recreates the
# marts), retrying while the server happens to be reading, as a scheduled job would.
REBUILD_MODELS = textwrap.dedent(
    """
    import sys, time
    from pipelines.transform import build_models
    from pipelines.warehouse import WarehouseBusyError, open_warehouse
    for build in range(int(sys.argv[2])):
        while True:
            try:
                connection = open_warehouse(sys.argv[1])
                break
            except WarehouseBusyError:
                time.sleep(0.05)
        report = build_models(connection)
        connection.close()
        assert report.ok, report.failed_models
        print("built", flush=True)
        time.sleep(0.3)
    """
)


def _hold(path: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITE_LOCK, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    return holder


def test_a_writer_holding_past_the_wait_gets_a_busy_answer(warehouse_copy: Path) -> None:
    holder = _hold(warehouse_copy, 60)
    try:
        started = time.monotonic()
        with pytest.raises(ToolFailed, match=rf"busy: process {holder.pid} is writing it"):
            call(ServerSettings(warehouse_copy, busy_wait_seconds=0.6), "list_companies")
        assert 0.6 <= time.monotonic() - started < 10
    finally:
        holder.kill()
        holder.wait()
    # The same server settings answer once the writer is gone.
    assert call(ServerSettings(warehouse_copy, busy_wait_seconds=0.6), "list_companies")


def test_the_server_waits_for_a_short_writer_and_answers(warehouse_copy: Path) -> None:
    holder = _hold(warehouse_copy, 1.5)
    try:
        started = time.monotonic()
        answer = call(ServerSettings(warehouse_copy, busy_wait_seconds=30), "list_companies")
        waited = time.monotonic() - started
    finally:
        holder.wait(timeout=30)
    assert answer["companies"]
    assert waited >= 0.5  # it did wait for the writer


def test_a_load_running_beside_the_server(warehouse_copy: Path) -> None:
    """Calls during two model rebuilds: each answers correctly or says busy; none crashes,
    and every rebuild completes."""
    settings = ServerSettings(warehouse_copy, busy_wait_seconds=0.2)
    expected = call(settings, "trial_balance", {"period": "2026-08"})
    writer = subprocess.Popen(
        [sys.executable, "-c", REBUILD_MODELS, str(warehouse_copy), "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    answered = busy = 0
    deadline = time.monotonic() + 240
    while writer.poll() is None and time.monotonic() < deadline:
        try:
            answer = call(settings, "trial_balance", {"period": "2026-08"})
        except ToolFailed as error:
            assert "busy" in str(error), error
            busy += 1
        else:
            assert answer["rows"] == expected["rows"]
            answered += 1
        time.sleep(0.05)
    output, errors = writer.communicate(timeout=60)
    assert writer.returncode == 0, errors
    assert output.split() == ["built"] * 2
    assert busy >= 1, "no call ran while the models were being rebuilt"
    assert call(settings, "trial_balance", {"period": "2026-08"})["rows"] == expected["rows"]
    print(f"during the rebuilds: {answered} answered, {busy} busy")


HOLD_WRITER_LOCK = """
import sys, time
from pathlib import Path
from pipelines.warehouse import working_dir_beside
from pipelines.writer_lock import hold_writer_lock
path = Path(sys.argv[1])
with hold_writer_lock(working_dir_beside(path), path, command="run acme"):
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""

TRY_WRITER_LOCK = """
import sys
from pathlib import Path
from pipelines.warehouse import working_dir_beside
from pipelines.writer_lock import WarehouseBusyError, hold_writer_lock
path = Path(sys.argv[1])
try:
    with hold_writer_lock(working_dir_beside(path), path, command="run acme"):
        print("got the lock")
except WarehouseBusyError:
    print("refused")
"""


def test_the_server_never_opens_the_file_in_the_middle_of_a_run(warehouse_copy: Path) -> None:
    """A run holds the writer lock between its many opens of the file; the server waits for
    the whole run, not just for DuckDB's lock, and names the run when it gives up."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITER_LOCK, str(warehouse_copy), "60"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        # DuckDB's lock is free (the run is between two steps), yet the server waits.
        with pytest.raises(ToolFailed, match=rf"process {holder.pid} \(run acme"):
            call(ServerSettings(warehouse_copy, busy_wait_seconds=0.6), "list_companies")
    finally:
        holder.kill()
        holder.wait()
    assert call(ServerSettings(warehouse_copy, busy_wait_seconds=0.6), "list_companies")


def test_a_run_starting_during_a_call_is_refused_before_it_starts(warehouse_copy: Path) -> None:
    first = subprocess.run(
        [sys.executable, "-c", TRY_WRITER_LOCK, str(warehouse_copy)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert first.stdout.strip() == "got the lock"  # and the lock file now exists
    with WarehouseReader(warehouse_copy).session():
        during = subprocess.run(
            [sys.executable, "-c", TRY_WRITER_LOCK, str(warehouse_copy)],
            capture_output=True,
            text=True,
            check=True,
        )
    after = subprocess.run(
        [sys.executable, "-c", TRY_WRITER_LOCK, str(warehouse_copy)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert (during.stdout.strip(), after.stdout.strip()) == ("refused", "got the lock")
