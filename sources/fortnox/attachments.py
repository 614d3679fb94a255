"""Which vouchers and supplier invoices have a file attached: metadata only, never the file.

An auditor's first question about a voucher is "where is the receipt?". Fortnox answers it with
file connections; these two resources load them so the `fct_vouchers_missing_receipt` model can
list vouchers of receipt-bearing series that have none.

Neither list has `lastmodified` or a date filter, so, as for supplier invoices and their
payments, a run reads only the connections added since the last run (`offset` = how many were
already seen; the lists are in creation order) and merges them on their key:

- `voucher_file_connections`: per open financial year (`financialyear`), one request when
  nothing was added; a final year is read once more after it became final, then no more;
- `supplier_invoice_file_connections`: one request when nothing was added.

A connection removed in Fortnox stays until `--full-refresh` re-reads the lists.

Both need the `connectfile` scope. A token from before that scope was asked for gets a 403:
as for any resource the licence or login does not cover (`licences.py`), the run goes on without
the two tables, warns once naming the scope and records the skip (`run --strict` fails instead);
no year counts as read, so a run after `auth login` with the scope reads them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import dlt
from dlt.common.schema.typing import TColumnSchema
from dlt.sources import DltResource

from sources.fortnox.client import FortnoxClient
from sources.fortnox.records import column_hints, shape_page
from sources.fortnox.settings import ENDPOINTS, SPEC_SCHEMAS

if TYPE_CHECKING:
    from sources.fortnox import CompanyCalendar

_YEAR: dict[str, TColumnSchema] = {"financial_year_id": {"data_type": "bigint", "nullable": False}}


def attachment_resources(
    client: FortnoxClient,
    company_id: str,
    calendar: CompanyCalendar,
    *,
    licensed: Callable[..., Any],
    full_refresh: bool = False,
) -> list[DltResource]:
    """The two file-connection resources of one company.

    Args:
        licensed: the source's guard for a 403 (`licences.skipping_unlicensed`): skip and
            record, or fail under `strict`.
    """

    def pages(name: str, params: dict[str, Any] | None = None) -> Iterator[list[dict[str, Any]]]:
        path, envelope_key = ENDPOINTS[name]
        for page in client.paginate(path, envelope_key, params):
            yield shape_page(page, company_id, schema=SPEC_SCHEMAS[name])

    @dlt.resource(
        name="voucher_file_connections",
        write_disposition="merge",
        primary_key=(
            "company_id",
            "financial_year_id",
            "file_id",
            "voucher_series",
            "voucher_number",
        ),
        columns={**column_hints("file_id", "voucher_number", "voucher_series"), **_YEAR},
    )
    @licensed
    def voucher_file_connections() -> Iterator[list[dict[str, Any]]]:
        """Files connected to vouchers, per financial year: those added since the last run."""
        state = dlt.current.resource_state()
        known: dict[str, int] = state.setdefault("known", {})
        done: dict[str, bool] = state.setdefault("final_years", {})
        for plan in calendar.plan({}, full_refresh=True):
            year = plan.financial_year
            if done.get(str(year.id)) and not full_refresh:
                continue
            seen = 0 if full_refresh else known.get(str(year.id), 0)
            params: dict[str, Any] = {"financialyear": year.id}
            if seen:
                params["offset"] = seen
            added = 0
            for page in pages("voucher_file_connections", params):
                added += len(page)
                yield [{**row, "financial_year_id": year.id} for row in page]
            # (a 403 ends the resource above: the year is not counted as read)
            known[str(year.id)] = seen + added
            done[str(year.id)] = plan.final

    @dlt.resource(
        name="supplier_invoice_file_connections",
        write_disposition="merge",
        primary_key=("company_id", "file_id", "supplier_invoice_number"),
        columns=column_hints("file_id", "supplier_invoice_number"),
    )
    @licensed
    def supplier_invoice_file_connections() -> Iterator[list[dict[str, Any]]]:
        """Files connected to supplier invoices (by GivenNumber): those added since the last
        run."""
        state = dlt.current.resource_state()
        seen = 0 if full_refresh else int(state.get("known", 0))
        added = 0
        for page in pages("supplier_invoice_file_connections", {"offset": seen} if seen else None):
            added += len(page)
            yield page
        state["known"] = seen + added

    return [voucher_file_connections, supplier_invoice_file_connections]
