"""`/3/` handlers of the registers: articles, orders, offers, price lists and prices, tax
reductions, currencies, terms of payment, units, contracts, archive and inbox (metadata).

Same list semantics as every other list (`listing.py`): pages, `lastmodified` where the spec
documents it (articles, orders, offers), 404 bodies for unknown folders.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from sources.fortnox_sandbox import serialize_registers as serialize
from sources.fortnox_sandbox.listing import json_response, natural_key, not_found
from sources.fortnox_sandbox.registers import ArchiveFile, Registers
from sources.fortnox_sandbox.resources import (
    ApiRequest,
    Handler,
    _first_day,
    _listing,
    _modified_since,
    _since,
)


def _registers(api: ApiRequest) -> Registers:
    registers: Registers = api.company.registers
    return registers


def list_articles(api: ApiRequest) -> Response:
    """`/3/articles`, with `lastmodified`."""
    articles = sorted(_registers(api).articles.values(), key=lambda a: natural_key(a.number))
    first_day = _first_day(api.company)
    articles = _modified_since(api, articles, lambda a: _since(a.last_modified, first_day))
    return _listing(api, "Articles", articles, lambda a: serialize.article(a, api.base))


def _documents(kind: str, envelope: str, render: Callable[[Any, str], Any]) -> Handler:
    def handler(api: ApiRequest) -> Response:
        records = getattr(_registers(api), kind)
        documents = [records[number] for number in sorted(records)]
        documents = _modified_since(
            api, documents, lambda d: _since(d.last_modified, d.document_date)
        )
        return _listing(api, envelope, documents, lambda d: render(d, api.base))

    handler.__doc__ = f"`/3/{kind}`, with `lastmodified`."
    return handler


list_orders = _documents("orders", "Orders", serialize.order)
list_offers = _documents("offers", "Offers", serialize.offer)


def _document(kind: str, wrapper: str, render: Callable[[Any, str], Any], missing: str) -> Handler:
    def handler(api: ApiRequest) -> Response:
        raw = api.path("DocumentNumber")
        documents = getattr(_registers(api), kind)
        document = documents.get(int(raw)) if raw.isdigit() else None
        if document is None:
            raise not_found(missing, 2000434)
        return json_response({wrapper: render(document, api.base)})

    handler.__doc__ = f"`/3/{kind}/{{DocumentNumber}}`: with its rows."
    return handler


get_order = _document("orders", "Order", serialize.order_detail, "Kan inte hitta ordern.")
get_offer = _document("offers", "Offer", serialize.offer_detail, "Kan inte hitta offerten.")


def list_price_lists(api: ApiRequest) -> Response:
    """`/3/pricelists`."""
    lists = sorted(_registers(api).price_lists.items())
    return _listing(
        api,
        "PriceLists",
        lists,
        lambda item: serialize.price_list(item[0], item[1][0], item[1][1], item[1][2], api.base),
    )


def list_prices(api: ApiRequest) -> Response:
    """`/3/prices/sublist/{PriceList}`: every article's price in one price list."""
    code = api.path("PriceList")
    registers = _registers(api)
    if code not in registers.price_lists:
        raise not_found("Kan inte hitta prislistan.", 2000427)
    prices = sorted(
        ((article, ore) for (listed, article), ore in registers.prices.items() if listed == code),
        key=lambda item: natural_key(item[0]),
    )
    return _listing(
        api, "Prices", prices, lambda item: serialize.price(code, item[0], item[1], api.base)
    )


def list_tax_reductions(api: ApiRequest) -> Response:
    """`/3/taxreductions`."""
    reductions = [_registers(api).tax_reductions[i] for i in sorted(_registers(api).tax_reductions)]
    return _listing(
        api, "TaxReductions", reductions, lambda t: serialize.tax_reduction(t, api.base)
    )


def list_currencies(api: ApiRequest) -> Response:
    """`/3/currencies`."""
    return _listing(api, "Currencies", serialize.currencies(api.company, api.base), lambda c: c)


def list_terms_of_payments(api: ApiRequest) -> Response:
    """`/3/termsofpayments`."""
    terms = sorted(_registers(api).terms_of_payment.items(), key=lambda t: natural_key(t[0]))
    return _listing(
        api, "TermsOfPayments", terms, lambda t: serialize.term_of_payment(t[0], t[1], api.base)
    )


def list_units(api: ApiRequest) -> Response:
    """`/3/units`."""
    units = sorted(_registers(api).units.items())
    return _listing(api, "Units", units, lambda u: serialize.unit(u[0], u[1][0], u[1][1], api.base))


def list_contracts(api: ApiRequest) -> Response:
    """`/3/contracts`."""
    contracts = [_registers(api).contracts[n] for n in sorted(_registers(api).contracts)]
    return _listing(api, "Contracts", contracts, lambda c: serialize.contract(c, api.base))


def _folder(api: ApiRequest, files: dict[str, ArchiveFile], root: str, wanted: str) -> Response:
    """The root folder (its files and subfolders) or one subfolder (its files)."""
    subfolders = sorted({file.folder for file in files.values() if file.folder})
    if wanted in ("", root):
        inside = [file for file in files.values() if not file.folder]
        record = serialize.folder(root, root, inside, subfolders, f"{api.base}/{root}")
    elif wanted in subfolders:
        inside = [file for file in files.values() if file.folder == wanted]
        record = serialize.folder(wanted, wanted, inside, [], f"{api.base}/{root}")
    else:
        raise not_found("Kan inte hitta mappen.", 2000428)
    return json_response({"Folder": record})


def get_archive(api: ApiRequest) -> Response:
    """`/3/archive[?path=<folder>]`: file metadata only."""
    return _folder(api, _registers(api).archive, "archive", api.query.get("path", ""))


def get_inbox(api: ApiRequest) -> Response:
    """`/3/inbox`: the root folder."""
    return _folder(api, _registers(api).inbox, "inbox", "")


def get_inbox_folder(api: ApiRequest) -> Response:
    """`/3/inbox/{Id}`: one inbox folder (inbox_s holds the supplier invoices' scans)."""
    return _folder(api, _registers(api).inbox, "inbox", api.path("Id"))


REGISTER_ROUTES: list[tuple[str, str | None, Handler]] = [
    ("/3/articles", "article", list_articles),
    ("/3/orders", "order", list_orders),
    ("/3/offers", "offer", list_offers),
    ("/3/orders/{DocumentNumber}", "order", get_order),
    ("/3/offers/{DocumentNumber}", "offer", get_offer),
    ("/3/pricelists", "price", list_price_lists),
    ("/3/prices/sublist/{PriceList}", "price", list_prices),
    ("/3/taxreductions", "invoice", list_tax_reductions),
    ("/3/currencies", "currency", list_currencies),
    ("/3/termsofpayments", "settings", list_terms_of_payments),
    ("/3/units", "settings", list_units),
    ("/3/contracts", "invoice", list_contracts),
    ("/3/archive", "archive", get_archive),
    ("/3/inbox", "inbox", get_inbox),
    ("/3/inbox/{Id}", "inbox", get_inbox_folder),
]
"""(path template, scope, handler) of the registers, mounted before the catch-all route."""
