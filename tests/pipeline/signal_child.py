"""The real command line, made to say when it reaches a chosen point, for the signal tests.

Run by `test_signals.py` as `python -m tests.pipeline.signal_child POINT ARGS...`: it prints
`at POINT` when the run gets there and lingers there briefly (inside that step, doing that
step's work around it), so that a signal the test sends on reading the line lands in that step.
Then it runs `fortnox-pipeline ARGS...` unchanged. Points: `fetching` (asking for the second SIE
export), `normalizing` (dlt's normalize step begun), `loading` (a load job done, others not).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from dlt.common.storages.load_package import PackageStorage
from dlt.pipeline.pipeline import Pipeline

from pipelines.cli import app
from sources.fortnox.client import FortnoxClient

LINGER_SECONDS = 0.5


def arrived(point: str) -> None:
    """Say so, once, and stay in this step long enough for the signal to land in it."""
    print(f"at {point}", flush=True)
    time.sleep(LINGER_SECONDS)


def at_second_sie_export() -> None:
    original = FortnoxClient.get_bytes
    calls = {"count": 0}

    def get_bytes(self: FortnoxClient, *args: Any, **kwargs: Any) -> bytes:
        calls["count"] += 1
        if calls["count"] == 2:
            arrived("fetching")
        return original(self, *args, **kwargs)

    FortnoxClient.get_bytes = get_bytes  # type: ignore[method-assign]


def at_normalize() -> None:
    original: Callable[..., Any] = Pipeline.normalize
    seen = {"done": False}

    def normalize(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        if not seen["done"] and not self.pipeline_name.endswith("_runs"):
            seen["done"] = True
            arrived("normalizing")
        return original(self, *args, **kwargs)

    Pipeline.normalize = normalize  # type: ignore[method-assign]


def at_first_completed_job() -> None:
    original = PackageStorage.complete_job
    seen = {"done": False}

    def complete_job(self: PackageStorage, load_id: str, file_name: str) -> str:
        result = original(self, load_id, file_name)
        if not seen["done"] and not file_name.startswith("load_runs."):
            seen["done"] = True
            arrived("loading")
        return result

    PackageStorage.complete_job = complete_job  # type: ignore[method-assign]


POINTS = {
    "fetching": at_second_sie_export,
    "normalizing": at_normalize,
    "loading": at_first_completed_job,
}

if __name__ == "__main__":
    POINTS[sys.argv[1]]()
    app(sys.argv[2:], prog_name="fortnox-pipeline")
