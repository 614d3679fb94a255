"""Issue 10, defects 1 and 2: what a run fetches follows the warehouse it writes, not a local
working folder. The same company loaded into two warehouses, a warehouse restored from a
backup, and tables emptied by hand each end equal to a fresh full load (row for row, and so in
counts and sums per table), with every run reporting success only when that holds.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.pipeline.conftest import (
    DATASET,
    SEED,
    LoadedCompany,
    Loader,
    differences,
    make_session,
    query,
    snapshot,
)

ROOT = Path(__file__).resolve().parents[2]


def fresh_load(session, tenants: list[int], workdir: Path) -> Path:  # type: ignore[no-untyped-def]
    """A new warehouse with a new working folder, loaded with `tenants` in that order."""
    for number, tenant in enumerate(tenants):
        loader = Loader(session, tenant, workdir, profile=f"fresh{number}")
        assert loader.run().outcome == "completed"
    return workdir / "fortnox.duckdb"


# Five full loads: past the default 300 s at a load average of 20 on 2 cores (measured).
@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    "shared_working_folder", [False, pytest.param(True, marks=pytest.mark.slow)]
)
def test_one_company_in_two_warehouses_loads_whole_into_each(
    tmp_path: Path, shared_working_folder: bool
) -> None:
    """Company x into a, company y into b, then x into b: b holds all of x (it held 0 of 199
    invoices and 61 of 183 accounts, with exit 0, when state was kept per company). With one
    working folder for both warehouses (the worst case), the warehouse's state still wins."""
    session = make_session(companies=2)
    x, y = session.tenants
    shared = tmp_path / "shared-dlt" if shared_working_folder else None
    a = tmp_path / "a.duckdb"
    b = tmp_path / "b.duckdb"
    x_into_a = Loader(session, x, tmp_path / "x", profile="x", duckdb_path=a, pipelines_dir=shared)
    y_into_b = Loader(session, y, tmp_path / "y", profile="y", duckdb_path=b, pipelines_dir=shared)
    x_into_b = Loader(session, x, tmp_path / "x", profile="x", duckdb_path=b, pipelines_dir=shared)

    assert x_into_a.run().outcome == "completed"
    # A first load of x into a new warehouse and working folder: a fresh load of x.
    fresh_x = snapshot(a)
    assert y_into_b.run().outcome == "completed"
    third = x_into_b.run()

    assert third.outcome == "completed"
    assert third.rows > 8000  # a first load of x into b, not a 119-row repeat
    expected = fresh_load(session, [y, x], tmp_path / "fresh")
    assert differences(snapshot(b), snapshot(expected)) == {}
    assert differences(snapshot(a), fresh_x) == {}  # a is still a fresh load of x
    company = session.state.companies[x]
    assert query(b, "SELECT count(*) FROM invoices WHERE company_id = ?", [str(x)]) == [
        (len(company.invoices),)
    ]


def test_a_warehouse_restored_from_a_backup_gets_what_it_lacks(
    small_load: LoadedCompany, tmp_path: Path
) -> None:
    """Run; copy the file; three days of business; run; restore the copy; run: the open year
    had 8 vouchers (32 rows) missing when the local state remembered the newer export."""
    # The first run: a copy of the session's first load of the small company (the same books).
    session, loader = small_load.first_load_into(tmp_path / "scheduled")
    tenant = session.tenants[0]
    assert loader.duckdb_path is not None
    path = loader.duckdb_path
    backup = tmp_path / "backup.duckdb"
    shutil.copyfile(path, backup)
    session.advance(3)
    # Runs on later days (the daily registers are due, as they would be three days on).
    assert loader.run(later_day=True).outcome == "completed"
    shutil.copyfile(backup, path)

    after_restore = loader.run(later_day=True)

    assert after_restore.outcome == "completed"
    assert "state restored from the warehouse" in after_restore.notes
    expected = fresh_load(session, [tenant], tmp_path / "fresh")
    assert differences(snapshot(path), snapshot(expected)) == {}
    # A run after that one is an ordinary repeat: the state agrees with the warehouse.
    repeat = loader.run()
    assert repeat.notes == []
    assert repeat.resources["sie"].rows == 0
    assert differences(snapshot(path), snapshot(expected)) == {}


@pytest.mark.parametrize(
    ("table", "note"),
    [
        ("invoices", "invoices missing: read from the start"),
        ("sie_files", "SIE of financial year(s)"),
        pytest.param(
            "supplier_invoices",
            "supplier invoices missing: read from the start",
            marks=pytest.mark.slow,
        ),
        pytest.param("accounts", "accounts of year(s)", marks=pytest.mark.slow),
    ],
)
def test_rows_the_state_claims_but_the_warehouse_lacks_are_fetched_again(
    small_load: LoadedCompany, tmp_path: Path, table: str, note: str
) -> None:
    """Rows deleted by hand (or never committed): the state in the warehouse says they are
    loaded, the tables do not hold them; the next run sees that before any request."""
    # The first run: a copy of the session's first load of the small company (the same books).
    _, loader = small_load.first_load_into(tmp_path / "scheduled")
    assert loader.duckdb_path is not None
    path = loader.duckdb_path
    expected = snapshot(path)
    with duckdb.connect(str(path)) as connection:
        for (name,) in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?"
            " AND (table_name = ? OR starts_with(table_name, ?))",
            [DATASET, table, f"{table}__"],
        ).fetchall():  # the table and its nested tables, as a lost table would be
            connection.execute(f'DELETE FROM "{path.stem}".{DATASET}."{name}"')

    rerun = loader.run()

    assert rerun.outcome == "completed"
    assert any(line.startswith(note) for line in rerun.notes), rerun.notes
    assert differences(snapshot(path), expected) == {}


@pytest.mark.slow  # the sequential two-warehouse case stays in the default run
def test_two_concurrent_runs_of_one_company_into_two_warehouses(
    small_load: LoadedCompany, tmp_path: Path
) -> None:
    """Two processes load the same company at once, each into its own warehouse (4 of 5 such
    trials left one warehouse nearly empty when both shared one dlt folder per company)."""
    folders = [tmp_path / "a", tmp_path / "b"]
    children = []
    for folder in folders:
        folder.mkdir()
        children.append(
            subprocess.Popen(
                [
                    *(sys.executable, "-m", "tests.pipeline.kill_child"),
                    *(str(folder), str(SEED), "none", "0"),
                ],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    for child in children:
        stdout, _ = child.communicate(timeout=300)
        assert child.returncode == 0, stdout[-500:]
    for folder in folders:
        assert differences(snapshot(folder / "fortnox.duckdb"), small_load.snapshot) == {}
