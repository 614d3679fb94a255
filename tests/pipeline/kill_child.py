"""A load in a process of its own, which can SIGKILL itself during a chosen dlt step.

Run by `test_sigkill.py` as `python -m tests.pipeline.kill_child WORKDIR SEED PHASE DELAY`.
The child starts an in-process sandbox with a fixed seed (so every child serves the same
books), logs in with a fresh token profile (a new sandbox knows no earlier tokens) and runs
`run_company` into WORKDIR. With PHASE `extract`, `normalize` or `load` it kills itself DELAY
seconds after that step starts; with `job:TABLE` right after a load job of TABLE committed and
before dlt recorded it; with `sie:N` as it asks for the N-th SIE export; with `followup` as a
merge's SQL job moves from the temporary directory into its package; with `record` as the
run's `load_runs` row is about to commit. Always a real SIGKILL:
nothing flushed, no `finally` runs (or, given a sixth argument, a pause there; see `ACTION`).
It prints one line per step it enters and, when it survives, a JSON summary.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dlt.common.storages.load_package import PackageStorage
from dlt.pipeline.pipeline import Pipeline

from pipelines.pipeline import WarehouseTarget, run_company
from pipelines.sandbox_session import SandboxSession
from sources.fortnox.client import FortnoxClient
from sources.fortnox_sandbox.state import SandboxConfig

STEPS = ("extract", "normalize", "load")

ACTION = {"stop": lambda: os.kill(os.getpid(), signal.SIGKILL)}
"""What happens at the chosen point: SIGKILL by default; `pause` (6th argument: a file) waits
there until that file exists, so a test can act while the run holds the warehouse."""


def pause_until(resume_file: Path) -> None:
    """Say so, then wait at this point of the run until `resume_file` exists."""
    print("paused", flush=True)
    while not resume_file.exists():
        time.sleep(0.02)


def arm_kill(phase: str, delay: float) -> None:
    """SIGKILL this process `delay` seconds after the first entry into dlt step `phase`."""
    armed = {"done": False}

    def wrap(step: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def entered(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
            print(f"step {step}", flush=True)
            if step == phase and not armed["done"]:
                armed["done"] = True
                if "pause" in ACTION:  # the step itself waits (a timer thread would not)
                    ACTION["stop"]()
                else:
                    timer = threading.Timer(delay, ACTION["stop"])
                    timer.daemon = True
                    timer.start()
            return original(self, *args, **kwargs)

        return entered

    for step in STEPS:
        setattr(Pipeline, step, wrap(step, getattr(Pipeline, step)))


def arm_kill_at_job(table: str) -> None:
    """SIGKILL this process when dlt is about to mark a load job of `table` complete: the job's
    statement has run and committed, dlt's record of it has not (the at-least-once window)."""
    original = PackageStorage.complete_job

    def complete_job(self: PackageStorage, load_id: str, file_name: str) -> str:
        if file_name.startswith(f"{table}."):
            print(f"job {file_name}", flush=True)
            ACTION["stop"]()
        return original(self, load_id, file_name)

    PackageStorage.complete_job = complete_job  # type: ignore[method-assign]


def arm_kill_at_followup_job() -> None:
    """SIGKILL this process as dlt moves a follow-up job (a merge's SQL, written to the
    temporary directory first) into its package: the file is written, not yet moved."""
    original = PackageStorage.import_job

    def import_job(
        self: PackageStorage, load_id: str, job_file_path: str, *args: Any, **kwargs: Any
    ) -> None:
        if job_file_path.endswith(".sql"):
            print(f"followup {Path(job_file_path).name}", flush=True)
            ACTION["stop"]()
        original(self, load_id, job_file_path, *args, **kwargs)

    PackageStorage.import_job = import_job  # type: ignore[method-assign]


def arm_kill_at_sie_export(number: int) -> None:
    """SIGKILL this process as it asks for its `number`-th SIE export: in the middle of
    extraction, with earlier years' rows already written to the package being built."""
    original = FortnoxClient.get_bytes
    calls = {"count": 0}

    def get_bytes(self: FortnoxClient, *args: Any, **kwargs: Any) -> bytes:
        calls["count"] += 1
        if calls["count"] == number:
            print(f"sie {number}", flush=True)
            ACTION["stop"]()
        return original(self, *args, **kwargs)

    FortnoxClient.get_bytes = get_bytes  # type: ignore[method-assign]


def arm_kill_at_record() -> None:
    """SIGKILL this process as its run's `load_runs` row is about to commit: inserted in the
    recording's open transaction, not committed."""
    from pipelines import run_journal

    original = run_journal.append_load_runs

    def append_load_runs(connection: Any, dataset: str, rows: Any, **options: Any) -> None:
        class Committing:
            def __getattr__(self, name: str) -> Any:
                return getattr(connection, name)

            def execute(self, statement: str, *args: Any) -> Any:
                if statement == "COMMIT":
                    print("record", flush=True)
                    ACTION["stop"]()
                return connection.execute(statement, *args)

        original(Committing(), dataset, rows, **options)

    run_journal.append_load_runs = append_load_runs  # type: ignore[assignment]


def main(
    workdir: Path, seed: int, phase: str, delay: float, resume_file: Path | None = None
) -> None:
    if resume_file is not None:
        ACTION["stop"] = ACTION["pause"] = lambda: pause_until(resume_file)
    if phase.startswith("job:"):
        arm_kill_at_job(phase.removeprefix("job:"))
    elif phase.startswith("sie:"):
        arm_kill_at_sie_export(int(phase.removeprefix("sie:")))
    elif phase == "followup":
        arm_kill_at_followup_job()
    elif phase == "record":
        arm_kill_at_record()
    elif phase != "none":
        arm_kill(phase, delay)
    session = SandboxSession(SandboxConfig(seed=seed, scale="small", rate_limit=None))
    tenant = session.tenants[0]
    client = session.client(
        tenant=tenant, token_dir=workdir / f"tokens-{os.getpid()}", profile="killable"
    )
    summary = run_company(
        client,
        company_id=str(tenant),
        profile="killable",
        target=WarehouseTarget(duckdb_path=workdir / "fortnox.duckdb"),
    )
    print(
        json.dumps(
            {
                "outcome": summary.outcome,
                "requests": summary.requests,
                "rows": {name: metrics.rows for name, metrics in summary.resources.items()},
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main(
        Path(sys.argv[1]),
        int(sys.argv[2]),
        sys.argv[3],
        float(sys.argv[4]),
        Path(sys.argv[5]) if len(sys.argv) > 5 else None,
    )
