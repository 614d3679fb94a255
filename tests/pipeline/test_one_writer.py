"""Issue 10, defect 4: one writer per warehouse. While a run holds a warehouse, at whatever
moment of it, a second `run` on the same warehouse exits 6 naming the holder before it sends a
single request (a token refresh included), and the first run completes undisturbed.

The first run is a child process (`kill_child.py`) paused at a chosen point; the second is the
real command line against a sandbox served on loopback, whose request counter shows that it
asked nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from pipelines.exit_codes import ExitCode
from tests.cli.conftest import environment, invoke, sandbox_url  # noqa: F401 (fixtures)
from tests.pipeline.conftest import SEED, LoadedCompany, differences, query, snapshot

ROOT = Path(__file__).resolve().parents[2]


def sandbox_requests(url: str) -> int:
    """Every request the served sandbox answered, token requests included."""
    stats = httpx.get(f"{url}/_sandbox/stats").json()
    return sum(int(count) for count in stats["requests"].values())


@pytest.mark.parametrize(
    "moment",
    [
        pytest.param("extract", marks=pytest.mark.slow),  # state restored, nothing fetched
        "sie:2",  # fetching
        pytest.param("normalize", marks=pytest.mark.slow),
        pytest.param("load", marks=pytest.mark.slow),
        # A load job committed, not yet recorded: refused as at "sie:2" (one lock, held from
        # the run's start to its end); that moment itself is test_sigkill.py's default case.
        pytest.param("job:sie_voucher_rows", marks=pytest.mark.slow),
        pytest.param("job:load_runs", marks=pytest.mark.slow),  # recording the run itself
    ],
)
def test_a_second_run_is_refused_whatever_the_moment(
    moment: str,
    small_load: LoadedCompany,
    environment: dict[str, str],  # noqa: F811
    sandbox_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    resume = tmp_path / "resume"
    first = subprocess.Popen(
        [
            *(sys.executable, "-m", "tests.pipeline.kill_child"),
            *(str(tmp_path), str(SEED), moment, "0", str(resume)),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert first.stdout is not None
        lines = []
        while (line := first.stdout.readline()) and line.strip() != "paused":
            lines.append(line)
        assert line.strip() == "paused", lines
        before = sandbox_requests(sandbox_url)

        code, output = invoke(
            ["run", "--duckdb", str(tmp_path / "fortnox.duckdb")], environment, tmp_path
        )

        assert code == ExitCode.WAREHOUSE_BUSY, output
        assert f"in use by process {first.pid} (" in output
        assert output.startswith("error: ") and output.count("\n") == 1, output
        assert sandbox_requests(sandbox_url) == before  # not one request, not even a token
        resume.touch()
        rest, _ = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, rest[-500:]
    path = tmp_path / "fortnox.duckdb"
    assert differences(snapshot(path), small_load.snapshot) == {}
    # The refused run is on record too: the holder folded it in when it finished.
    runs = query(path, "SELECT outcome, error FROM load_runs ORDER BY started_at")
    assert [outcome for outcome, _ in runs] == ["completed", "refused"], runs
    assert f"in use by process {first.pid}" in runs[1][1]


HOLD_WRITER_LOCK = """
import sys, time
from pathlib import Path
from pipelines.warehouse import working_dir_beside
from pipelines.writer_lock import hold_writer_lock
path = Path(sys.argv[1])
with hold_writer_lock(working_dir_beside(path), path, command="fortnox-pipeline run --profile x"):
    print("holding", flush=True)
    time.sleep(120)
"""


def test_models_are_not_built_while_another_process_writes(tmp_path: Path) -> None:
    """`models` writes the warehouse too: refused with exit 6 while a run holds it."""
    warehouse = tmp_path / "fortnox.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITER_LOCK, str(warehouse)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        code, output = invoke(["models", "--duckdb", str(warehouse)], {}, tmp_path)
    finally:
        holder.kill()
        holder.wait()
    assert code == ExitCode.WAREHOUSE_BUSY, output
    assert f"in use by process {holder.pid} (fortnox-pipeline run --profile x" in output
    assert not warehouse.exists()
