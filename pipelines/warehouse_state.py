"""The warehouse is the truth: a company's pipeline state is taken from the warehouse it loads.

What decides what a run fetches (final years already loaded, export digests, `lastmodified`
cursors, supplier-invoice offsets, when company information was last read) lives in dlt's
pipeline state. dlt saves that state in the destination itself (`_dlt_pipeline_state`, written
in the same load as the rows it describes, valid only once the load completed), and also keeps a
copy in a local working folder. The local copy can disagree with a warehouse: a warehouse that
is new, restored from a backup, copied or swapped; a working folder shared by two warehouses.
Trusting it loses data with exit 0.

So, before any request, a run:
1. finishes a package an earlier run extracted for *this* state of the warehouse (it carries
   rows and the state describing them), and discards one extracted for another;
2. makes the local state the warehouse's own (none when the warehouse has none);
3. checks each decisive entry of that state against the business tables, and forgets what the
   tables do not hold, so the run fetches it again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import dlt
from dlt.common.destination.client import WithStateSync
from dlt.common.destination.exceptions import DestinationUndefinedEntity
from dlt.pipeline.state_sync import load_pipeline_state_from_destination

from sources.fortnox import LIST_DIGESTS, LISTS_REPLACED_WHOLE, WHOLE_LIST

BY_LASTMODIFIED = ("customers", "invoices", "invoice_payments")
"""Resources read by a `seen_at` cursor (rows stamped with the run's start)."""


@dataclass
class Preparation:
    """What a run did to its working folder and state before fetching, said to the user."""

    pipeline: dlt.Pipeline
    notes: list[str] = field(default_factory=list)
    finished_load_ids: list[str] = field(default_factory=list)
    state_replaced: bool = False
    """The local state was dropped (restored from the warehouse, or set aside): the working
    folder's own records of what earlier runs did no longer apply."""


def warehouse_state(pipeline: dlt.Pipeline) -> dict[str, Any] | None:
    """The pipeline's state as the warehouse holds it (its last completed load), or None."""
    try:
        with pipeline.destination_client() as client:
            if not isinstance(client, WithStateSync):
                return None
            state = load_pipeline_state_from_destination(pipeline.pipeline_name, client)
    except DestinationUndefinedEntity:
        return None
    return dict(state) if state else None


def _version_hash(state: dict[str, Any] | None) -> str | None:
    return None if state is None else state.get("_version_hash")


def _base_file(pipeline: dlt.Pipeline) -> Path:
    """Which warehouse state the pipeline's pending packages were extracted from."""
    return Path(pipeline.pipelines_dir) / f"{pipeline.pipeline_name}.base.json"


def record_base(pipeline: dlt.Pipeline, state: dict[str, Any] | None) -> None:
    """Note the warehouse state this run extracts from, before it extracts."""
    _base_file(pipeline).write_text(json.dumps({"version_hash": _version_hash(state)}))


def _recorded_base(pipeline: dlt.Pipeline) -> tuple[bool, str | None]:
    try:
        document = json.loads(_base_file(pipeline).read_text())
    except (OSError, ValueError):
        return False, None
    return True, document.get("version_hash")


def follow_warehouse(
    pipeline: dlt.Pipeline,
    finish_pending: Callable[[dlt.Pipeline], list[str]],
    company_id: str,
    say: Callable[[str], None] | None = None,
) -> Preparation:
    """Make the pipeline's working folder and state agree with the warehouse (steps 1-3 above).

    Args:
        pipeline: the company's pipeline, its destination and dataset set.
        finish_pending: loads the pipeline's pending packages, returns their load ids.
        company_id: whose rows the state is checked against.
        say: told each note as it happens (the first thing a user sees of the run).
    """
    preparation = Preparation(pipeline)

    def note(text: str) -> None:
        preparation.notes.append(text)
        if say is not None:
            say(text)

    remote = warehouse_state(pipeline)
    if pipeline.has_pending_data:
        known, base = _recorded_base(pipeline)
        if not known or base == _version_hash(remote):
            pending = [
                *pipeline.list_normalized_load_packages(),
                *pipeline.list_extracted_load_packages(),
            ]
            note(f"finishing an earlier run's package (load {', '.join(pending)}) first")
            preparation.finished_load_ids = finish_pending(pipeline)
            remote = warehouse_state(pipeline)
        else:
            note(
                "discarded an earlier run's unloaded package: it was extracted for another "
                "state of this warehouse (restored, copied or swapped since)"
            )
            pipeline = pipeline.drop()
            preparation.state_replaced = True
    local_hash = None if pipeline.first_run else pipeline.state.get("_version_hash")
    if _version_hash(remote) != local_hash:
        # dlt itself restores only a *newer* remote state and keeps local state when the
        # warehouse has none; here the warehouse wins either way.
        pipeline = pipeline.drop()
        preparation.state_replaced = True
        if remote is not None:
            pipeline.sync_destination()
            note("state restored from the warehouse")
        elif local_hash is not None:
            note("the warehouse holds nothing of this company: local state set aside, full load")
    preparation.pipeline = pipeline
    with pipeline.managed_state() as state:
        resources = state.setdefault("sources", {}).get("fortnox", {}).get("resources")
        if resources:
            claimed = [
                name for name in LISTS_REPLACED_WHOLE if resources.get(name, {}).get(LIST_DIGESTS)
            ]
            with pipeline.sql_client() as sql:
                facts = WarehouseFacts.read(sql, company_id, claimed)
            for text in reconcile(resources, facts):
                note(text)
    record_base(pipeline, remote)
    return preparation


@dataclass
class WarehouseFacts:
    """What the business tables hold of one company, as far as the state makes claims on it."""

    sie_files: set[tuple[str, str]]  # (financial year id, file sha256)
    account_years: set[str]
    has_company_information: bool
    max_seen_at: dict[str, datetime | None]
    supplier_invoices: int
    supplier_invoice_payments: int
    list_rows: dict[str, dict[str, tuple[int, str | None, str | None]]] = field(
        default_factory=dict
    )
    """Per list replaced as a whole (`LISTS_REPLACED_WHOLE`) whose digest the state notes, per
    key (`WHOLE_LIST`, or per financial year): its rows and the least and greatest dlt load id
    they carry (a list is written whole by one load, so both are that load's id)."""

    @classmethod
    def read(
        cls, sql: Any, company_id: str, lists: Iterable[str] = tuple(LISTS_REPLACED_WHOLE)
    ) -> WarehouseFacts:
        """Read the facts with a dlt SQL client (any destination); absent tables hold nothing.

        Args:
            lists: the lists replaced as a whole whose rows to count (those the state claims).
        """

        def rows(table: str, select: str, group_by: str = "") -> list[tuple[Any, ...]]:
            qualified = sql.make_qualified_table_name(table)
            grouped = f" GROUP BY {group_by}" if group_by else ""
            try:
                return list(
                    sql.execute_sql(
                        f"SELECT {select} FROM {qualified} WHERE company_id = %s{grouped}",
                        company_id,
                    )
                    or ()
                )
            except DestinationUndefinedEntity:
                return []

        def count(table: str) -> int:
            found = rows(table, "count(*)")
            return int(found[0][0]) if found else 0

        max_seen_at: dict[str, datetime | None] = {}
        for name in BY_LASTMODIFIED:
            found = rows(name, "max(seen_at)")
            max_seen_at[name] = found[0][0] if found else None
        list_rows: dict[str, dict[str, tuple[int, str | None, str | None]]] = {}
        held = "count(*), min(_dlt_load_id), max(_dlt_load_id)"
        for name in lists:
            year_column = LISTS_REPLACED_WHOLE[name]
            if year_column is None:
                whole = rows(name, held)
                list_rows[name] = (
                    {WHOLE_LIST: (int(whole[0][0]), whole[0][1], whole[0][2])}
                    if whole and whole[0][0]
                    else {}
                )
            else:
                list_rows[name] = {
                    str(year): (int(found), first, last)
                    for year, found, first, last in rows(
                        name, f"{year_column}, {held}", year_column
                    )
                }
        return cls(
            list_rows=list_rows,
            sie_files={
                (str(year), str(sha))
                for year, sha in rows("sie_files", "financial_year_id, file_sha256")
            },
            account_years={str(year) for (year,) in rows("accounts", "DISTINCT year")},
            has_company_information=count("company_information") > 0,
            max_seen_at=max_seen_at,
            supplier_invoices=count("supplier_invoices"),
            supplier_invoice_payments=count("supplier_invoice_payments"),
        )


def reconcile(resources: dict[str, Any], facts: WarehouseFacts) -> list[str]:
    """Forget every state entry the warehouse does not back; say what was forgotten.

    Mutates `resources` (the `fortnox` source's resource state). A forgotten entry makes the
    run fetch that part again: a year's SIE export, a year's chart of accounts, invoices since
    the newest change the warehouse holds, supplier invoices from the start.
    """
    notes: list[str] = []
    years = resources.get("sie", {}).get("years", {})
    missing = [
        year for year, entry in years.items() if (year, entry.get("sha256")) not in facts.sie_files
    ]
    for year in missing:
        del years[year]
    if missing:
        notes.append(f"SIE of financial year(s) {', '.join(sorted(missing))} missing: re-fetched")
    final_years = resources.get("accounts", {}).get("final_years", {})
    missing = [year for year in final_years if year not in facts.account_years]
    for year in missing:
        del final_years[year]
    if missing:
        notes.append(f"accounts of year(s) {', '.join(sorted(missing))} missing: re-fetched")
    company = resources.get("company_information", {})
    if company.get("fetched_at") and not facts.has_company_information:
        del company["fetched_at"]
        notes.append("company information missing: re-fetched")
    for name in BY_LASTMODIFIED:
        cursor = resources.get(name, {}).get("incremental", {}).get("seen_at")
        if not cursor or cursor.get("last_value") is None:
            continue
        newest = facts.max_seen_at.get(name)
        if newest is None:
            del resources[name]["incremental"]
            notes.append(f"{name} missing: read from the start")
        elif _as_datetime(newest) < _as_datetime(cursor["last_value"]):
            cursor["last_value"] = newest
            cursor["unique_hashes"] = []
            notes.append(f"{name} behind the state: read again since {newest.isoformat()}")
    for name, held in facts.list_rows.items():
        digests = resources.get(name, {}).get(LIST_DIGESTS, {})
        missing = [
            key
            for key, entry in digests.items()
            if held.get(key) != (entry.get("rows"), entry.get("load_id"), entry.get("load_id"))
        ]
        for key in missing:
            del digests[key]
        if missing:
            notes.append(f"{name} not as last loaded: read and loaded again")
    supplier_invoices = resources.get("supplier_invoices", {})
    if int(supplier_invoices.get("known", 0)) > facts.supplier_invoices:
        supplier_invoices.clear()
        notes.append("supplier invoices missing: read from the start")
    payments = resources.get("supplier_invoice_payments", {})
    if int(payments.get("known", 0)) > facts.supplier_invoice_payments:
        payments["known"] = 0
        notes.append("supplier payments missing: read from the start")
    return notes


def _as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
