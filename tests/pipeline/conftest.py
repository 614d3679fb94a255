"""Helpers of the pipeline acceptance tests: sandboxes, loads into throwaway warehouses, and
warehouse snapshots that can be compared row for row.

Every load runs the production path (`run_company`, the real client, the real OAuth login)
against an in-process sandbox, so nothing here can reach Fortnox. The sandbox's books are a
function of its seed, so two sandboxes with the same seed serve the same company and a load of
one can be compared with a load of the other.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from pipelines.pipeline import DEFAULT_DATASET, RunSummary, WarehouseTarget, run_company
from pipelines.sandbox_session import SANDBOX_URL, SandboxSession
from sources.fortnox.client import FortnoxClient
from sources.fortnox.pacing import SlidingWindowLimiter
from sources.fortnox.retry import RetryPolicy
from sources.fortnox_sandbox.state import SandboxConfig
from tests.conftest import copy_warehouse

SEED = 1
DATASET = DEFAULT_DATASET

VOLATILE_COLUMNS = frozenset({"seen_at", "loaded_at", "file_sha256", "generated_on"})
"""Columns that say *when* a row was loaded or exported, not what Fortnox holds: two correct
loads differ there. An SIE export's sha256 covers its `#GEN` date, so the same final year
exported on two days has two hashes (and is, correctly, not fetched again)."""

RUN_HISTORY_TABLES = frozenset({"load_runs", "locked_period"})
"""Tables that record each run (append-only history): a re-run adds rows by design."""

UNPACED = (100_000, 1.0)
"""A pacing window no test run can fill."""

FAST_RETRY = RetryPolicy(backoff_base_seconds=0.01, backoff_cap_seconds=0.05)
"""Real retries with short waits, so fault tests exercise the retry path in well under a minute."""


@pytest.fixture(autouse=True, scope="session")
def _quiet_dlt() -> None:
    """dlt warns once per SIE table that Arrow and dlt hints differ; the tests check the types."""
    logging.getLogger("dlt").setLevel(logging.ERROR)


def make_session(
    *,
    scale: str = "small",
    companies: int = 1,
    seed: int = SEED,
    rate_limit: tuple[int, float] | None = None,
    fault_rate: float = 0.0,
    latency_ms: int = 0,
) -> SandboxSession:
    """An in-process sandbox; no rate limit by default (request counts do not depend on it)."""
    return SandboxSession(
        SandboxConfig(
            seed=seed,
            scale=scale,
            companies=companies,
            rate_limit=rate_limit,
            fault_rate=fault_rate,
            latency_ms=latency_ms,
        )
    )


@dataclass
class Loader:
    """One company's warehouse, token profile and dlt working dir in a directory of its own."""

    session: SandboxSession
    tenant: int
    workdir: Path
    profile: str = "acceptance"
    retry: RetryPolicy | None = None
    transport: httpx.BaseTransport | None = None
    duckdb_path: Path | None = None
    pipelines_dir: Path | None = None  # None: the warehouse's own working folder beside it
    summaries: list[RunSummary] = field(default_factory=list)
    _client: FortnoxClient | None = None

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.duckdb_path is None:
            self.duckdb_path = self.workdir / "fortnox.duckdb"

    @property
    def token_dir(self) -> Path:
        """Where the profile's token file lives."""
        return self.workdir / "tokens"

    @property
    def target(self) -> WarehouseTarget:
        """The warehouse of this loader; its working folder is the default one beside it."""
        assert self.duckdb_path is not None
        return WarehouseTarget(duckdb_path=self.duckdb_path, pipelines_dir=self.pipelines_dir)

    @property
    def client(self) -> FortnoxClient:
        """The production client, logged in through the sandbox's consent page (once)."""
        if self._client is None:
            auth = self.session.login(
                tenant=self.tenant, token_dir=self.token_dir, profile=self.profile
            )
            # The sandbox's own limit when it has one; none otherwise (requests are counted,
            # not timed, and pacing 200 opt-in detail requests would take 40 s).
            window = self.session.config.rate_limit or UNPACED
            self._client = FortnoxClient(
                auth,
                base_url=SANDBOX_URL,
                transport=self.transport or self.session.transport,
                rate=window,
                limiter=SlidingWindowLimiter(window[0], window[1]),
                retry=self.retry,
            )
        return self._client

    def run(self, *, later_day: bool = False, **options: Any) -> RunSummary:
        """One `run_company` of this loader's company into its warehouse.

        Args:
            later_day: the run stands for a run on a later day (after `session.advance`), as a
                nightly run is: the daily work (registers without `lastmodified`, the deletion
                check) is due, though the wall clock moved only seconds.
        """
        with pytest.MonkeyPatch.context() as patch:
            if later_day:
                patch.setenv("SOURCES__FORTNOX__REGISTER_REFRESH_HOURS", "0")
                patch.setenv("SOURCES__FORTNOX__DELETE_CHECK_HOURS", "0")
            summary = run_company(
                self.client,
                company_id=str(self.tenant),
                profile=self.profile,
                target=self.target,
                **options,
            )
        self.summaries.append(summary)
        return summary


