"""A firm's whole portfolio in one run: companies fetched side by side, written one at a time.

Fortnox limits requests per company and app (25 per 5 s), so an accounting firm's companies
can be fetched in parallel, each under its own limiter (one `FortnoxClient` per profile, each
with its tenant's window). The warehouse has one writer: every step of a company's run that
reads or writes it takes the portfolio's *turn* (`WarehouseTurns`), while fetching and
normalising never wait for it. Each company runs the same unit as `run --profile`
(`run_company`); one failing never stops the others, and every company's run is recorded in
`load_runs`, a run that could not even start (a revoked login) included (`refused`).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pipelines.exit_codes import ExitCode
from pipelines.pipeline import (
    RunSummary,
    WarehouseTarget,
    record_refused_run,
    run_company,
    unwrap,
)
from pipelines.warehouse import kept_open
from sources.fortnox.client import FortnoxClient
from sources.fortnox.records import STOCKHOLM

DEFAULT_PARALLEL = 4
"""Companies in flight at once (`--parallel`). A company's run mostly waits, on its own rate
limit (5 requests a second) and on the warehouse turn, so twice as many companies as the two
cores of a small server keep both busy, while few enough that the CPU-heavy parts (SIE
parsing, normalising) of a large company are not starved by many small ones."""

SEVERITY: tuple[ExitCode, ...] = (
    ExitCode.OK,
    ExitCode.API_UNAVAILABLE,
    ExitCode.NOT_FOUND,
    ExitCode.AUTH_NEEDED,
    ExitCode.SCOPE_MISSING,
    ExitCode.BAD_INPUT,
    ExitCode.DATA_CHECK_FAILED,
    ExitCode.WAREHOUSE_BUSY,
    ExitCode.ERROR,
)
"""Exit codes from least to most severe, for the one code of a portfolio run.

