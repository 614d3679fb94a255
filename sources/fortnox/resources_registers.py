"""The registers around the books, and deletions, as dlt resources of the Fortnox source.

How each table is read and written:
- `articles`, `orders`, `offers`: `lastmodified` since the previous run's start minus the
  overlap (the spec documents it for these three); merged on their key.
- `price_lists`, `prices` (one `prices/sublist/{Code}` per price list), `tax_reductions`,
  `currencies`, `terms_of_payments`, `units`, `contracts`, `company_settings`, and the file
  metadata of the archive and inbox (`archive_files`, `inbox_files`: one request per folder,
  never file contents): no `lastmodified` in Fortnox and rarely changed, so read whole on the
  first run of a day (`REGISTER_REFRESH_HOURS`) and replaced per company; a run straight after
  another spends no request on them.
- deletions (`deletions` resource): `lastmodified` cannot show a deleted record, so at most
  daily (`DELETE_CHECK_HOURS`) the keys of every `lastmodified` table are listed whole and rows
  whose key Fortnox no longer lists are deleted from the warehouse (dlt `hard_delete`); the
  whole-list tables lose deleted rows when they are replaced.
- `order_rows`, `offer_rows` (opt-in, `document_rows`): one detail request per new or changed
  order or offer (the lists carry no rows); replaced per document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timedelta
from typing import Any

import dlt
from dlt.common.schema.typing import TWriteDispositionConfig
from dlt.sources import DltResource

from sources.fortnox.client import FortnoxClient
from sources.fortnox.errors import ScopeMissing
from sources.fortnox.records import column_hints, shape_page, shape_record
from sources.fortnox.settings import (
    DELETE_CHECKED,
    ENDPOINTS,
    REGISTER_REFRESH_HOURS,
    SPEC_DETAIL_SCHEMAS,
    SPEC_SCHEMAS,
)

PER_COMPANY: TWriteDispositionConfig = {"disposition": "merge", "strategy": "delete-insert"}
DELETED_COLUMN = "_fortnox_deleted"
"""The `hard_delete` column of delete markers: a marked row is removed, never inserted."""

Rows = Callable[..., Iterator[list[dict[str, Any]]]]
Since = Callable[[Any], str | None]


def register_resources(
    client: FortnoxClient,
    company_id: str,
    *,
    rows: Rows,
    since: Since,
    licensed: Callable[..., Any],
    run_started: datetime,
    full_refresh: bool,
    delete_check_hours: float,
    register_refresh_hours: float = REGISTER_REFRESH_HOURS,
    document_rows: bool = False,
    warehouse_turn: Callable[[], AbstractContextManager[Any]] | None = None,
) -> list[DltResource]:
    """The source's register tables and the deletion check (see the module docstring)."""

    def due(state: dict[str, Any], hours: float) -> bool:
        fetched = state.get("fetched_at")
        return (
            full_refresh
            or not fetched
            or run_started - datetime.fromisoformat(fetched) >= timedelta(hours=hours)
        )

    def modified(name: str, key: str) -> DltResource:
        def read(
            seen_at: dlt.sources.incremental[datetime] = dlt.sources.incremental(  # noqa: B008
                "seen_at", primary_key=()
            ),
        ) -> Iterator[list[dict[str, Any]]]:
            changed = since(seen_at)
            yield from rows(
                name, {"lastmodified": changed} if changed else None, seen_at=run_started
            )

        read.__doc__ = f"Fortnox {name} changed since the last run (all on the first)."
        return dlt.resource(
            licensed(read, name),
            name=name,
            write_disposition="merge",
            primary_key=("company_id", key),
            columns=column_hints(key, cursor=True),
        )

    def daily(
        name: str,
        key: str,
        read_pages: Callable[[], Iterator[list[dict[str, Any]]]],
        *text_columns: str,
    ) -> DltResource:
        def read() -> Iterator[list[dict[str, Any]]]:
            state = dlt.current.resource_state()
            if not due(state, register_refresh_hours):
                return
            yield from read_pages()
            state["fetched_at"] = run_started.isoformat()

        read.__doc__ = f"Fortnox {name}, read whole at most daily and replaced per company."
        return dlt.resource(
            licensed(read, name),
            name=name,
            write_disposition=PER_COMPANY,
            merge_key="company_id",
            primary_key=("company_id", key) if key != "company_id" else "company_id",
            columns=column_hints(*text_columns),  # keys typed by the spec
        )

    def whole(name: str) -> Callable[[], Iterator[list[dict[str, Any]]]]:
        return lambda: rows(name)

    def prices() -> Iterator[list[dict[str, Any]]]:
        path, envelope = ENDPOINTS["prices"]
        for price_list in (item for page in rows("price_lists") for item in page):
            for page in client.paginate(f"{path}/{price_list['Code']}", envelope):
                yield shape_page(page, company_id, schema=SPEC_SCHEMAS["prices"])

    def company_settings() -> Iterator[list[dict[str, Any]]]:
        path, envelope = ENDPOINTS["company_settings"]
        record = client.get_json(path)[envelope]
        yield [shape_record(record, company_id, schema=SPEC_SCHEMAS["company_settings"])]

    def folder_files(
        name: str, subfolder_path: Callable[[str], tuple[str, dict[str, str]]]
    ) -> Callable[[], Iterator[list[dict[str, Any]]]]:
        def read() -> Iterator[list[dict[str, Any]]]:
            path, envelope = ENDPOINTS[name]
            root = client.get_json(path)[envelope]
            folders = [("", root)]
            for sub in root.get("Folders") or []:
                sub_path, params = subfolder_path(str(sub["Id"]))
                folders.append((str(sub["Name"]), client.get_json(sub_path, params)[envelope]))
            for folder_name, folder in folders:
                files = shape_page(folder.get("Files") or [], company_id, schema=SPEC_SCHEMAS[name])
                if files:
                    yield [{**file, "folder": folder_name} for file in files]

        return read

    orders = modified("orders", "document_number")
    offers = modified("offers", "document_number")
    resources = [
        modified("articles", "article_number"),
        orders,
        offers,
        daily("price_lists", "code", whole("price_lists")),
        daily("tax_reductions", "id", whole("tax_reductions")),
        daily("currencies", "code", whole("currencies")),
        daily("terms_of_payments", "code", whole("terms_of_payments")),
        daily("units", "code", whole("units")),
        daily("contracts", "document_number", whole("contracts")),
        daily("company_settings", "company_id", company_settings),
        daily(
            "archive_files",
            "id",
            folder_files("archive_files", lambda sub: ("archive", {"path": sub})),
            "folder",
        ),
        daily(
            "inbox_files",
            "id",
            folder_files("inbox_files", lambda sub: (f"inbox/{sub}", {})),
            "folder",
        ),
    ]
    price_table = daily("prices", "article_number", prices)
    price_table.apply_hints(
        primary_key=["company_id", "price_list", "article_number", "from_quantity"]
    )
    resources.append(price_table)
    resources.append(
        _deletions(
            client,
            company_id,
            run_started=run_started,
            hours=delete_check_hours,
            due=due,
            warehouse_turn=warehouse_turn or nullcontext,
        )
    )
    if document_rows:
        resources.append(orders | _rows_of(client, company_id, "orders", "OrderRows", licensed))
        resources.append(offers | _rows_of(client, company_id, "offers", "OfferRows", licensed))
    return resources


