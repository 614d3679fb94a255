"""A SIGKILL of `run --all` (companies in flight, one of them perhaps writing), then a re-run:
every company's rows equal a clean load of it, none missing and none twice."""

from __future__ import annotations

import os
import random
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.pipeline.conftest import differences, snapshot
from tests.portfolio.conftest import (
    PROFILES,
    ROOT,
    Portfolio,
    SeparateLoads,
    firm_environment,
    invoke,
)

RUN_ALL = (sys.executable, "-m", "pipelines.cli", "run", "--all", "--parallel", "2")


def start_run_all(environment: dict[str, str], warehouse: Path, cwd: Path) -> subprocess.Popen[str]:
    """`fortnox-pipeline run --all` in a process of its own, one line per company on stderr."""
    return subprocess.Popen(
        [*RUN_ALL, "--duckdb", str(warehouse), "--no-models", "-o", "json"],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **environment},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_when(process: subprocess.Popen[str], line_contains: str, timeout: float) -> list[str]:
    """SIGKILL the process as soon as a stderr line contains the text; the lines seen."""
    assert process.stderr is not None
    seen: list[str] = []
    selector = selectors.DefaultSelector()
    selector.register(process.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(timeout=0.2):
            line = process.stderr.readline()
            if not line:
                break
            seen.append(line)
            if line_contains in line:
                break
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    return seen


def rerun_equals_clean_loads(
    environment: dict[str, str], warehouse: Path, cwd: Path, separate_loads: SeparateLoads
) -> None:
    code, output = invoke(
        ["run", "--all", "--duckdb", str(warehouse), "--no-models", "-o", "json"],
        environment,
        cwd,
    )
    assert code == 0, output
    for profile in PROFILES:
        company_id = separate_loads.company_ids[profile]
        found = differences(snapshot(warehouse, company_id), separate_loads.snapshot(profile))
        assert not found, f"{profile}: {found}"


def test_sigkill_after_the_first_company_then_rerun_equals_clean_loads(
    portfolio: Portfolio, separate_loads: SeparateLoads, tmp_path: Path
) -> None:
    environment = firm_environment(portfolio, tmp_path)
    warehouse = tmp_path / "firm.duckdb"
    process = start_run_all(environment, warehouse, tmp_path)
    seen = kill_when(process, ": completed in", timeout=600)
    assert process.returncode == -signal.SIGKILL
    assert sum(": completed in" in line for line in seen) == 1, seen  # others were in flight
    rerun_equals_clean_loads(environment, warehouse, tmp_path, separate_loads)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_sigkill_at_a_random_moment_then_rerun_equals_clean_loads(
    portfolio: Portfolio, separate_loads: SeparateLoads, tmp_path: Path, seed: int
) -> None:
    environment = firm_environment(portfolio, tmp_path)
    warehouse = tmp_path / "firm.duckdb"
    process = start_run_all(environment, warehouse, tmp_path)
    time.sleep(random.Random(seed).uniform(1.0, 12.0))
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    rerun_equals_clean_loads(environment, warehouse, tmp_path, separate_loads)


@pytest.mark.slow
def test_ctrl_c_stops_run_all_and_records_every_company_in_flight(
    portfolio: Portfolio, separate_loads: SeparateLoads, tmp_path: Path
) -> None:
    import duckdb

    environment = firm_environment(portfolio, tmp_path)
    warehouse = tmp_path / "firm.duckdb"
    process = start_run_all(environment, warehouse, tmp_path)
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line)
        if ": completed in" in line:
            process.send_signal(signal.SIGINT)
            break
    lines += process.stderr.read().splitlines(keepends=True)
    assert process.wait(timeout=60) == 130, lines
    assert any("interrupted by SIGINT" in line for line in lines), lines
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        runs = dict(
            connection.execute("SELECT profile, outcome FROM fortnox_raw.load_runs").fetchall()
        )
    assert "completed" in runs.values()
    # The next run records what the interruption could not and loads every company whole.
    rerun_equals_clean_loads(environment, warehouse, tmp_path, separate_loads)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        outcomes = connection.execute("SELECT outcome FROM fortnox_raw.load_runs").fetchall()
    assert {outcome for (outcome,) in outcomes} <= {"completed", "interrupted", "killed"}
