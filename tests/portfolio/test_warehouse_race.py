"""Many small companies loaded side by side into one DuckDB file, from threads of one process.

DuckDB gives every connection of a process to one file the same database instance, made by the
first connection and torn down by the last one closed; a connection opened while another thread
closes the last one fails with "Unique file handle conflict: Cannot attach ... already
attached" (the second test shows the mechanism). `run --all` opens and closes the warehouse
many times per company (dlt connects per step), all of it in the company's turn but for the
deletion check, which read the warehouse while its company was being fetched: a small company's
first load failed that way in two portfolio runs of three. Now the run keeps the warehouse open
throughout (`kept_open`) and every opening by a company is in its turn; the first test loads
tiny companies at once (in-process sandbox, no rate limit): every company completes, and the
deletion check reads in its company's turn (before the fix it did not: that part fails there).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.pipeline import WarehouseTarget
from pipelines.portfolio import PortfolioResult, WarehouseTurns, run_portfolio
from pipelines.sandbox_session import SandboxSession
from pipelines.warehouse import kept_open, open_warehouse
from sources.fortnox import resources_registers as registers
from sources.fortnox.client import FortnoxClient
from sources.fortnox_sandbox.state import SandboxConfig
from tests.pipeline.conftest import UNPACED
from tests.pipeline.conftest import snapshot as company_rows

COMPANIES = 6


Connect = Callable[[str], tuple[FortnoxClient, str]]
Portfolio = tuple[WarehouseTarget, list[str], Callable[[], Connect]]


@pytest.fixture
def many_small(tmp_path: Path) -> Portfolio:
    """Six tiny companies of an in-process sandbox, and how a run connects to each."""
    session = SandboxSession(SandboxConfig(sizes=(50,) * COMPANIES, rate_limit=None))
    tenants = {f"company{index:02d}": tenant for index, tenant in enumerate(session.tenants)}

    def connector() -> Connect:
        # Logged in one by one before the run (a run closes its clients at the end).
        clients = {
            profile: (
                session.client(
                    tenant=tenant, token_dir=tmp_path / "tokens", profile=profile, rate=UNPACED
                ),
                str(tenant),
            )
            for profile, tenant in tenants.items()
        }
        return clients.__getitem__

    return WarehouseTarget(duckdb_path=tmp_path / "firm.duckdb"), list(tenants), connector


def _run(many_small: Portfolio) -> PortfolioResult:
    target, profiles, connector = many_small
    return run_portfolio(
        profiles, connect=connector(), target=target, classify=lambda error: 1, parallel=COMPANIES
    )


@pytest.mark.slow
@pytest.mark.timeout(1200)  # minutes on a 2-core machine shared with other work
def test_many_small_companies_side_by_side_all_complete(
    many_small: Portfolio, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = many_small[0]
    assert target.duckdb_path is not None
    turns: list[WarehouseTurns] = []
    make_turns = WarehouseTurns.__init__

    def registered(self: WarehouseTurns) -> None:
        make_turns(self)
        turns.append(self)

    outside: list[str] = []
    loaded_keys = registers._loaded_keys

    def watched(*args: Any, **kwargs: Any) -> Any:
        # The deletion check reads the warehouse while its company is being fetched, from one
        # of dlt's extract threads: it must do so in the company's turn, as every other read.
        if not any(turn._lock._is_owned() for turn in turns):  # type: ignore[attr-defined]
            outside.append(threading.current_thread().name)
        return loaded_keys(*args, **kwargs)

    monkeypatch.setattr(WarehouseTurns, "__init__", registered)
    monkeypatch.setattr(registers, "_loaded_keys", watched)
    first = _run(many_small)
    failures = {c.profile: c.error for c in first.companies if c.error}
    assert not failures, failures
    assert outside == [], "the warehouse was read outside the company's turn"
    for company in first.companies:
        assert company.company_id is not None
        assert any(company_rows(target.duckdb_path, company.company_id).values())


def test_openings_racing_the_last_close_share_the_kept_instance(tmp_path: Path) -> None:
    """The mechanism itself: threads opening and closing one file, with and without a keeper."""
    path = tmp_path / "w.duckdb"
    with open_warehouse(path) as connection:
        connection.execute("CREATE TABLE t AS SELECT range AS i FROM range(10000)")

    def hammer(errors: list[str]) -> None:
        for _ in range(150):
            try:
                with open_warehouse(path) as connection:
                    connection.execute("SELECT count(*) FROM t").fetchall()
            except duckdb.Error as error:
                errors.append(str(error))

    def race() -> list[str]:
        errors: list[str] = []
        threads = [threading.Thread(target=hammer, args=(errors,)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return errors

    with kept_open(path):
        assert race() == []