Fortnox being unavailable passes by itself (the next night's run catches up); a login, a scope
or a missing company needs someone to act for that company; bad configuration and failed data
checks concern the run or the warehouse as a whole; a busy warehouse stopped every company; an
unexpected error is a defect and outranks everything.
"""


def most_severe(codes: Sequence[int]) -> int:
    """The most severe of several exit codes (0 when there are none)."""
    rank = {int(code): index for index, code in enumerate(SEVERITY)}
    return max(codes, key=lambda code: rank.get(int(code), len(SEVERITY)), default=0)


class Stage(StrEnum):
    """Where one company's run is, as the progress display shows it."""

    queued = "queued"
    connecting = "connecting"
    fetching = "fetching"
    waiting = "waiting for the warehouse"
    writing = "writing"
    completed = "completed"
    failed = "failed"
    not_started = "not started"


@dataclass
class CompanyRun:
    """One company of a portfolio run: what it is doing now and, at the end, what it did."""

    profile: str
    company_id: str | None = None
    stage: Stage = Stage.queued
    exit_code: int = 0
    error: str | None = None
    summary: RunSummary | None = None
    client: FortnoxClient | None = field(default=None, repr=False)
    rows: dict[str, int] = field(default_factory=dict)
    started: float | None = None
    ended: float | None = None
    run_id: str | None = None

    @property
    def done(self) -> bool:
        """Whether the company's run is over, however it ended."""
        return self.stage in (Stage.completed, Stage.failed, Stage.not_started)

    @property
    def requests(self) -> int:
        """Requests sent for this company so far (its client counts them)."""
        if self.summary is not None:
            return self.summary.requests
        return self.client.stats.total_requests if self.client is not None else 0

    @property
    def throttled(self) -> int:
        """429 answers this company got so far."""
        if self.summary is not None:
            return sum(metrics.throttled for metrics in self.summary.resources.values())
        return self.client.stats.total_rate_limited if self.client is not None else 0

    @property
    def row_count(self) -> int:
        """Rows extracted (and, once completed, loaded) so far."""
        if self.summary is not None:
            return self.summary.rows
        return sum(self.rows.values())

    @property
    def seconds(self) -> float:
        """Wall time of the company's run so far."""
        if self.started is None:
            return 0.0
        ended = self.ended if self.ended is not None else time.monotonic()
        return ended - self.started

    def as_json(self) -> dict[str, Any]:
        """The company's line of the `-o json` summary."""
        return {
            "profile": self.profile,
            "company_id": self.company_id,
            "outcome": self.stage.value,
            "exit_code": self.exit_code,
            "error": self.error,
            "requests": self.requests,
            "throttled": self.throttled,
            "rows": self.row_count,
            "seconds": round(self.seconds, 2),
            "run_id": self.run_id,
        }


@dataclass
class PortfolioResult:
    """Every company's run, in the order the profiles were given."""

    companies: list[CompanyRun]
    parallel: int
    seconds: float
    warehouse_wait_seconds: float

    @property
    def exit_code(self) -> int:
        """0 only when every company completed, else the most severe code among them."""
        return most_severe([company.exit_code for company in self.companies])

    def as_json(self) -> dict[str, Any]:
        """The `run --all -o json` document."""
        return {
            "outcome": "completed" if self.exit_code == 0 else "failed",
            "exit_code": self.exit_code,
            "parallel": self.parallel,
            "seconds": round(self.seconds, 2),
            "requests": sum(company.requests for company in self.companies),
            "rows": sum(company.row_count for company in self.companies),
            "companies": [company.as_json() for company in self.companies],
        }


class WarehouseTurns:
    """One company at a time in the warehouse (DuckDB has one writer; dlt's staging tables
    are shared by every company of a dataset), fetching never waiting for it.

    The lock is re-entrant so that a step inside a turn may take it again.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._wait_lock = threading.Lock()
        self.waited_seconds = 0.0

    @contextlib.contextmanager
    def turn(self, company: CompanyRun | None = None) -> Iterator[None]:
        """Hold the warehouse for one step of one company's run."""
        previous = company.stage if company is not None else None
        if company is not None and previous is Stage.fetching:
            company.stage = Stage.waiting
        asked = time.monotonic()
        with self._lock:
            with self._wait_lock:
                self.waited_seconds += time.monotonic() - asked
            if company is not None and previous is Stage.fetching:
                company.stage = Stage.writing
            try:
                yield
            finally:
                if company is not None and previous is Stage.fetching:
                    company.stage = Stage.fetching

    def for_company(
        self, company: CompanyRun
    ) -> Callable[[], contextlib.AbstractContextManager[None]]:
        """The `warehouse_turn` of one company's `run_company`."""
        return lambda: self.turn(company)


Connect = Callable[[str], tuple[FortnoxClient, str]]
"""Opens a profile's client and finds its company's DatabaseNumber (may raise)."""

Classify = Callable[[BaseException], int]
"""The exit code of a failure (the command line's mapping)."""


def run_portfolio(
    profiles: Sequence[str],
    *,
    connect: Connect,
    target: WarehouseTarget,
    classify: Classify,
    parallel: int = DEFAULT_PARALLEL,
    on_change: Callable[[CompanyRun], None] | None = None,
    stop: threading.Event | None = None,
    tenant_of: Callable[[str], str | None] | None = None,
    **options: Any,
) -> PortfolioResult:
    """Load every profile's company into one warehouse, `parallel` companies at a time.

    Args:
        profiles: the companies' token profiles, in the order they are reported.
        connect: opens a profile's client and says which company it is.
        target: the one warehouse every company loads into.
        classify: the exit code of a failed company (`run`'s mapping, so that the codes are
            those of `run --profile`).
        parallel: companies in flight at once.
        on_change: told when a company starts, changes stage or ends (progress display).
        stop: set to start no further company (Ctrl-C); companies in flight finish.
        tenant_of: a profile's DatabaseNumber without asking Fortnox (from its token file),
            to record a run that could not start against the right company.
        options: passed to every company's `run_company` (resources, full_refresh, ...).

    Returns:
        Every company's outcome; the portfolio never raises for a company's failure.
    """
    if parallel < 1:
        raise ValueError("parallel must be at least 1")
    companies = [CompanyRun(profile=profile) for profile in profiles]
    turns = WarehouseTurns()
    claimed: dict[str, str] = {}
    claims = threading.Lock()
    started = time.monotonic()
    tell = on_change or (lambda company: None)

    def one(company: CompanyRun) -> None:
        company.started = time.monotonic()
        started_at = datetime.now(STOCKHOLM)
        company.stage = Stage.connecting
        tell(company)
        began_run = False
        try:
            client, company_id = connect(company.profile)
            company.client, company.company_id = client, company_id
            with claims:
                other = claimed.setdefault(company_id, company.profile)
            if other != company.profile:
                raise SameCompanyError(company.profile, other, company_id)
            company.stage = Stage.fetching
            tell(company)
            began_run = True
            company.summary = run_company(
                client,
                company_id=company_id,
                profile=company.profile,
                target=target,
                on_rows=lambda resource, rows: company.rows.__setitem__(resource, rows),
                warehouse_turn=turns.for_company(company),
                **options,
            )
            company.run_id = company.summary.run_id
            company.stage = Stage.completed
        except Exception as error:
            company.stage = Stage.failed
            company.exit_code = int(classify(error))
            root = unwrap(error)
            company.error = str(root) or type(root).__name__
            if not began_run:
                company.company_id = company.company_id or (
                    tenant_of(company.profile) if tenant_of else None
                )
                with turns.turn():  # never raises: the company's own error is what counts
                    record_refused_run(
                        target,
                        profile=company.profile,
                        started_at=started_at,
                        error=error,
                        company_id=company.company_id,
                    )
        finally:
            company.ended = time.monotonic()
            if company.client is not None:
                company.client.close()
            tell(company)

    # One DuckDB instance for the whole run (see `kept_open`): the companies' threads open and
    # close the file many times, and an opening racing the last close fails.
    keeper = (
        kept_open(target.duckdb_path)
        if target.duckdb_path is not None
        else contextlib.nullcontext()
    )
    with keeper, ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="company") as pool:
        pending: dict[Future[None], CompanyRun] = {}
        queue = list(companies)
        while queue or pending:
            while queue and len(pending) < parallel and not (stop and stop.is_set()):
                company = queue.pop(0)
                pending[pool.submit(one, company)] = company
            if stop is not None and stop.is_set():
                for company in queue:
                    company.stage = Stage.not_started
                    company.exit_code = int(ExitCode.ERROR)
                    company.error = "interrupted before this company started"
                    tell(company)
                queue.clear()
            if not pending:
                break
            finished, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                del pending[future]
                future.result()  # `one` never raises; a defect there must not pass unseen
    return PortfolioResult(
        companies=companies,
        parallel=parallel,
        seconds=time.monotonic() - started,
        warehouse_wait_seconds=turns.waited_seconds,
    )


class SameCompanyError(Exception):
    """Two profiles of one portfolio run log in to the same company."""

    def __init__(self, profile: str, other: str, company_id: str) -> None:
        super().__init__(
            f"profiles {other!r} and {profile!r} are the same company ({company_id}); "
            f"it was loaded once, through {other!r}"
        )
