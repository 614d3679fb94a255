"""Issue 5, reliability: 5xx answers, dropped connections and latency change nothing in the
warehouse; a run that fails changes nothing either, and says so in `load_runs`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt.pipeline.pipeline import Pipeline

from sources.fortnox.retry import RetryPolicy
from sources.fortnox_sandbox.faults import FaultInjector
from tests.pipeline.conftest import (
    FAST_RETRY,
    LoadedCompany,
    Loader,
    business_tables,
    differences,
    make_session,
    query,
    snapshot,
    table_hashes,
)


def test_a_run_against_a_faulty_sandbox_equals_the_clean_load(
    small_load: LoadedCompany, tmp_path: Path
) -> None:
    session = make_session(fault_rate=0.05, latency_ms=5)
    # The books of seed SEED, the fault stream of seed 11: at 5 % it hits this ~20-request run
    # in the middle (the stream of SEED itself happens to spare the first 40 requests).
    session.state.faults = FaultInjector(11, 0.05, 5)
    loader = Loader(session, session.tenants[0], tmp_path, retry=FAST_RETRY)

    summary = loader.run()

    stats = session.control("GET", "/_sandbox/stats")
    assert summary.outcome == "completed"
    assert sum(stats["faults"].values()) > 0  # the run did meet faults, and retried them
    assert summary.requests > small_load.first.requests
    assert loader.duckdb_path is not None
    assert differences(snapshot(loader.duckdb_path), small_load.snapshot) == {}


class FailingTransport(httpx.BaseTransport):
    """The sandbox, except where `fails(request, n)` says the n-th API request fails:
    a `httpx.Response` is answered instead, an exception is raised."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        fails: Callable[[httpx.Request, int], httpx.Response | Exception | None],
    ) -> None:
        self.inner = inner
        self.fails = fails
        self.api_requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/3/"):
            self.api_requests += 1
            failure = self.fails(request, self.api_requests)
            if isinstance(failure, Exception):
                raise failure
            if failure is not None:
                return failure
        return self.inner.handle_request(request)


def always_500_on(path: str) -> Callable[[httpx.Request, int], httpx.Response | None]:
    def fails(request: httpx.Request, _: int) -> httpx.Response | None:
        if request.url.path == path:
            return httpx.Response(500, json={"ErrorInformation": {"message": "down"}})
        return None

    return fails


def raises_on_request(number: int) -> Callable[[httpx.Request, int], Exception | None]:
    def fails(_: httpx.Request, count: int) -> Exception | None:
        return RuntimeError("transport broke") if count == number else None

    return fails


FAILURES = {
    "500 forever on supplier payments": always_500_on("/3/supplierinvoicepayments"),
    "500 forever on the SIE export": always_500_on("/3/sie/4"),
    "transport raises on the 6th request": raises_on_request(6),
}


def without_run_records(hashes: dict[str, str]) -> dict[str, str]:
    """Every table but the run records: `load_runs` and the `_dlt_loads` row of its load."""
    return {
        table: digest
        for table, digest in hashes.items()
        if not table.endswith((".load_runs", "._dlt_loads"))
    }


def loads_other_than_run_records(path: Path) -> list[tuple[object, ...]]:
    """dlt's load records, except those of the loads that wrote `load_runs` rows."""
    return query(
        path,
        "SELECT load_id, status FROM _dlt_loads"
        " WHERE load_id NOT IN (SELECT _dlt_load_id FROM load_runs) ORDER BY load_id",
    )


def test_a_failed_run_leaves_the_warehouse_as_it_was_and_is_recorded(
    small_load: LoadedCompany, tmp_path: Path
) -> None:
    # A first load of the small company (a copy of the session's: the same books, loaded once).
    session, scheduled = small_load.first_load_into(tmp_path / "scheduled")
    tenant = session.tenants[0]
    session.advance(1)  # there is something to load, so a failure has something to lose
    assert scheduled.duckdb_path is not None
    before = table_hashes(scheduled.duckdb_path)
    loads_before = loads_other_than_run_records(scheduled.duckdb_path)

    quick = RetryPolicy(max_retries=2, backoff_base_seconds=0.01, backoff_cap_seconds=0.02)
    for attempt, (name, fails) in enumerate(FAILURES.items(), start=1):
        failing = Loader(
            session,
            tenant,
            tmp_path / "scheduled",
            retry=quick,
            transport=FailingTransport(session.transport, fails),
        )
        with pytest.raises(Exception):  # noqa: B017 - which one depends on the failure
            failing.run()
        after = table_hashes(scheduled.duckdb_path)
        assert without_run_records(after) == without_run_records(before), name
        assert loads_other_than_run_records(scheduled.duckdb_path) == loads_before, name
        runs = query(
            scheduled.duckdb_path,
            "SELECT outcome, error, requests FROM load_runs ORDER BY started_at",
        )
        assert len(runs) == 1 + attempt, name
        outcome, error, requests = runs[-1]
        assert outcome == "failed", name
        assert error, name
        assert requests > 0, name

    # The failures advanced no cursor: the next good run loads what they could not, and the
    # warehouse equals a fresh full load of the same books.
    assert scheduled.run(later_day=True).outcome == "completed"
    fresh = Loader(session, tenant, tmp_path / "fresh", profile="fresh")
    assert fresh.run().outcome == "completed"
    assert fresh.duckdb_path is not None
    assert differences(snapshot(scheduled.duckdb_path), snapshot(fresh.duckdb_path)) == {}
    recorded = query(scheduled.duckdb_path, "SELECT resources FROM load_runs")
    assert all(json.loads(resources) for (resources,) in recorded)


def test_a_run_failing_while_loading_is_recorded_and_finished_by_the_next_run(
    small_load: LoadedCompany, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after extraction (the warehouse went away, the disk filled) leaves a load
    package whose state is already committed locally: it must be recorded as failed, must not
    be loaded behind the user's back by the recording itself, and the next run finishes it."""
    session = make_session()
    loader = Loader(session, session.tenants[0], tmp_path)
    original_load = Pipeline.load
    failures = {"left": 1}

    def load_once_failing(self: Pipeline, *args: object, **kwargs: object) -> object:
        if self.pipeline_name.startswith("fortnox_") and failures["left"]:
            failures["left"] -= 1
            raise OSError("disk full")
        return original_load(self, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "load", load_once_failing)

    with pytest.raises((PipelineStepFailed, OSError)):
        loader.run()

    assert loader.duckdb_path is not None
    assert query(loader.duckdb_path, "SELECT outcome, error FROM load_runs") == [
        ("failed", "OSError: disk full")
    ]
    assert business_tables(loader.duckdb_path) == []  # the first load: nothing was loaded

    assert loader.run().outcome == "completed"
    assert differences(snapshot(loader.duckdb_path), small_load.snapshot) == {}
    assert query(loader.duckdb_path, "SELECT outcome FROM load_runs ORDER BY started_at") == [
        ("failed",),
        ("completed",),
    ]