def api_requests(session: SandboxSession) -> Counter[str]:
    """`/3/` requests the sandbox answered, per endpoint template (token requests excluded)."""
    stats = session.control("GET", "/_sandbox/stats")
    return Counter({name: count for name, count in stats["requests"].items() if " /3/" in name})


def business_tables(path: Path) -> list[str]:
    """The dataset's tables that hold Fortnox data (not dlt's bookkeeping, not run history)."""
    with duckdb.connect(str(path), read_only=True) as connection:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?"
                " ORDER BY 1",
                [DATASET],
            ).fetchall()
        ]
    return [
        name for name in names if not name.startswith("_dlt") and name not in RUN_HISTORY_TABLES
    ]


def snapshot(path: Path, company_id: str | None = None) -> dict[str, Counter[tuple[Any, ...]]]:
    """Every business table as a multiset of rows over its sorted non-volatile columns.

    A multiset, not a set: a duplicated row must show. dlt's own columns (`_dlt_id`,
    `_dlt_load_id`) and load times differ between two correct loads and are left out.
    Columns that are null in every row are left out too: a column dlt created for a hint
    (or for a field seen in an earlier version of a record) says nothing about the data.
    """
    tables: dict[str, Counter[tuple[Any, ...]]] = {}
    with duckdb.connect(str(path), read_only=True) as connection:
        for table in business_tables(path):
            columns = [
                row[0]
                for row in connection.execute(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_schema = ? AND table_name = ? ORDER BY column_name",
                    [DATASET, table],
                ).fetchall()
                if not row[0].startswith("_dlt") and row[0] not in VOLATILE_COLUMNS
            ]
            where = ""
            params: list[Any] = []
            if company_id is not None and "company_id" in columns:
                where, params = " WHERE company_id = ?", [company_id]
            counts = connection.execute(
                "SELECT "
                + ", ".join(f'count("{c}")' for c in columns)
                + f" FROM {_qualified(connection, table)}{where}",
                params,
            ).fetchone()
            assert counts is not None
            present = [column for column, count in zip(columns, counts, strict=True) if count]
            if not present:
                tables[table] = Counter()
                continue
            rows = connection.execute(
                "SELECT "
                + ", ".join(f'"{c}"' for c in present)
                + f" FROM {_qualified(connection, table)}{where}",
                params,
            ).fetchall()
            tables[table] = Counter(
                (tuple(present), *row)
                for row in rows  # column names travel with the values
            )
    return tables


def differences(
    actual: dict[str, Counter[tuple[Any, ...]]], expected: dict[str, Counter[tuple[Any, ...]]]
) -> dict[str, str]:
    """Per table, a short description of how two snapshots differ (empty when equal)."""
    found: dict[str, str] = {}
    for table in sorted(set(actual) | set(expected)):
        mine, theirs = actual.get(table, Counter()), expected.get(table, Counter())
        if mine == theirs:
            continue
        extra, missing = mine - theirs, theirs - mine
        sample = next(iter(extra or missing))
        found[table] = (
            f"{sum(extra.values())} extra, {sum(missing.values())} missing"
            f" of {sum(theirs.values())}; e.g. {'extra' if extra else 'missing'} {sample!r:.300}"
        )
    return found


def _catalog(connection: duckdb.DuckDBPyConnection) -> str:
    """The file's catalog name (its stem): `fortnox.duckdb` has a catalog and a schema named
    `fortnox`, so a bare `fortnox.t` is ambiguous."""
    row = connection.execute("SELECT current_database()").fetchone()
    assert row is not None
    return str(row[0])


