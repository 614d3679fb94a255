"""Fortnox as a dlt source: every table a Fortnox company gives the warehouse, and how.

How each table is read (chosen to read a whole company in a handful of requests) and written:
- `sie_*`: one `sie/4` export per financial year, final years only once; replaced per company
  and year. Voucher rows never come from one detail request per voucher.
- `invoices`, `invoice_payments`, `customers`: `lastmodified` since the previous run's start,
  minus an overlap; merged on the document key.
- `supplier_invoices`: new ones by offset, open ones by `filter=unpaid`, newly settled ones by
  detail (Fortnox has no `lastmodified` there); merged on the document key.
- `supplier_invoice_payments`: new ones by offset (payments are not edited); merged on number.
- `accounts`, `voucher_series`: per open financial year (final years once); replaced per
  company and year.
- `predefined_accounts`, `cost_centers`, `projects`, `suppliers`, `financial_years`: the whole
  list every run (a page or two); replaced per company.
- `locked_period`: every run, added (merged on the run's time): the history of what was locked
  when.
- `company_information`: first run, then at most daily; replaced per company.
- `invoice_rows` (opt-in): one detail request per new or changed invoice.
- `voucher_file_connections` (per open year, final years once) and
  `supplier_invoice_file_connections` (whole list): which documents have a file attached
  (`attachments.py`; metadata only).
- `articles`, `orders`, `offers`: `lastmodified`, merged on their key. `price_lists`, `prices`,
  `tax_reductions`, `currencies`, `terms_of_payments`, `units`, `contracts`,
  `company_settings`, `archive_files`, `inbox_files` (metadata only): first run of a day,
  replaced per company. See `resources_registers.py`.
- Deletions: rows of the `lastmodified` tables whose key Fortnox no longer lists are deleted, at
  most daily (their keys listed whole); whole-list tables lose deleted rows when replaced.

Every column's type comes from Fortnox's OpenAPI schema of the records a table reads
(`spec.py`), never from the first value seen. A resource Fortnox refuses for a missing scope or
licence (403) is skipped with a warning and recorded (`licences.py`); `strict` fails instead.

Every row carries `company_id` (Fortnox's DatabaseNumber, the tenant id), so several companies
share one warehouse; each company has its own pipeline state. Beside it, `company_key` (the
organisation number, NNNNNN-NNNN) is the key the company has in SIE files from any program too
(`company.py`).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import dlt
from dlt.common.schema.typing import TColumnSchema, TWriteDispositionConfig
from dlt.sources import DltResource

from sources.fortnox.attachments import attachment_resources
from sources.fortnox.client import FortnoxClient
from sources.fortnox.company import CompanyIdentity
from sources.fortnox.licences import skipping_unlicensed
from sources.fortnox.records import (
    STOCKHOLM,
    apply_spec_hints,
    column_hints,
    fortnox_timestamp,
    shape_page,
    shape_record,
)
from sources.fortnox.resources_registers import register_resources
from sources.fortnox.settings import (
    COMPANY_INFORMATION_REFRESH_HOURS,
    DEFAULT_OVERLAP_MINUTES,
    DELETE_CHECK_HOURS,
    ENDPOINTS,
    REGISTER_REFRESH_HOURS,
    SIE_EXPORT_TYPE,
    SPEC_DETAIL_SCHEMAS,
    SPEC_SCHEMAS,
    SUPPLIER_INVOICE_LIST_FIELDS,
)
from sources.fortnox.years import FinancialYear, YearPlan, books_digest, plan_years
from sources.sie.archive import archive_sie_file
from sources.sie.load import sie_file_items
from sources.sie.reader import normalise_org_number, read_sie

PER_COMPANY: TWriteDispositionConfig = {"disposition": "merge", "strategy": "delete-insert"}
"""Write disposition of tables replaced as a whole for one company (or company and year)."""


SIE_UNIT: tuple[str, ...] = ("company_id", "financial_year_id")
"""The replace unit of the `sie_*` tables: one company's one financial year."""

