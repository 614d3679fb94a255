"""`run --plan`: what a run would fetch, from two cheap requests and saved state; writes nothing.

An operator about to load a large company, or wondering why last night's run took long, wants to
know which years are final and skipped, where each cursor starts, and roughly how many requests
the run will spend, before spending them.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pipelines.pipeline import WarehouseTarget, company_pipeline, qualified_names
from pipelines.warehouse_state import WarehouseFacts, reconcile, warehouse_state
from sources.fortnox import CompanyCalendar
from sources.fortnox.client import FortnoxClient
from sources.fortnox.records import fortnox_timestamp
from sources.fortnox.settings import COMPANY_INFORMATION_REFRESH_HOURS, DEFAULT_OVERLAP_MINUTES
from sources.fortnox.years import YearPlan

LISTED_WHOLE = ("predefined_accounts", "cost_centers", "projects", "suppliers")
BY_LASTMODIFIED = ("customers", "invoices", "invoice_payments")


@dataclass(frozen=True)
class ResourcePlan:
    """One resource's part of a plan."""

    name: str
    reads: str
    estimated_requests: int


@dataclass
class RunPlan:
    """What `run` would do for one company."""

    company_id: str
    pipeline_name: str
    first_run: bool
    locked_through: Any
    years: list[YearPlan]
    resources: list[ResourcePlan] = field(default_factory=list)
    requests_used: int = 0
    notes: list[str] = field(default_factory=list)
    """State entries the warehouse's tables do not back (the run fetches them again)."""

    @property
    def estimated_requests(self) -> int:
        """The run's requests at least (lists longer than 500 records take one per page)."""
        return sum(line.estimated_requests for line in self.resources)


def make_plan(
    client: FortnoxClient,
    company_id: str,
    target: WarehouseTarget,
    *,
    full_refresh: bool = False,
    now: datetime | None = None,
) -> RunPlan:
    """Plan a run from the financial years, the locked period and the warehouse's state.

    Uses two requests (financial years, locked period). The state is the one a run would use:
    the warehouse's own, with what its tables do not back forgotten (`follow_warehouse`), read
    through a throwaway working folder; neither the warehouse nor its working folder is written.
    """
    before = client.stats.total_requests
    calendar = CompanyCalendar(client)
    pipeline_name = f"fortnox_{company_id}"
    resources_state: dict[str, Any] = {}
    notes: list[str] = []
    if target.duckdb_path is None or target.duckdb_path.exists():
        with (
            tempfile.TemporaryDirectory(prefix="fortnox-plan-") as scratch,
            qualified_names(target),
        ):
            pipeline = company_pipeline(company_id, replace(target, pipelines_dir=Path(scratch)))
            remote = warehouse_state(pipeline)
            resources_state = (
                (remote or {}).get("sources", {}).get("fortnox", {}).get("resources", {})
            )
            if resources_state:
                with pipeline.sql_client() as sql:
                    notes = reconcile(resources_state, WarehouseFacts.read(sql, company_id))
    first_run = full_refresh or not resources_state
    years = calendar.plan(
        resources_state.get("sie", {}).get("years", {}), full_refresh=full_refresh
    )
    plan = RunPlan(
        company_id=company_id,
        pipeline_name=pipeline_name,
        notes=notes,
        first_run=first_run,
        locked_through=calendar.locked_through,
        years=years,
    )
    plan.resources = _resource_lines(calendar, resources_state, years, full_refresh, now)
    plan.requests_used = client.stats.total_requests - before
    return plan


def _lastmodified(cursor: Any) -> str:
    """The `lastmodified` value a run will send for a saved cursor."""
    moment = cursor if isinstance(cursor, datetime) else datetime.fromisoformat(str(cursor))
    return fortnox_timestamp(moment - timedelta(minutes=DEFAULT_OVERLAP_MINUTES))


def _resource_lines(
    calendar: CompanyCalendar,
    state: dict[str, Any],
    years: list[YearPlan],
    full_refresh: bool,
    now: datetime | None,
) -> list[ResourcePlan]:
    def resource(name: str) -> dict[str, Any]:
        return {} if full_refresh else state.get(name, {})

    lines = [
        ResourcePlan("financial_years", "the list (also read by this plan)", 1),
        ResourcePlan("locked_period", "the end date (also read by this plan)", 1),
    ]
    fetched = resource("company_information").get("fetched_at")
    fresh = fetched is not None and (now or datetime.now().astimezone()) - datetime.fromisoformat(
        fetched
    ) < timedelta(hours=COMPANY_INFORMATION_REFRESH_HOURS)
    lines.append(
        ResourcePlan(
            "company_information",
            f"skipped, fetched {fetched}" if fresh else "the record",
            0 if fresh else 1,
        )
    )
    fetch_years = [plan for plan in years if plan.fetch]
    lines.append(
        ResourcePlan(
            "sie",
            f"sie/4 for years {', '.join(str(p.financial_year.id) for p in fetch_years) or '-'}",
            len(fetch_years),
        )
    )
    final_done = resource("accounts").get("final_years", {})
    account_years = [year for year in calendar.financial_years if not final_done.get(str(year.id))]
    lines.append(
        ResourcePlan(
            "accounts",
            f"chart for years {', '.join(str(y.id) for y in account_years) or '-'}",
            len(account_years),
        )
    )
    open_years = calendar.open_years() or calendar.financial_years[-1:]
    lines.append(ResourcePlan("voucher_series", "series of each open year", len(open_years)))
    lines.extend(ResourcePlan(name, "the whole list", 1) for name in LISTED_WHOLE)
    for name in BY_LASTMODIFIED:
        cursor = resource(name).get("incremental", {}).get("seen_at", {}).get("last_value")
        reads = (
            f"lastmodified={_lastmodified(cursor)} (last run's start minus "
            f"{DEFAULT_OVERLAP_MINUTES} min)"
            if cursor
            else "everything (first load)"
        )
        lines.append(ResourcePlan(name, reads, 1))
    supplier_invoices = resource("supplier_invoices")
    known = int(supplier_invoices.get("known", 0))
    if known:
        tracked = len(supplier_invoices.get("tracked", ()))
        filters = 2 if supplier_invoices.get("had_unbooked") else 1
        lines.append(
            ResourcePlan(
                "supplier_invoices",
                f"new after #{known}, open ones ({tracked} tracked), details of settled ones",
                1 + filters,
            )
        )
    else:
        lines.append(ResourcePlan("supplier_invoices", "everything (first load)", 1))
    known_payments = int(resource("supplier_invoice_payments").get("known", 0))
    lines.append(
        ResourcePlan(
            "supplier_invoice_payments",
            f"new after #{known_payments}" if known_payments else "everything (first load)",
            1,
        )
    )
    return lines
