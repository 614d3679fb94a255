"""SIGKILL during `sie load`: each file wholly in or wholly out, and the next command says so.

A real `fortnox-pipeline sie load` process is killed (SIGKILL, no cleanup) while it loads a large
generated file after a small one, into a warehouse that may already hold an earlier copy. After
each kill: every file is in the warehouse with all its rows or not at all (an earlier copy stays
whole), nothing is left in the process's TMPDIR, and the next `sie load` reports an unfinished
write it found.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from benchmarks.synthetic_sie import synthetic_sie
from sources.sie.load_files import marker_path
from sources.sie.tables import TABLE_NAMES
from tests.sie.conftest import SAMPLES, load_sie_files

SMALL = SAMPLES / "sie-gruppen_SIE4_Exempelfil_visma2022.SE"
EXECUTABLE = Path(sys.executable).with_name("fortnox-pipeline")


def _rows_per_file(warehouse: Path) -> dict[str, dict[str, int]]:
    """Rows per table per file_sha256."""
    counts: dict[str, dict[str, int]] = {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        [(catalog,)] = connection.execute("select current_database()").fetchall()
        existing = {
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'fortnox_raw' and table_name like 'sie\\_%' escape '\\'"
            ).fetchall()
        }
        # All SIE tables or none: they are made in one transaction (a kill may precede it).
        # The load's record (`load_runs`, dlt's own tables) is written after the files.
        assert existing in (set(), set(TABLE_NAMES))
        for table in TABLE_NAMES if existing else ():
            for sha, count in connection.execute(
                f'select file_sha256, count(*) from "{catalog}".fortnox_raw.{table} group by 1'
            ).fetchall():
                counts.setdefault(sha, {})[table] = count
    return counts


def _start_load(files: list[Path], warehouse: Path, tmpdir: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    command = [str(EXECUTABLE), "sie", "load", *map(str, files), "--duckdb", str(warehouse)]
    return subprocess.Popen(
        [*command, "-o", "json"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _expected(folder: Path, vouchers: int) -> dict[str, object]:
    """A generated file and what a complete load of it after the small file holds."""
    big = folder / "big.se"
    big.write_bytes(synthetic_sie(vouchers))
    reference = folder / "reference.duckdb"
    started = time.perf_counter()
    load_sie_files([SMALL, big], duckdb_path=reference, dataset="fortnox_raw")
    return {"big": big, "rows": _rows_per_file(reference), "seconds": time.perf_counter() - started}


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A file big enough that its write takes a moment (2 MB, 8,000 vouchers)."""
    return _expected(tmp_path_factory.mktemp("sigkill"), 8_000)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A large generated file (100,000 vouchers, 20 MB; `SIE_KILL_VOUCHERS` to change)."""
    vouchers = int(os.environ.get("SIE_KILL_VOUCHERS", "100000"))
    return _expected(tmp_path_factory.mktemp("sigkill_large"), vouchers)


def _assert_whole_or_absent(warehouse: Path, rows: dict[str, dict[str, int]]) -> set[str]:
    found = _rows_per_file(warehouse)
    for sha, counts in found.items():
        assert counts == {t: n for t, n in rows[sha].items() if n}, f"{sha[:12]} is partial"
    return set(found)


def _kill_and_check(expected: dict[str, object], folder: Path, delay: float) -> str:
    rows = expected["rows"]
    assert isinstance(rows, dict)
    big = expected["big"]
    assert isinstance(big, Path)
    warehouse, tmpdir = folder / "w.duckdb", folder / "tmp"
    tmpdir.mkdir(exist_ok=True)
    process = _start_load([SMALL, big], warehouse, tmpdir)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    left_marker = marker_path(warehouse).exists()
    if warehouse.exists():
        # Opening the warehouse is what makes DuckDB discard an uncommitted transaction.
        with duckdb.connect(str(warehouse)):
            pass
        _assert_whole_or_absent(warehouse, rows)
    assert list(tmpdir.iterdir()) == []
    # The next command says what the killed one left, then finishes the job.
    after = _start_load([SMALL, big], warehouse, tmpdir)
    _, stderr = after.communicate(timeout=600)
    assert after.returncode == 0, stderr.decode()
    if left_marker:
        assert "was stopped while writing" in stderr.decode()
    assert not marker_path(warehouse).exists()
    assert _assert_whole_or_absent(warehouse, rows) == set(rows)
    assert list(tmpdir.iterdir()) == []
    return "marker" if left_marker else "no marker"


def test_a_kill_while_a_file_is_being_written(expected: dict[str, object], tmp_path: Path) -> None:
    """Killed the moment the big file's write begins (its marker appears)."""
    big = expected["big"]
    assert isinstance(big, Path)
    warehouse, tmpdir = tmp_path / "w.duckdb", tmp_path / "tmp"
    tmpdir.mkdir()
    process = _start_load([SMALL, big], warehouse, tmpdir)
    marker = marker_path(warehouse)
    deadline = time.monotonic() + 300
    seen_small = False
    while time.monotonic() < deadline and process.poll() is None:
        if marker.exists() and "big.se" in marker.read_text(errors="replace"):
            break
        seen_small = seen_small or marker.exists()
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    rows = expected["rows"]
    assert isinstance(rows, dict)
    with duckdb.connect(str(warehouse)):
        pass
    present = _assert_whole_or_absent(warehouse, rows)
    assert len(present) == 1  # the small file, whole; the big one not at all
    assert list(tmpdir.iterdir()) == []
    after = _start_load([big], warehouse, tmpdir)
    _, stderr = after.communicate(timeout=600)
    assert after.returncode == 0
    assert "was stopped while writing" in stderr.decode()
    assert _assert_whole_or_absent(warehouse, rows) == set(rows)


@pytest.mark.slow
@pytest.mark.timeout(3600)  # 20 kills and 20 recoveries of a 20 MB load, 10 preloads
def test_twenty_random_sigkills_leave_each_file_whole_or_absent(
    large: dict[str, object], tmp_path: Path
) -> None:
    expected = large
    rng = random.Random(20)
    seconds = expected["seconds"]
    assert isinstance(seconds, float)
    outcomes = []
    for trial in range(20):
        folder = tmp_path / f"trial{trial}"
        folder.mkdir()
        if trial % 2:  # half the trials re-load over a complete earlier copy
            load_sie_files(
                [SMALL, expected["big"]],  # type: ignore[list-item]
                duckdb_path=folder / "w.duckdb",
                dataset="fortnox_raw",
            )
        # imports take a second or two; the load itself about `seconds`
        outcomes.append(_kill_and_check(expected, folder, rng.uniform(0.5, 2.0 + 1.5 * seconds)))
    assert "marker" in outcomes  # at least one kill landed inside a write
