"""Issue 5: after a day of business, an incremental run fetches only what changed, and the
warehouse it leaves equals a fresh full load of the same sandbox state."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from pipelines.pipeline import RunSummary
from sources.fortnox.settings import DEFAULT_OVERLAP_MINUTES
from sources.fortnox_sandbox.model import Company, SupplierInvoice
from tests.pipeline.conftest import (
    LoadedCompany,
    Loader,
    api_requests,
    differences,
    query,
    snapshot,
)

ADVANCE_DAYS = 4
"""Friday 2026-11-20 + 4: a weekend and two weekdays of business."""


@dataclass
class Advanced:
    """An incremental load after `advance`, and a fresh full load of the same state."""

    company: Company
    first: RunSummary
    incremental: RunSummary
    incremental_requests: dict[str, int]
    incremental_path: Path
    fresh_path: Path
    settled_supplier_invoices: set[int]


@pytest.fixture(scope="module")
def advanced(
    small_load: LoadedCompany, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Advanced]:
    # The first run: a copy of the session's first load of the small company (the same books).
    session, scheduled = small_load.first_load_into(tmp_path_factory.mktemp("scheduled"))
    tenant = session.tenants[0]
    first = small_load.first
    company = session.state.companies[tenant]
    open_before = {n for n, invoice in company.supplier_invoices.items() if _open(invoice)}
    session.advance(ADVANCE_DAYS)
    before = api_requests(session)
    incremental = scheduled.run(later_day=True)
    asked = api_requests(session) - before
    # A new warehouse, a new dlt working dir and a new token profile: nothing carried over.
    fresh = Loader(session, tenant, tmp_path_factory.mktemp("fresh"), profile="fresh")
    assert fresh.run().outcome == "completed"
    assert scheduled.duckdb_path is not None and fresh.duckdb_path is not None
    yield Advanced(
        company=session.state.companies[tenant],
        first=first,
        incremental=incremental,
        incremental_requests=dict(asked),
        incremental_path=scheduled.duckdb_path,
        fresh_path=fresh.duckdb_path,
        settled_supplier_invoices={
            n for n in open_before if not _open(company.supplier_invoices[n])
        },
    )


def _open(invoice: SupplierInvoice) -> bool:
    """A supplier invoice that can still change (unbooked, or booked with a balance)."""
    return not invoice.cancelled and (not invoice.booked or invoice.balance != 0)


def test_incremental_warehouse_equals_a_fresh_full_load(advanced: Advanced) -> None:
    assert advanced.incremental.outcome == "completed"
    incremental = snapshot(advanced.incremental_path)
    fresh = snapshot(advanced.fresh_path)
    assert set(incremental) == set(fresh)
    assert differences(incremental, fresh) == {}
    assert sum(len(rows) for rows in fresh.values()) > 5_000


def changed_since(records: dict[int, object] | dict[str, object], moment: datetime) -> int:
    """Records whose `last_modified` is at or after `moment` (what `lastmodified` returns)."""
    return sum(
        1
        for record in records.values()
        if getattr(record, "last_modified", None) is not None and record.last_modified >= moment  # type: ignore[attr-defined]
    )


def test_incremental_run_fetches_only_changed_and_new_records(advanced: Advanced) -> None:
    since = advanced.first.started_at - timedelta(minutes=DEFAULT_OVERLAP_MINUTES)
    company = advanced.company
    resources = advanced.incremental.resources
    expected_invoices = changed_since(company.invoices, since)
    assert 0 < expected_invoices < len(company.invoices)
    assert resources["invoices"].rows == expected_invoices
    assert resources["invoice_payments"].rows == changed_since(company.invoice_payments, since)
    assert resources["customers"].rows == changed_since(company.customers, since)
    # Supplier payments are read by offset: exactly the new ones.
    new_supplier_payments = (
        len(company.supplier_invoice_payments)
        - query(advanced.fresh_path, "SELECT count(*) FROM supplier_invoice_payments")[0][0]
        + changed_since(company.supplier_invoice_payments, since)
    )
    assert resources["supplier_invoice_payments"].rows == new_supplier_payments
    # One page per incremental list, one SIE export: the open year only.
    assert advanced.incremental_requests["GET /3/sie/{Type}"] == 1
    # (and the day's deletion check lists the invoices' keys: one more page)
    assert advanced.incremental_requests["GET /3/invoices"] == 1 + 1
    # Supplier invoices have no `lastmodified`: each one that was open and is settled now is
    # read by detail (the only per-document requests of a default run).
    settled = len(advanced.settled_supplier_invoices)
    assert settled > 0
    details = advanced.incremental_requests["GET /3/supplierinvoices/{GivenNumber}"]
    assert details == settled
    assert advanced.incremental.requests == sum(advanced.incremental_requests.values())
    # The books' 15, the file connections (2), articles, orders and offers by lastmodified (3),
    # the registers read on the first run of a day (14) and the day's deletion check (6 lists of
    # one page each).
    assert advanced.incremental.requests == 15 + 2 + 3 + 14 + 6 + settled


def test_final_years_rows_are_untouched_by_the_incremental_run(advanced: Advanced) -> None:
    """Only the open year's SIE rows were replaced: final years keep the first load's rows."""
    loads = query(
        advanced.incremental_path,
        "SELECT financial_year_id, count(DISTINCT file_sha256) FROM sie_files"
        " GROUP BY 1 ORDER BY 1",
    )
    assert [count for _, count in loads] == [1, 1, 1]
    sie = advanced.incremental.sie_files
    assert [entry["final"] for entry in sie] == [True, True, False]
