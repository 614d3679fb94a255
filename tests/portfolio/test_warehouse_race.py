"""Many small companies loaded side by side into one DuckDB file, from threads of one process.

DuckDB gives every connection of a process to one file the same database instance, made by the
first connection and torn down by the last one closed; a connection opened while another thread
closes the last one fails with "Unique file handle conflict: Cannot attach ... already
attached". `run --all` opens and closes the warehouse many times per company (dlt connects per
step), so one company in a few first loads failed that way. These tests load many tiny
companies at once (in-process sandbox, no rate limit, so the threads do little but open and
close the warehouse) and require every company to complete. Before the warehouse was kept open
for the run, the first test failed that way in most runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from pipelines.pipeline import WarehouseTarget
from pipelines.portfolio import PortfolioResult, run_portfolio
from pipelines.sandbox_session import SandboxSession
from pipelines.warehouse import kept_open, open_warehouse
from sources.fortnox.client import FortnoxClient
from sources.fortnox_sandbox.state import SandboxConfig
from tests.pipeline.conftest import UNPACED
from tests.pipeline.conftest import snapshot as company_rows

COMPANIES = 12


Connect = Callable[[str], tuple[FortnoxClient, str]]
Portfolio = tuple[WarehouseTarget, list[str], Callable[[], Connect]]


@pytest.fixture
def many_small(tmp_path: Path) -> Portfolio:
    """Twelve tiny companies of an in-process sandbox, and how a run connects to each."""
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
    many_small: Portfolio,
) -> None:
    target = many_small[0]
    first = _run(many_small)
    failures = {c.profile: c.error for c in first.companies if c.error}
    assert not failures, failures
    # And the nightly run of each (deletion check and registers due: they read the warehouse
    # while the companies are being fetched).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCES__FORTNOX__REGISTER_REFRESH_HOURS", "0")
        patch.setenv("SOURCES__FORTNOX__DELETE_CHECK_HOURS", "0")
        nightly = _run(many_small)
    failures = {c.profile: c.error for c in nightly.companies if c.error}
    assert not failures, failures
    assert target.duckdb_path is not None
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
