"""What the whole suite shares: the demo warehouse, and which files run on one worker.

The default run spreads whole files over the workers (`--dist loadfile`), and a session fixture
is built once per worker. A few fixtures cost a sandbox, loads and a dbt build (tens of seconds):
the files that use them are kept together, so each is built once per run, not once per worker.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

if TYPE_CHECKING:
    from tests.pipeline.conftest import LoadedCompany

ROOT = Path(__file__).resolve().parents[1]

SHARED_SETUP = {
    # `demo` (a sandbox, two loads, the models): the MCP tools' warehouse and `demo`'s own test.
    "tests/mcp/": "demo",
    "tests/cli/test_run_cli.py": "demo",
    # A default `run` of a served sandbox (models included), and that sandbox.
    "tests/audit/": "audit",
    # A served sandbox of three companies and a separate load of each (package fixtures).
    "tests/portfolio/": "portfolio",
    # The models built over each sample SIE file (`sie_sample_book`, 17 builds).
    "tests/models/test_sie_samples.py": "sie samples",
    "tests/models/test_statements.py": "sie samples",
    # The models built over sandbox seed 3's company (`seed3_warehouse`).
    "tests/models/test_sandbox_truth.py": "seed 3",
    "tests/models/test_close_report.py": "seed 3",
    "tests/dbt/test_postgres.py": "seed 3",
}
"""Path prefix (from the root) → the unit of work its files run in, on one worker."""


HEAVY_FIRST = (
    "shared setup: portfolio",
    "shared setup: demo",
    "shared setup: audit",
    "shared setup: sie samples",
    "shared setup: seed 3",
    "tests/pipeline/",
    "tests/sie/test_shared_warehouse.py",
    "tests/dbt/",
    "tests/cli/",
    "tests/sie/",
    "tests/models/",
)
"""Units handed out first, in this order: end-to-end loads (tens of seconds a test) before the
many quick unit tests, so both workers finish together instead of one ending on a long file.
Within a place, and after these, units with more tests go first (xdist's own order)."""


def shared_unit(scope: str) -> str:
    """The unit of work of a test file: its group in `SHARED_SETUP`, else the file itself."""
    for prefix, unit in SHARED_SETUP.items():
        if scope.startswith(prefix):
            return f"shared setup: {unit}"
    return scope


@pytest.hookimpl(optionalhook=True)  # `-p no:xdist` runs without the hook
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadfile`, with the files of each `SHARED_SETUP` group as one unit."""
    if config.getvalue("dist") != "loadfile":
        return None  # xdist's own scheduler for any other --dist
    from xdist.scheduler import LoadFileScheduling

    class SharedSetupScheduling(LoadFileScheduling):
        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            return shared_unit(super()._split_scope(nodeid))

        def _assign_work_unit(self, node: Any) -> None:
            if not self.ordered:  # the queue is complete before the first unit leaves it
                self.ordered = True
                units = sorted(self.workqueue.items(), key=lambda unit: _weight(*unit))
                self.workqueue.clear()
                self.workqueue.update(units)
            super()._assign_work_unit(node)

    return SharedSetupScheduling(config, log)


def _weight(unit: str, tests: dict[str, bool]) -> tuple[int, int]:
    place = next(
        (index for index, prefix in enumerate(HEAVY_FIRST) if unit.startswith(prefix)),
        len(HEAVY_FIRST),
    )
    return place, -len(tests)


@dataclass(frozen=True)
class Demo:
    """`fortnox-pipeline demo --dir DIRECTORY` as a user runs it: its exit code and output."""

    directory: Path
    exit_code: int
    output: str

    @property
    def warehouse(self) -> Path:
        return self.directory / "fortnox.duckdb"


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """One `demo` per worker (sandbox, OAuth login, two loads, the models); nothing writes to
    its folder afterwards: a test that changes the warehouse works on a copy."""
    import os

    from pipelines.cli import app

    directory = tmp_path_factory.mktemp("demo") / "demo"
    previous = Path.cwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(
            app, ["demo", "--dir", str(directory)], env={"RUNTIME__LOG_LEVEL": "ERROR"}
        )
    finally:
        os.chdir(previous)
    return Demo(directory, result.exit_code, result.output)


@dataclass(frozen=True)
class SandboxWarehouse:
    """A sandbox company's raw tables (`tests/models/sandbox_tables.py`) with the models built
    as of its business date, in `fortnox.duckdb` of a folder of its own. Read-only for its
    tests: a test that writes, or runs a command on it, works on a copy (`copy_into`)."""

    path: Path
    company_id: str
    business_date: date
    truth: dict[str, Any]
    report: Any  # the build's `BuildReport`

    def copy_into(self, directory: Path) -> Path:
        """A private copy, file and working folder (dbt's compiled models) alike."""
        path = directory / self.path.name
        copy_warehouse(self.path, path)
        return path


def copy_warehouse(source: Path, destination: Path) -> None:
    """A DuckDB warehouse copied with its working folder (dlt's pipelines, dbt's files), as a
    backup holds them: the copy is the same warehouse to every command."""
    from pipelines.warehouse import working_dir_beside

    shutil.copyfile(source, destination)
    if working_dir_beside(source).is_dir():
        shutil.copytree(working_dir_beside(source), working_dir_beside(destination))


@pytest.fixture(scope="session")
def seed3_warehouse(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[bool], SandboxWarehouse]:
    """The small company of sandbox seed 3, built once per worker for each payment shape: as
    detail records, or as list items without a voucher reference. The files that use it run on
    one worker (`SHARED_SETUP`), so each shape is built once per run."""
    import duckdb

    from pipelines.transform import build_models
    from sources.fortnox_sandbox.books import generate_books, ground_truth
    from tests.models.sandbox_tables import load_sandbox_company

    built: dict[bool, SandboxWarehouse] = {}

    def warehouse(payment_details: bool = True) -> SandboxWarehouse:
        if payment_details not in built:
            [company] = generate_books(seed=3, scale="small")
            path = tmp_path_factory.mktemp("seed3") / "fortnox.duckdb"
            with duckdb.connect(str(path)) as connection:
                company_id = load_sandbox_company(
                    connection, company, payment_details=payment_details
                )
                report = build_models(connection, as_of=company.business_date)
            built[payment_details] = SandboxWarehouse(
                path, company_id, company.business_date, ground_truth(company), report
            )
        return built[payment_details]

    return warehouse


@pytest.fixture(scope="session")
def small_load(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadedCompany]:
    """A clean first load of the sandbox's `small` company of seed 1 (`tests/pipeline/`), once
    per worker for every test that compares with it or starts from a copy of it."""
    from tests.pipeline.conftest import load_small_company

    yield from load_small_company(tmp_path_factory)
