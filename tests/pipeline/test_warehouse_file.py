"""Issue 10, defect 7: the warehouse file itself. A creation that fails (the disk fills while
DuckDB writes its first pages) leaves no file behind, so the next run simply works; a file
that exists but is empty or not DuckDB is refused with what to do, and never touched.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.exit_codes import ExitCode
from tests.cli.conftest import environment, invoke, sandbox_url  # noqa: F401 (fixtures)
from tests.pipeline.conftest import (
    LoadedCompany,
    Loader,
    differences,
    make_session,
    query,
    snapshot,
)

ROOT = Path(__file__).resolve().parents[2]
FILE_SIZE_LIMIT = 8192
"""Bytes a process may write per file: room for tokens and the lock, not for DuckDB's 12 KiB
header. Writing past it fails with EFBIG, as a full disk fails with ENOSPC."""


def _small_files_only() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write fails instead of killing us
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


def test_a_failed_creation_leaves_no_file_and_the_next_run_loads(
    small_load: LoadedCompany,
    environment: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "fortnox.duckdb"
    full = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--duckdb", str(warehouse)],
        env={**os.environ, **environment, "PYTHONDONTWRITEBYTECODE": "1"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_small_files_only,
    )

    assert full.returncode == ExitCode.BAD_INPUT, full.stderr[-800:]
    assert full.stderr.startswith("error: Could not create the warehouse"), full.stderr
    assert "Traceback" not in full.stderr
    assert not warehouse.exists()
    assert not list(tmp_path.glob("fortnox.duckdb.creating-*"))

    code, output = invoke(["run", "--no-models", "--duckdb", str(warehouse)], environment, tmp_path)
    assert code == 0, output
    assert differences(snapshot(warehouse), small_load.snapshot) == {}
    # The run the full disk stopped is on record, folded in by this one.
    runs = query(warehouse, "SELECT outcome, error FROM load_runs ORDER BY started_at")
    assert [outcome for outcome, _ in runs] == ["failed", "completed"], runs
    assert "Could not create the warehouse" in runs[0][1]


@pytest.mark.parametrize("content", [b"", b"<html>not a database</html>\n"])
def test_a_file_that_is_not_a_duckdb_warehouse_is_refused_and_kept(
    small_load: LoadedCompany, tmp_path: Path, content: bytes
) -> None:
    from pipelines.warehouse import WarehouseInvalidError

    session = make_session()
    path = tmp_path / "fortnox.duckdb"
    path.write_bytes(content)
    loader = Loader(session, session.tenants[0], tmp_path)
    client = loader.client

    with pytest.raises(WarehouseInvalidError) as raised:
        loader.run()

    message = str(raised.value)
    assert str(path) in message
    assert ("is empty (0 bytes)" if not content else "is not a DuckDB database") in message
    assert "delete it" in message
    assert path.read_bytes() == content
    assert client.stats.total_requests == 0

    path.unlink()
    assert loader.run().outcome == "completed"
    assert differences(snapshot(path), small_load.snapshot) == {}