def _qualified(connection: duckdb.DuckDBPyConnection, table: str) -> str:
    return f'"{_catalog(connection)}"."{DATASET}"."{table}"'


def table_hashes(path: Path) -> dict[str, str]:
    """A sha256 of every table of the dataset, every column, in a fixed row order: the exact
    contents, dlt's own bookkeeping included."""
    hashes: dict[str, str] = {}
    with duckdb.connect(str(path), read_only=True) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT table_schema || '.' || table_name FROM information_schema.tables"
                " WHERE table_catalog = current_database() ORDER BY 1"
            ).fetchall()
        ]
        for table in tables:
            schema, name = table.split(".", 1)
            rows = connection.execute(
                f'SELECT * FROM "{_catalog(connection)}"."{schema}"."{name}"'
            ).fetchall()
            digest = hashlib.sha256()
            for row in sorted(repr(row) for row in rows):
                digest.update(row.encode())
            hashes[table] = digest.hexdigest()
    return hashes


def query(path: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Rows of one read-only query against a warehouse file; bare table names are the dataset's."""
    with duckdb.connect(str(path), read_only=True) as connection:
        connection.execute(f'USE "{_catalog(connection)}"."{DATASET}"')  # bare names: the dataset
        return connection.execute(sql, params or []).fetchall()


def trial_balance(path: Path, company_id: str, financial_year_id: int) -> dict[str, Decimal]:
    """Closing balance per account: the year's opening balance (#IB) plus its #TRANS rows.

    #RTRANS/#BTRANS rows are the audit trail of corrections: an added row also appears as
    #TRANS and a struck row does not count, so they stay out of balances.
    """
    balances: dict[str, Decimal] = defaultdict(Decimal)
    opening = query(
        path,
        "SELECT account_number, amount FROM sie_balances"
        " WHERE company_id = ? AND financial_year_id = ? AND record = 'IB'"
        " AND year_index = 0 AND object_id IS NULL",
        [company_id, financial_year_id],
    )
    movements = query(
        path,
        "SELECT account_number, sum(amount) FROM sie_voucher_rows"
        " WHERE company_id = ? AND financial_year_id = ? AND row_type = 'TRANS'"
        " GROUP BY account_number",
        [company_id, financial_year_id],
    )
    for account, amount in [*opening, *movements]:
        balances[str(account)] += amount
    return {account: amount for account, amount in balances.items() if amount != 0}


@dataclass
class LoadedCompany:
    """A sandbox, a first load of its company, and what that load cost and produced."""

    session: SandboxSession
    loader: Loader
    first: RunSummary
    first_requests: Counter[str]
    snapshot: dict[str, Counter[tuple[Any, ...]]]
    pristine: Path
    """A copy of the warehouse and its working folder right after the first load (later runs
    of other tests against `loader` leave it as it was)."""

    def first_load_into(self, workdir: Path) -> tuple[SandboxSession, Loader]:
        """What `make_session()` and a first `Loader(session, tenant, workdir).run()` give, without
        loading again: a new sandbox of the same seed (the same books, ready to advance on its
        own), and a loader whose warehouse and working folder are copies of the first load's.
        The loader logs in to the new sandbox when it first needs its client."""
        session = make_session()
        loader = Loader(session, session.tenants[0], workdir)
        assert loader.duckdb_path is not None and loader.tenant == self.loader.tenant
        copy_warehouse(self.pristine / WAREHOUSE_NAME, loader.duckdb_path)
        return session, loader


WAREHOUSE_NAME = "fortnox.duckdb"


def load_small_company(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadedCompany]:
    """The reference: a clean first load of the `small` company of seed `SEED`.

    The `small_load` fixture (`tests/conftest.py`, one per worker for every folder of tests);
    its snapshot is taken right after the load, so later runs against the same warehouse cannot
    change the reference.
    """
    session = make_session()
    loader = Loader(session, session.tenants[0], tmp_path_factory.mktemp("small_load"))
    first = loader.run()
    assert loader.duckdb_path is not None and loader.duckdb_path.name == WAREHOUSE_NAME
    pristine = tmp_path_factory.mktemp("small_load_pristine")
    copy_warehouse(loader.duckdb_path, pristine / WAREHOUSE_NAME)
    yield LoadedCompany(
        session=session,
        loader=loader,
        first=first,
        first_requests=api_requests(session),
        snapshot=snapshot(loader.duckdb_path),
        pristine=pristine,
    )
    loader.client.close()
