"""Deletions: after sandbox days that delete records (a draft invoice, a customer without
invoices, a cost center, a project, an article) and edit registers, an incremental warehouse
equals a fresh full load, table for table, and the deleted rows are gone from it."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.pipeline.conftest import DATASET, Loader, differences, make_session, snapshot

DAYS = 5


def _count(path: Path, table: str, where: str, params: list[object]) -> int:
    with duckdb.connect(str(path), read_only=True) as connection:
        row = connection.execute(
            f"SELECT count(*) FROM {DATASET}.{table} WHERE {where}", params
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_incremental_equals_a_fresh_load_after_days_with_deletions(tmp_path: Path) -> None:
    session = make_session()
    tenant = session.tenants[0]
    # The opt-in row tables too (invoice, order and offer rows): every table the source writes.
    rows = {"invoice_rows": True, "document_rows": True}
    incremental = Loader(session, tenant, tmp_path / "incremental")
    incremental.run(**rows)
    deleted: dict[str, int] = {}
    for _ in range(DAYS):
        (day,) = session.advance(1)[str(tenant)]
        for kind, count in day["deleted"].items():
            deleted[kind] = deleted.get(kind, 0) + count
        # Each run stands for the nightly run after that day: deletions are looked for.
        assert incremental.run(later_day=True, **rows).outcome == "completed"
    # Every kind of deletion happened on each day after the first.
    assert deleted == {kind: DAYS - 1 for kind in ("article", "cost_center", "customer",
                                                     "invoice", "project")}  # fmt: skip

    fresh = Loader(session, tenant, tmp_path / "fresh", profile="fresh")
    assert fresh.run(**rows).outcome == "completed"
    assert incremental.duckdb_path is not None and fresh.duckdb_path is not None
    tables = snapshot(incremental.duckdb_path)
    assert {"invoice_rows", "order_rows", "offer_rows", "articles", "prices"} <= set(tables)
    found = differences(tables, snapshot(fresh.duckdb_path))
    assert found == {}, "\n".join(f"{t}: {d}" for t, d in found.items())

    # The deleted records are really gone (not merely equal because both kept them).
    state = session.state.company(tenant)
    assert _count(incremental.duckdb_path, "customers", "name LIKE 'Prospekt %'", []) == 1
    assert _count(incremental.duckdb_path, "projects", "description LIKE 'Förstudie %'", []) == 1
    assert _count(incremental.duckdb_path, "articles", "description LIKE 'Provartikel %'", []) == 1
    drafts = [number for number, inv in state.invoices.items() if not inv.rows]
    assert _count(incremental.duckdb_path, "invoices", "NOT booked AND total = 0", []) == len(
        drafts
    )
