"""Lists replaced as a whole (chart of accounts, voucher series, suppliers, ...) are read every
run but loaded only when they changed: a nightly run does not delete and insert the same rows.
The warehouse still equals a fresh load, and a list the warehouse no longer holds as loaded is
loaded again."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from pipelines.warehouse_state import WarehouseFacts, reconcile
from sources.fortnox import LIST_DIGESTS, LISTS_REPLACED_WHOLE, WHOLE_LIST
from tests.pipeline.conftest import DATASET, LoadedCompany, Loader, differences, snapshot


def test_unchanged_lists_are_not_loaded_again_and_the_warehouse_equals_a_fresh_load(
    small_load: LoadedCompany, tmp_path: Path
) -> None:
    # The first run: a copy of the session's first load of the small company (the same books).
    session, nightly = small_load.first_load_into(tmp_path / "nightly")
    tenant = session.tenants[0]
    first = small_load.first
    assert all(first.resources[name].rows > 0 for name in LISTS_REPLACED_WHOLE)

    second = nightly.run()
    assert second.outcome == "completed"
    # Read (the requests went out), not loaded: the lists did not change.
    assert {name: second.resources[name].rows for name in LISTS_REPLACED_WHOLE} == dict.fromkeys(
        LISTS_REPLACED_WHOLE, 0
    )
    assert all(second.resources[name].requests > 0 for name in LISTS_REPLACED_WHOLE)

    session.advance(1)  # some lists change (a new cost centre, a new project), most do not
    assert nightly.run(later_day=True).outcome == "completed"
    fresh = Loader(session, tenant, tmp_path / "fresh", profile="fresh")
    assert fresh.run().outcome == "completed"
    assert nightly.duckdb_path is not None and fresh.duckdb_path is not None
    assert differences(snapshot(nightly.duckdb_path), snapshot(fresh.duckdb_path)) == {}


def test_a_list_the_warehouse_lost_is_loaded_again(
    small_load: LoadedCompany, tmp_path: Path
) -> None:
    # The first run: a copy of the session's first load of the small company (the same books).
    session, loader = small_load.first_load_into(tmp_path)
    tenant = session.tenants[0]
    assert loader.duckdb_path is not None
    with duckdb.connect(str(loader.duckdb_path)) as connection:
        [(suppliers,)] = connection.execute(
            f'SELECT count(*) FROM "{DATASET}"."suppliers" WHERE company_id = ?', [str(tenant)]
        ).fetchall()
        [(year,)] = connection.execute(
            f'SELECT max(year) FROM "{DATASET}"."accounts" WHERE company_id = ?', [str(tenant)]
        ).fetchall()
        connection.execute(
            f'DELETE FROM "{DATASET}"."suppliers" WHERE company_id = ?', [str(tenant)]
        )
        connection.execute(
            f'DELETE FROM "{DATASET}"."accounts" WHERE company_id = ? AND year = ?',
            [str(tenant), year],
        )
    again = loader.run()
    assert again.outcome == "completed"
    assert again.resources["suppliers"].rows == suppliers
    assert again.resources["accounts"].rows > 0
    assert any("suppliers" in note for note in again.notes)
    assert again.resources["cost_centers"].rows == 0  # still held as loaded: not loaded again


def test_a_restored_backup_gets_a_list_changed_since_even_at_the_same_count(
    small_load: LoadedCompany, tmp_path: Path
) -> None:
    """Yesterday's backup restored under today's local state: a list changed in between with
    the same number of rows (a cost centre renamed) is loaded again, and every list equals a
    fresh load's."""
    # The first run: a copy of the session's first load of the small company (the same books).
    session, loader = small_load.first_load_into(tmp_path / "nightly")
    tenant = session.tenants[0]
    assert loader.duckdb_path is not None
    backup = tmp_path / "backup.duckdb"
    shutil.copyfile(loader.duckdb_path, backup)

    company = session.state.company(tenant)
    renamed = next(iter(company.cost_centers.values()))
    renamed.description = "Omdöpt kostnadsställe"
    session.state.touch(tenant)
    changed = loader.run()
    assert changed.resources["cost_centers"].rows == len(company.cost_centers)

    shutil.copyfile(backup, loader.duckdb_path)  # the restore; the local state is today's
    restored = loader.run()
    assert restored.outcome == "completed"
    assert restored.resources["cost_centers"].rows == len(company.cost_centers)
    with duckdb.connect(str(loader.duckdb_path), read_only=True) as connection:
        [(held,)] = connection.execute(
            f'SELECT count(*) FROM "{DATASET}"."cost_centers" WHERE description = ?',
            [renamed.description],
        ).fetchall()
    assert held == 1

    fresh = Loader(session, tenant, tmp_path / "fresh", profile="fresh")
    assert fresh.run().outcome == "completed"
    assert fresh.duckdb_path is not None
    # The lists: the same as a fresh load's. (The final years' SIE exports name the renamed
    # cost centre too in a fresh load; a final year's export is never fetched again.)
    lists = {
        name: rows
        for name, rows in snapshot(loader.duckdb_path).items()
        if name in LISTS_REPLACED_WHOLE
    }
    fresh_lists = {
        name: rows
        for name, rows in snapshot(fresh.duckdb_path).items()
        if name in LISTS_REPLACED_WHOLE
    }
    assert set(lists) == set(LISTS_REPLACED_WHOLE)
    assert differences(lists, fresh_lists) == {}


def test_a_list_held_at_the_same_count_by_another_load_is_forgotten() -> None:
    """Counts alone cannot tell two lists of the same length apart; the load that wrote them
    can. The state's entry goes (and is loaded again) unless count and load id both match."""
    entry = {"digest": "d", "rows": 3, "load_id": "200"}
    resources = {
        "cost_centers": {LIST_DIGESTS: {WHOLE_LIST: dict(entry)}},
        "accounts": {LIST_DIGESTS: {"7": dict(entry), "8": dict(entry)}},
    }
    facts = WarehouseFacts(
        sie_files=set(),
        account_years={"7", "8"},
        has_company_information=True,
        max_seen_at={},
        supplier_invoices=0,
        supplier_invoice_payments=0,
        list_rows={
            "cost_centers": {WHOLE_LIST: (3, "100", "100")},  # a backup: same count, older load
            "accounts": {"7": (3, "200", "200"), "8": (3, "100", "200")},
        },
    )
    notes = reconcile(resources, facts)

    assert resources["cost_centers"][LIST_DIGESTS] == {}
    assert resources["accounts"][LIST_DIGESTS] == {"7": entry}  # year 8 mixes two loads
    assert any("cost_centers" in note for note in notes)
    assert any("accounts" in note for note in notes)
