"""Lists replaced as a whole (chart of accounts, voucher series, suppliers, ...) are read every
run but loaded only when they changed: a nightly run does not delete and insert the same rows.
The warehouse still equals a fresh load, and a list the warehouse no longer holds as loaded is
loaded again."""

from __future__ import annotations

from pathlib import Path

import duckdb

from sources.fortnox import LISTS_REPLACED_WHOLE
from tests.pipeline.conftest import DATASET, Loader, differences, make_session, snapshot


def test_unchanged_lists_are_not_loaded_again_and_the_warehouse_equals_a_fresh_load(
    tmp_path: Path,
) -> None:
    session = make_session()
    tenant = session.tenants[0]
    nightly = Loader(session, tenant, tmp_path / "nightly")
    first = nightly.run()
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


def test_a_list_the_warehouse_lost_is_loaded_again(tmp_path: Path) -> None:
    session = make_session()
    tenant = session.tenants[0]
    loader = Loader(session, tenant, tmp_path)
    loader.run()
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