def _rows_of(
    client: FortnoxClient,
    company_id: str,
    kind: str,
    rows_key: str,
    licensed: Callable[..., Any],
) -> DltResource:
    """Rows of each new or changed order or offer: one detail request per document (opt-in,
    as invoice rows), replaced together per document."""
    name = f"{kind[:-1]}_rows"
    path, _ = ENDPOINTS[kind]
    wrapper = SPEC_DETAIL_SCHEMAS[kind].removeprefix("fortnox_")

    def read(documents: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
        for document in documents:
            number = document["DocumentNumber"]
            detail = client.get_json(f"{path}/{number}")[wrapper]
            shaped = shape_record(detail, company_id, schema=SPEC_DETAIL_SCHEMAS[kind])
            yield [
                {"company_id": company_id, "document_number": number, "row_no": index, **row}
                for index, row in enumerate(shaped.get(rows_key, []))
            ]

    transformer = dlt.transformer(
        licensed(read, name),
        name=name,
        columns={
            **column_hints("document_number"),
            "row_no": {"data_type": "bigint", "nullable": False},
        },
    )
    # A document's rows are replaced together: a row removed from an order disappears.
    transformer.apply_hints(
        write_disposition=PER_COMPANY,
        merge_key=["company_id", "document_number"],
        primary_key=["company_id", "document_number", "row_no"],
    )
    return transformer


def _deletions(
    client: FortnoxClient,
    company_id: str,
    *,
    run_started: datetime,
    hours: float,
    due: Callable[[dict[str, Any], float], bool],
    warehouse_turn: Callable[[], AbstractContextManager[Any]],
) -> DltResource:
    """Delete markers for rows of `lastmodified` tables whose key Fortnox no longer lists.

    The keys the warehouse holds are read in the company's turn at the warehouse (see
    `fortnox_source`): the one read of the warehouse while the company is being extracted.
    """

    def deletions() -> Iterator[Any]:
        state = dlt.current.resource_state()
        if not due(state, hours):
            return
        pipeline = dlt.current.pipeline()
        with warehouse_turn():
            loaded = _loaded_keys(pipeline, company_id)
        for table, (field, column) in DELETE_CHECKED.items():
            if not loaded.get(table):
                continue
            listed = _listed_keys(client, table, field)
            if listed is None:
                continue
            gone = sorted(loaded[table] - listed)
            if gone:
                markers = [
                    {"company_id": company_id, column: key, DELETED_COLUMN: True} for key in gone
                ]
                yield dlt.mark.with_hints(
                    markers,
                    dlt.mark.make_hints(
                        table_name=table,
                        write_disposition="merge",
                        primary_key=["company_id", column],
                        columns={
                            DELETED_COLUMN: {"data_type": "bool", "hard_delete": True},
                            column: {"data_type": "text"},
                        },
                    ),
                    create_table_variant=True,
                )
        state["fetched_at"] = run_started.isoformat()

    return dlt.resource(deletions, name="deletions", write_disposition="merge")


def _listed_keys(client: FortnoxClient, table: str, field: str) -> set[str] | None:
    """Every key Fortnox lists for a table now (None when its scope is missing: the table's
    own resource is skipped and recorded for the same reason, and nothing is deleted)."""
    keys: set[str] = set()
    try:
        for page in client.paginate(*ENDPOINTS[table]):
            keys.update(str(record[field]) for record in page)
    except ScopeMissing:
        return None
    return keys


def _loaded_keys(pipeline: dlt.Pipeline, company_id: str) -> dict[str, set[str]]:
    """The keys the warehouse holds for this company, per delete-checked table that exists."""
    keys: dict[str, set[str]] = {}
    with pipeline.sql_client() as sql:
        if not sql.has_dataset():
            return keys
        existing = {
            row[0]
            for row in sql.execute_sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                pipeline.dataset_name,
            )
            or ()
        }
        for table, (_, column) in DELETE_CHECKED.items():
            if table not in existing:
                continue
            qualified = sql.make_qualified_table_name(table)
            rows = sql.execute_sql(
                f"SELECT CAST({column} AS VARCHAR) FROM {qualified} WHERE company_id = %s",
                company_id,
            )
            keys[table] = {str(row[0]) for row in rows or ()}
    return keys
