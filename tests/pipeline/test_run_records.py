"""Issue 10, defect 8: every run is in `load_runs`, the ones that never finished too. A run
killed with SIGKILL is recorded as `killed` by the run after it; a run refused the lock or a
login is recorded as `refused` with its error; and a killed run leaves nothing in TMPDIR.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.exit_codes import ExitCode
from tests.cli.conftest import environment, invoke, sandbox_url  # noqa: F401 (fixtures)
from tests.pipeline.conftest import SEED, LoadedCompany, differences, query, snapshot

ROOT = Path(__file__).resolve().parents[2]


def child(workdir: Path, phase: str, tmpdir: Path, delay: float = 0.0) -> int:
    """One load in a child process whose TMPDIR is `tmpdir`; its return code."""
    return subprocess.run(
        [
            *(sys.executable, "-m", "tests.pipeline.kill_child"),
            *(str(workdir), str(SEED), phase, str(delay)),
        ],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(tmpdir)},
        capture_output=True,
        timeout=180,
    ).returncode


@pytest.mark.parametrize(
    "phase",
    [
        pytest.param("sie:2", marks=pytest.mark.slow),
        "followup",  # the one that left 0-byte *.sql files in TMPDIR
        pytest.param("record", marks=pytest.mark.slow),  # the row inserted, not committed
    ],
)
def test_a_killed_run_is_recorded_by_the_next_and_leaves_nothing_in_tmpdir(
    small_load: LoadedCompany, tmp_path: Path, phase: str
) -> None:
    tmpdir = tmp_path / "TMPDIR"
    tmpdir.mkdir()
    workdir = tmp_path / "work"
    workdir.mkdir()

    assert child(workdir, phase, tmpdir) == -signal.SIGKILL
    assert list(tmpdir.iterdir()) == []
    assert child(workdir, "none", tmpdir) == 0

    path = workdir / "fortnox.duckdb"
    outcomes = query(path, "SELECT outcome, error FROM load_runs ORDER BY started_at")
    assert [outcome for outcome, _ in outcomes] == ["killed", "completed"], outcomes
    assert "recorded by the run after it" in outcomes[0][1]
    assert list(tmpdir.iterdir()) == []
    assert list((workdir / "fortnox.duckdb.work" / "runs").glob("*")) == []
    assert differences(snapshot(path), small_load.snapshot) == {}


def test_a_run_refused_for_its_login_is_recorded(
    environment: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "fortnox.duckdb"
    env = {**environment, "FORTNOX_TOKEN_DIR": str(tmp_path / "no-tokens")}

    code, output = invoke(["run", "--duckdb", str(warehouse)], env, tmp_path)

    assert code == ExitCode.AUTH_NEEDED, output
    rows = query(warehouse, "SELECT outcome, profile, company_id, error FROM load_runs")
    assert len(rows) == 1, rows
    outcome, profile, company_id, error = rows[0]
    assert (outcome, profile, company_id) == ("refused", "default", "unknown")
    assert "auth login" in error or "log in" in error.lower(), error
