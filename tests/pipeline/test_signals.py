"""Issue 9, section 3: Ctrl-C and SIGTERM. A run stops within 2 s wherever it is (fetching,
normalizing, loading), says what was and was not loaded, is recorded `interrupted`, and exits
130 (SIGINT) or 143 (SIGTERM); the next run says on its first line that it is finishing the
interrupted run's package (when there is one), records that, and leaves the warehouse equal
to a clean load.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.conftest import environment, invoke, sandbox_url  # noqa: F401 (fixtures)
from tests.pipeline.conftest import LoadedCompany, differences, query, snapshot

ROOT = Path(__file__).resolve().parents[2]
STOP_WITHIN_SECONDS = 2.0


@pytest.mark.parametrize(
    ("point", "sig", "code"),
    [
        ("fetching", signal.SIGINT, 130),
        pytest.param("normalizing", signal.SIGINT, 130, marks=pytest.mark.slow),
        ("loading", signal.SIGINT, 130),
        pytest.param("loading", signal.SIGTERM, 143, marks=pytest.mark.slow),
    ],
)
def test_a_signal_stops_the_run_and_the_next_run_completes_it(
    small_load: LoadedCompany,
    environment: dict[str, str],  # noqa: F811
    tmp_path: Path,
    point: str,
    sig: signal.Signals,
    code: int,
) -> None:
    warehouse = tmp_path / "fortnox.duckdb"
    child = subprocess.Popen(
        [
            *(sys.executable, "-m", "tests.pipeline.signal_child", point),
            *("run", "--no-models", "--duckdb", str(warehouse)),
        ],
        cwd=tmp_path,
        env={**os.environ, **environment, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        while (line := child.stdout.readline()) and not line.startswith("at "):
            pass
        assert line.strip() == f"at {point}", line
        sent = time.monotonic()
        child.send_signal(sig)
        child.wait(timeout=30)
        stopped_after = time.monotonic() - sent
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    stderr = child.stderr.read() if child.stderr else ""

    assert child.returncode == code, stderr[-800:]
    assert stopped_after < STOP_WITHIN_SECONDS, stopped_after
    name = "SIGINT" if sig == signal.SIGINT else "SIGTERM"
    told = [line for line in stderr.splitlines() if line.startswith(f"interrupted by {name}: ")]
    assert len(told) == 1, stderr[-800:]
    if point == "fetching":
        assert "nothing of this run loaded" in told[0]
    assert "Traceback" not in stderr

    next_code, output = invoke(
        ["run", "--no-models", "--duckdb", str(warehouse)], environment, tmp_path
    )

    assert next_code == 0, output
    runs = query(warehouse, "SELECT outcome, error, notes FROM load_runs ORDER BY started_at")
    assert [outcome for outcome, _, _ in runs] == ["interrupted", "completed"], runs
    assert runs[0][1] == f"interrupted by {name} while {point}", runs
    if point != "fetching":  # a package was fetched: the next run finishes it, first thing
        first_line = output.splitlines()[0]
        assert first_line.startswith("note: finishing an earlier run's package"), output[:500]
        assert any("finishing an earlier run's package" in n for n in json.loads(runs[1][2]))
    assert differences(snapshot(warehouse), small_load.snapshot) == {}