SIE_COLUMNS: dict[str, TColumnSchema] = {"company_key": {"data_type": "text"}}
"""Column hints of the `sie_*` tables besides the SIE package's: `company_key` stamped here."""


LIST_DIGESTS = "list_digests"
"""Resource state of the lists replaced as a whole: key -> digest, row count and the dlt load id
of the list the warehouse holds (`WHOLE_LIST`, or a financial year's id for the per-year
lists)."""

WHOLE_LIST = "all"

LISTS_REPLACED_WHOLE: dict[str, str | None] = {
    "financial_years": None,
    "accounts": "year",
    "voucher_series": "year",
    "predefined_accounts": None,
    "cost_centers": None,
    "projects": None,
    "suppliers": None,
}
"""Resources (each its own table) skipped when their list is unchanged -> the column of their
per-year key (None: one list per company)."""

_LIST_DIGEST_VERSION = "1"
"""Part of every list digest: a change to how rows are shaped or typed changes it, so every
list is loaded again once."""


def list_digest(listed: Sequence[dict[str, Any]], company_key: str | None) -> str:
    """The digest of a list as loaded: its shaped rows, and the `company_key` every row is
    stamped with."""
    payload = json.dumps(
        [_LIST_DIGEST_VERSION, company_key, list(listed)],
        sort_keys=True,
        default=str,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(STOCKHOLM)


class CompanyCalendar:
    """The company's financial years and locked period, read once per run (two requests).

    Every resource that works per financial year plans from this, and `run --plan` shows it.
    Read when first needed, not when the source is made: making the source sends nothing (an
    orchestrator names its assets from it), and resources extracted side by side read it once.
    """

    def __init__(self, client: FortnoxClient) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._read = False
        self._financial_year_records: list[dict[str, Any]] = []
        self._financial_years: list[FinancialYear] = []
        self._locked_through: date | None = None

    def _ensure_read(self) -> None:
        with self._lock:
            if self._read:
                return
            client = self._client
            self._financial_year_records = [
                record for page in client.paginate(*ENDPOINTS["financial_years"]) for record in page
            ]
            self._financial_years = [
                FinancialYear.from_api(record) for record in self._financial_year_records
            ]
            locked = client.get_json(ENDPOINTS["locked_period"][0]).get("LockedPeriod") or {}
            end_date = locked.get("EndDate") or None
            self._locked_through = date.fromisoformat(end_date) if end_date else None
            self._read = True

    @property
    def financial_year_records(self) -> list[dict[str, Any]]:
        """The financial years as Fortnox lists them."""
        self._ensure_read()
        return self._financial_year_records

    @property
    def financial_years(self) -> list[FinancialYear]:
        """The financial years, oldest first as Fortnox lists them."""
        self._ensure_read()
        return self._financial_years

    @property
    def locked_through(self) -> date | None:
        """The last day of Fortnox's locked period (None: nothing locked)."""
        self._ensure_read()
        return self._locked_through

    def plan(self, loaded: dict[str, Any], *, full_refresh: bool = False) -> list[YearPlan]:
        """The SIE year plan for this run, given what earlier runs loaded."""
        return plan_years(
            self.financial_years, self.locked_through, loaded, full_refresh=full_refresh
        )

    def open_years(self) -> list[FinancialYear]:
        """Years not (yet) inside the locked period."""
        return [
            year
            for year in self.financial_years
            if year.to_date > (self.locked_through or date.min)
        ]


@dlt.source(name="fortnox", max_table_nesting=1)
def fortnox_source(
    client: FortnoxClient,
    company_id: str,
    start_date: str | None = None,
    overlap_minutes: int = DEFAULT_OVERLAP_MINUTES,
    invoice_rows: bool = False,
    full_refresh: bool = False,
    archive_dir: Path | None = None,
    now: Callable[[], datetime] = _now,
    strict: bool = False,
    skipped: dict[str, str] | None = None,
    delete_check_hours: float = DELETE_CHECK_HOURS,
    register_refresh_hours: float = REGISTER_REFRESH_HOURS,
    document_rows: bool = False,
    organisation_number: str | None = None,
    warehouse_turn: Callable[[], AbstractContextManager[Any]] | None = None,
) -> Sequence[DltResource]:
    """All Fortnox tables of one company.

    Args:
        client: an authenticated, paced, read-only Fortnox client for this company.
        company_id: the company's DatabaseNumber (tenant id), stamped on every row.
        start_date: the first load reads invoices from this date on (`YYYY-MM-DD`); None = all.
        overlap_minutes: how far before the previous run's start `lastmodified` reads again,
            so that clock skew between us and Fortnox cannot lose a change.
        invoice_rows: also fetch each new or changed invoice's rows (one request per document).
        full_refresh: ignore state: fetch every year and every document again.
        archive_dir: where raw SIE exports are kept byte for byte; None = not archived.
        now: the clock (Stockholm time); injectable for tests.
        strict: a resource the company's licence or the token's scopes do not cover (403)
            fails the run; by default it is skipped with a warning (see `licences.py`).
        skipped: filled with the resources skipped that way (resource -> scope).
        delete_check_hours: how often deletions are looked for in the `lastmodified` tables
            (their keys listed whole); 0 = every run. Configurable like any dlt source argument
            (`SOURCES__FORTNOX__DELETE_CHECK_HOURS`).
        register_refresh_hours: how often the registers without `lastmodified` (price lists,
            currencies, units, ...) are read again; 0 = every run.
        document_rows: also fetch each new or changed order's and offer's rows (one request
            per document, as `invoice_rows`).
        organisation_number: the company's organisation number as the warehouse holds it
            (stamped as `company_key` on every row); None: read from Fortnox once this run,
            sharing the `company_information` resource's request.
        warehouse_turn: entered around the one read of the warehouse during extraction (the
            deletion check's loaded keys), so that companies extracted side by side in one
            process read and write the warehouse one at a time; None for a run of its own.
    """
    run_started = now()
    overlap = timedelta(minutes=overlap_minutes)
    calendar = CompanyCalendar(client)
    identity = CompanyIdentity(client, organisation_number)
    licensed = skipping_unlicensed({} if skipped is None else skipped, strict=strict)

    def rows(name: str, params: dict[str, Any] | None = None, **stamp: Any) -> Iterator[list]:
        path, envelope_key = ENDPOINTS[name]
        for page in client.paginate(path, envelope_key, params):
            yield shape_page(page, company_id, schema=SPEC_SCHEMAS.get(name), **stamp)

    def unchanged_list(key: str, listed: Sequence[dict[str, Any]]) -> bool:
        """Whether a list replaced as a whole (a company's, or a company's year's) is what the
        warehouse holds from an earlier run: then it is not loaded again (its delete and insert
        would write the same rows). Otherwise its digest is noted in the resource's state, which
        dlt saves with the load; `follow_warehouse` forgets a digest the table does not back."""
        digests: dict[str, Any] = dlt.current.resource_state().setdefault(LIST_DIGESTS, {})
        entry = {"digest": list_digest(listed, identity.company_key), "rows": len(listed)}
        known = digests.get(key) or {}
        if not full_refresh and {name: known.get(name) for name in entry} == entry:
            return True
        # The load that writes the rows stamps them with its id: a warehouse holding other
        # rows of the same count (a backup restored) is told apart by it (`follow_warehouse`).
        digests[key] = {**entry, "load_id": dlt.current.load_package_state()["load_id"]}
        return False

    def year_list(name: str, year_id: int) -> list[dict[str, Any]]:
        """A financial year's whole list, each row stamped with the year (the key the list is
        replaced by; Fortnox leaves `Year` out of some rows)."""
        return [
            {**row, "Year": row.get("Year") or year_id}
            for page in rows(name, {"financialyear": year_id})
            for row in page
        ]

    def since(cursor: dlt.sources.incremental[datetime]) -> str | None:
        if full_refresh or cursor.start_value is None:
            return None
        return fortnox_timestamp(cursor.start_value - overlap)

    @dlt.resource(
        write_disposition=PER_COMPANY,
        merge_key="company_id",
        primary_key="company_id",
        columns=column_hints("organization_number"),
    )
    @licensed
    def company_information() -> Iterator[dict[str, Any]]:
        """The company's name, organisation number and DatabaseNumber; refreshed daily."""
        state = dlt.current.resource_state()
        fetched = state.get("fetched_at")
        if (
            not full_refresh
            and fetched
            and run_started - datetime.fromisoformat(fetched)
            < timedelta(hours=COMPANY_INFORMATION_REFRESH_HOURS)
        ):
            return
        record = identity.information()
        state["fetched_at"] = run_started.isoformat()
        yield shape_record(record, company_id, schema=SPEC_SCHEMAS["company_information"])

    @dlt.resource(
        write_disposition=PER_COMPANY,
        merge_key="company_id",
        primary_key=("company_id", "id"),
        columns=column_hints(),
    )
    def financial_years() -> Iterator[list[dict[str, Any]]]:
        """Financial years with their Fortnox ids (the `financialyear` parameter)."""
        listed = shape_page(
            calendar.financial_year_records, company_id, schema=SPEC_SCHEMAS["financial_years"]
        )
        if not unchanged_list(WHOLE_LIST, listed):
            yield listed

    @dlt.resource(
        write_disposition="merge",
        primary_key=("company_id", "seen_at"),
        columns={**column_hints(cursor=True), "end_date": {"data_type": "date"}},
    )
    def locked_period() -> Iterator[dict[str, Any]]:
        """The locked-period end date as seen by this run: a history, so reports can say
        which figures were final when. Merged on the run's time, not appended: a load job
        repeated after a killed run must not stamp twice."""
        yield {
            "company_id": company_id,
            "end_date": calendar.locked_through,
            "seen_at": run_started,
        }

    @dlt.resource(write_disposition=PER_COMPANY)
    @licensed
    def sie() -> Iterator[Any]:
        """Every voucher row of every financial year, from one SIE 4 export per year.

        Dispatches to the `sie_*` tables, whose columns and hints the SIE package defines
        (`sie_file_items`): each company and year is replaced as a unit (a destination scope on
        the unit, not dlt's merge-key join), and rows a repeated load job staged twice are
        inserted once (primary key). A final year already loaded is not fetched again; an open
        year whose books have not changed (same sha256 but for the export date) is fetched but
        not re-loaded.
        """
        loaded: dict[str, Any] = dlt.current.resource_state().setdefault("years", {})
        for plan in calendar.plan(loaded, full_refresh=full_refresh):
            year = plan.financial_year
            if not plan.fetch:
                continue
            path = f"{ENDPOINTS['sie'][0]}/{SIE_EXPORT_TYPE}"
            content = client.get_bytes(path, {"financialyear": year.id})
            sha256 = hashlib.sha256(content).hexdigest()
            digest = books_digest(content)
            unchanged = not full_refresh and (
                sha256 == plan.loaded_sha256 or digest == plan.loaded_books_digest
            )
            if unchanged:
                # Same books (perhaps another #GEN date): the loaded file stays the record.
                loaded[str(year.id)] = {
                    **loaded[str(year.id)],
                    "books_digest": digest,
                    "final": plan.final,
                }
                continue
            loaded[str(year.id)] = {"sha256": sha256, "books_digest": digest, "final": plan.final}
            file_name = f"fortnox_{company_id}_{year.id}.se"
            sie_file = read_sie(content, file_name)
            if archive_dir is not None:
                archive_sie_file(
                    content,
                    archive_dir=archive_dir,
                    org_number=normalise_org_number(sie_file.org_number),
                    year=year.from_date.year,
                    source=f"fortnox:{company_id}:/3/{path}?financialyear={year.id}",
                    file_name=file_name,
                )
            # Tables the new export has no rows in lose the old export's rows after the load
            # (`run`'s superseded-rows cleanup), so no tombstone column is needed here.
            yield from sie_file_items(
                sie_file,
                extra_columns={"company_id": company_id, "financial_year_id": year.id},
                merge_key=SIE_UNIT,
                columns=SIE_COLUMNS,
                tombstones=False,
                unit_scope=True,
            )

    @dlt.resource(
        write_disposition=PER_COMPANY,
        merge_key=("company_id", "year"),
        primary_key=("company_id", "year", "number"),
        columns=column_hints("number"),  # account numbers are text, as in the SIE tables
    )
    @licensed
    def accounts() -> Iterator[list[dict[str, Any]]]:
        """The chart of accounts per financial year (final years once)."""
        done: dict[str, bool] = dlt.current.resource_state().setdefault("final_years", {})
        for plan in calendar.plan({}, full_refresh=True):
            year = plan.financial_year
            if done.get(str(year.id)) and not full_refresh:
                continue
            listed = year_list("accounts", year.id)
            if listed and not unchanged_list(str(year.id), listed):
                yield listed
            if plan.final:
                done[str(year.id)] = True

    @dlt.resource(
        write_disposition=PER_COMPANY,
        merge_key=("company_id", "year"),
        primary_key=("company_id", "year", "code"),
        columns=column_hints(),
    )
    @licensed
    def voucher_series() -> Iterator[list[dict[str, Any]]]:
        """Voucher series (A manual, B supplier invoices, ...) of each open financial year."""
        for year in calendar.open_years() or calendar.financial_years[-1:]:
            listed = year_list("voucher_series", year.id)
            if listed and not unchanged_list(str(year.id), listed):
                yield listed

    def _reference(name: str, key: str, *text_keys: str) -> DltResource:
        def read() -> Iterator[Any]:
            listed = [row for page in rows(name) for row in page]
            if listed and not unchanged_list(WHOLE_LIST, listed):
                yield listed

        read.__doc__ = (
            f"Fortnox {name}, read whole every run and replaced per company when it changed."
        )
        return dlt.resource(
            licensed(read, name),
            name=name,
            write_disposition=PER_COMPANY,
            merge_key="company_id",
            primary_key=("company_id", key),
            columns=column_hints(key, *text_keys),
        )

    @dlt.resource(
        write_disposition="merge",
        primary_key=("company_id", "customer_number"),
        columns=column_hints("customer_number", "organisation_number", "zip_code", cursor=True),
    )
    @licensed
    def customers(
        seen_at: dlt.sources.incremental[datetime] = dlt.sources.incremental(  # noqa: B008
            "seen_at", primary_key=()
        ),
    ) -> Iterator[list[dict[str, Any]]]:
        """Customers changed since the last run (all on the first run)."""
        modified = since(seen_at)
        yield from rows(
            "customers", {"lastmodified": modified} if modified else None, seen_at=run_started
        )

    @dlt.resource(
        write_disposition="merge",
        primary_key=("company_id", "document_number"),
        columns=column_hints("customer_number", "ocr", cursor=True),
    )
    @licensed
    def invoices(
        seen_at: dlt.sources.incremental[datetime] = dlt.sources.incremental(  # noqa: B008
            "seen_at", primary_key=()
        ),
    ) -> Iterator[list[dict[str, Any]]]:
        """Customer invoices: from `start_date` on the first run, then by `lastmodified`."""
        modified = since(seen_at)
        params: dict[str, Any] = {}
        if modified:
            params["lastmodified"] = modified
        elif start_date:
            params["fromdate"] = start_date
        for page in rows("invoices", params, seen_at=run_started):
            if start_date:
                page = [row for row in page if (row.get("InvoiceDate") or "") >= start_date]
            yield page

    @dlt.resource(
        write_disposition="merge",
        primary_key=("company_id", "number"),
        columns=column_hints("number", cursor=True),
    )
    @licensed
    def invoice_payments(
        seen_at: dlt.sources.incremental[datetime] = dlt.sources.incremental(  # noqa: B008
            "seen_at", primary_key=()
        ),
    ) -> Iterator[list[dict[str, Any]]]:
        """Customer payments, by `lastmodified` after the first run."""
        modified = since(seen_at)
        yield from rows(
            "invoice_payments",
            {"lastmodified": modified} if modified else None,
            seen_at=run_started,
        )

    @dlt.resource(
        write_disposition="merge",
        primary_key=("company_id", "given_number"),
        columns=column_hints("supplier_number", "invoice_number"),
    )
    @licensed
    def supplier_invoices() -> Iterator[list[dict[str, Any]]]:
        """Supplier invoices. Fortnox offers no `lastmodified` here, so a run reads only what can
        have changed: invoices added since the last run (by offset: the list is in creation
        order), every open one (`filter=unpaid`, usually one page), the unbooked ones when the
        last run saw any, and the detail of each invoice that was open or unbooked last run and
        is in none of those lists any more (paid or cancelled since). Paid and cancelled
        invoices do not change."""
        state = dlt.current.resource_state()
        known = 0 if full_refresh else int(state.get("known", 0))
        tracked: set[str] = set() if full_refresh else set(state.get("tracked", ()))
        authorizers: dict[str, Any] = {} if full_refresh else dict(state.get("authorizers", {}))
        had_unbooked = bool(state.get("had_unbooked")) and not full_refresh
        seen: dict[str, dict[str, Any]] = {}  # by GivenNumber (a string in Fortnox)
        for page in client.paginate(
            *ENDPOINTS["supplier_invoices"], {"offset": known} if known else None
        ):
            seen.update((str(record["GivenNumber"]), record) for record in page)
        new_count = len(seen)
        if known:
            filters = ["unpaid", "unbooked"] if had_unbooked else ["unpaid"]
            for status in filters:
                for page in client.paginate(*ENDPOINTS["supplier_invoices"], {"filter": status}):
                    seen.update((str(record["GivenNumber"]), record) for record in page)
            path, _ = ENDPOINTS["supplier_invoices"]
            for given_number in sorted(tracked - set(seen), key=_document_order):
                detail = client.get_json(f"{path}/{given_number}")["SupplierInvoice"]
                seen[given_number] = _list_item_from_detail(detail, authorizers.get(given_number))
        state["known"] = known + new_count
        state["tracked"] = sorted(
            (number for number, record in seen.items() if _may_change(record)), key=_document_order
        )
        state["authorizers"] = {
            number: seen[number].get("AuthorizerName") for number in state["tracked"]
        }
        state["had_unbooked"] = any(not record.get("Booked") for record in seen.values())
        if seen:
            yield shape_page(seen.values(), company_id, schema=SPEC_SCHEMAS["supplier_invoices"])

    @dlt.resource(
        write_disposition="merge",
        primary_key=("company_id", "number"),
        columns=column_hints("invoice_number"),
    )
    @licensed
    def supplier_invoice_payments() -> Iterator[list[dict[str, Any]]]:
        """Supplier payments. No `lastmodified` and no filter exist here, and payments are not
        edited, so a run reads only those added since the last run (by offset)."""
        state = dlt.current.resource_state()
        known = 0 if full_refresh else int(state.get("known", 0))
        count = 0
        for page in rows("supplier_invoice_payments", {"offset": known} if known else None):
            count += len(page)
            yield page
        state["known"] = known + count

    resources: list[DltResource] = [
        company_information,
        financial_years,
        locked_period,
        sie,
        accounts,
        voucher_series,
        _reference("predefined_accounts", "name", "account"),
        _reference("cost_centers", "code"),
        _reference("projects", "project_number"),
        _reference("suppliers", "supplier_number"),
        customers,
        invoices,
        invoice_payments,
        supplier_invoices,
        supplier_invoice_payments,
        *attachment_resources(
            client, company_id, calendar, licensed=licensed, full_refresh=full_refresh
        ),
    ]
    if invoice_rows:
        resources.append(invoices | _invoice_rows(client, company_id, licensed))
    # Articles, orders, offers, price lists, ... and the deletion check: resources_registers.py.
    resources += register_resources(
        client,
        company_id,
        rows=rows,
        since=since,
        licensed=licensed,
        run_started=run_started,
        full_refresh=full_refresh,
        delete_check_hours=delete_check_hours,
        register_refresh_hours=register_refresh_hours,
        document_rows=document_rows,
        warehouse_turn=warehouse_turn,
    )
    # Every column's type from Fortnox's OpenAPI document (see spec.py), for every table.
    for resource in resources:
        if resource.name in SPEC_SCHEMAS:
            apply_spec_hints(resource, SPEC_SCHEMAS[resource.name])
    # The company's key across sources beside `company_id` on every row: one step, every table.
    for resource in resources:
        resource.add_map(identity.stamp)
    return resources


def _invoice_rows(
    client: FortnoxClient, company_id: str, licensed: Callable[..., Any]
) -> DltResource:
    """Rows of each new or changed invoice: one detail request per document, hence opt-in."""

    @dlt.transformer(
        name="invoice_rows",
        columns={
            **column_hints("document_number", "account_number"),
            "row_no": {"data_type": "bigint", "nullable": False},
        },
    )
    @licensed
    def invoice_rows(invoices: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
        path, _ = ENDPOINTS["invoices"]
        for invoice in invoices:
            number = invoice["DocumentNumber"]
            detail = client.get_json(f"{path}/{number}")["Invoice"]
            shaped = shape_record(detail, company_id, schema=SPEC_DETAIL_SCHEMAS["invoices"])
            yield [
                {"company_id": company_id, "document_number": number, "row_no": index, **row}
                for index, row in enumerate(shaped.get("InvoiceRows", []))
            ]

    # A document's rows are replaced together: a row removed from an invoice disappears.
    # The primary key drops rows of a load job repeated after a killed run (dlt loads at least
    # once).
    invoice_rows.apply_hints(
        write_disposition=PER_COMPANY,
        merge_key=["company_id", "document_number"],
        primary_key=["company_id", "document_number", "row_no"],
    )
    return invoice_rows


def _document_order(number: str) -> tuple[int, str]:
    """Numeric order for Fortnox's document numbers, which the API sends as strings."""
    return (int(number), "") if number.isdigit() else (0, number)


def _list_item_from_detail(detail: dict[str, Any], authorizer_name: Any) -> dict[str, Any]:
    """A supplier invoice's detail in the shape of its list item, so the row it replaces keeps
    the same columns: the detail calls `Cancel` `Cancelled` and has no `AuthorizerName`
    (that one is kept from the invoice's last list item, remembered in state)."""
    item = {key: detail.get(key) for key in SUPPLIER_INVOICE_LIST_FIELDS}
    item["Cancel"] = detail.get("Cancelled", detail.get("Cancel"))
    item["AuthorizerName"] = authorizer_name
    return item


def _may_change(supplier_invoice: dict[str, Any]) -> bool:
    """Whether a supplier invoice can still change: unbooked, or booked and not settled."""
    if supplier_invoice.get("Cancel"):
        return False
    if not supplier_invoice.get("Booked"):
        return True
    balance = supplier_invoice.get("Balance")
    if balance is None or balance == "":
        return False
    return Decimal(str(balance)) != 0
