"""Attachments in the sandbox: which vouchers and supplier invoices have a file, as Fortnox says.

Fortnox keeps receipts as files connected to a voucher (`/3/voucherfileconnections`) or to a
supplier invoice (`/3/supplierinvoicefileconnections`); only the connection metadata is served
here, never file bytes. The books need no new state for it: whether a document has its receipt
is a fixed function of the company and the document (a hash), so a voucher booked by
`/_sandbox/advance` gets its answer the same way, and about one in ten manual (A) vouchers and
supplier invoices (B) lack one, which is what the missing-receipt model must find.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from starlette.responses import Response

from sources.fortnox_sandbox.listing import json_response, not_found
from sources.fortnox_sandbox.model import Company

MANUAL_SERIES = "A"
SUPPLIER_INVOICE_SERIES = "B"
RECEIPT_SERIES = (MANUAL_SERIES, SUPPLIER_INVOICE_SERIES)
"""Series whose vouchers need a receipt: manual vouchers, and supplier invoices (through the
invoice's own file)."""
MISSING_ONE_IN = 10
_NAMESPACE = uuid.UUID("6f1c3e8a-2b7d-4c1e-9a55-0d4b6f2e8c11")


@dataclass(frozen=True)
class VoucherFileConnection:
    """A file connected to a voucher (year = the financial year's Id, as Fortnox's VoucherYear)."""

    file_id: str
    voucher_series: str
    voucher_number: int
    voucher_year: int
    voucher_description: str


@dataclass(frozen=True)
class SupplierInvoiceFileConnection:
    """A file connected to a supplier invoice (by its GivenNumber)."""

    file_id: str
    given_number: int
    supplier_name: str
    name: str


def lacks_receipt(company: Company, *document: object) -> bool:
    """Whether a document has no file: a fixed function of the company and the document."""
    return _receipt(company.organisation_number, document)[0]


def _file_id(company: Company, *document: object) -> str:
    return _receipt(company.organisation_number, document)[1]


@lru_cache(maxsize=1 << 18)
def _receipt(organisation_number: str, document: tuple[object, ...]) -> tuple[bool, str]:
    """(lacks a file, the file's id) of one document, hashed once: every page of a listing
    goes through all of a company's documents (a large company's supplier-invoice file
    connections cost the sandbox more CPU than every other request of a first load)."""
    key = ":".join([organisation_number, *map(str, document)])
    digest = hashlib.sha256(key.encode()).digest()
    file_key = ":".join([organisation_number, "file", *map(str, document)])
    return digest[0] % MISSING_ONE_IN == 0, str(uuid.uuid5(_NAMESPACE, file_key))


def voucher_file_connections(company: Company) -> list[VoucherFileConnection]:
    """Files connected to manual vouchers, in year, series and number order."""
    connections = []
    for year_id in sorted(company.vouchers):
        for voucher in company.vouchers[year_id]:
            key = ("voucher", year_id, voucher.series, voucher.number)
            if voucher.series != MANUAL_SERIES or lacks_receipt(company, *key):
                continue
            connections.append(
                VoucherFileConnection(
                    file_id=_file_id(company, *key),
                    voucher_series=voucher.series,
                    voucher_number=voucher.number,
                    voucher_year=year_id,
                    voucher_description=voucher.description,
                )
            )
    return connections


def supplier_invoice_file_connections(company: Company) -> list[SupplierInvoiceFileConnection]:
    """Files connected to supplier invoices (the scanned invoice), by GivenNumber."""
    connections = []
    for given_number in sorted(company.supplier_invoices):
        invoice = company.supplier_invoices[given_number]
        key = ("supplierinvoice", given_number)
        if lacks_receipt(company, *key):
            continue
        connections.append(
            SupplierInvoiceFileConnection(
                file_id=_file_id(company, *key),
                given_number=given_number,
                supplier_name=invoice.supplier_name,
                name=f"faktura-{invoice.supplier_number}-{invoice.invoice_number}.pdf",
            )
        )
    return connections


def vouchers_missing_receipt(company: Company) -> list[tuple[int, str, int]]:
    """The truth: (financial year Id, series, number) of every A or B voucher with no file.

    An A voucher needs its own file; a B voucher is covered by its supplier invoice's file.
    """
    with_file = {
        (c.voucher_year, c.voucher_series, c.voucher_number)
        for c in voucher_file_connections(company)
    }
    invoice_files = {c.given_number for c in supplier_invoice_file_connections(company)}
    for invoice in company.supplier_invoices.values():
        if invoice.given_number not in invoice_files:
            continue
        year_id, series, number = (
            invoice.voucher_year,
            invoice.voucher_series,
            invoice.voucher_number,
        )
        if year_id is not None and series is not None and number is not None:
            with_file.add((year_id, series, number))
    return sorted(
        (year_id, voucher.series, voucher.number)
        for year_id, vouchers in company.vouchers.items()
        for voucher in vouchers
        if voucher.series in RECEIPT_SERIES
        and (year_id, voucher.series, voucher.number) not in with_file
    )


# -- the API (registered in resources.API_ROUTES) ---------------------------------------------
def _voucher_connection(connection: VoucherFileConnection, base: str) -> dict[str, Any]:
    return {
        "@url": f"{base}/voucherfileconnections/{connection.file_id}",
        "FileId": connection.file_id,
        "VoucherDescription": connection.voucher_description,
        "VoucherNumber": str(connection.voucher_number),  # a string in SPEC
        "VoucherSeries": connection.voucher_series,
        "VoucherYear": connection.voucher_year,
    }


def _invoice_connection(connection: SupplierInvoiceFileConnection, base: str) -> dict[str, Any]:
    return {
        "@url": f"{base}/supplierinvoicefileconnections/{connection.file_id}",
        "FileId": connection.file_id,
        "Name": connection.name,
        "SupplierInvoiceNumber": str(connection.given_number),
        "SupplierName": connection.supplier_name,
    }


def list_voucher_file_connections(api: Any) -> Response:
    """`/3/voucherfileconnections[?financialyear=]`: one year's when asked, else all."""
    from sources.fortnox_sandbox.resources import _financial_year, _listing

    connections = voucher_file_connections(api.company)
    if api.query.get("financialyear") or api.query.get("financialyeardate"):
        year = _financial_year(api)
        connections = [c for c in connections if c.voucher_year == year.id]
    return _listing(
        api, "VoucherFileConnections", connections, lambda c: _voucher_connection(c, api.base)
    )


def get_voucher_file_connection(api: Any) -> Response:
    """`/3/voucherfileconnections/{FileId}`."""
    for connection in voucher_file_connections(api.company):
        if connection.file_id == api.path("FileId"):
            return json_response(
                {"VoucherFileConnection": _voucher_connection(connection, api.base)}
            )
    raise not_found("Kan inte hitta filkopplingen.", 2000582)


def list_supplier_invoice_file_connections(api: Any) -> Response:
    """`/3/supplierinvoicefileconnections`: every supplier invoice's file."""
    from sources.fortnox_sandbox.resources import _listing

    return _listing(
        api,
        "SupplierInvoiceFileConnections",
        supplier_invoice_file_connections(api.company),
        lambda c: _invoice_connection(c, api.base),
    )


def get_supplier_invoice_file_connection(api: Any) -> Response:
    """`/3/supplierinvoicefileconnections/{FileId}`."""
    for connection in supplier_invoice_file_connections(api.company):
        if connection.file_id == api.path("FileId"):
            return json_response(
                {"SupplierInvoiceFileConnection": _invoice_connection(connection, api.base)}
            )
    raise not_found("Kan inte hitta filkopplingen.", 2000582)


ROUTES: list[tuple[str, str, Any]] = [
    ("/3/voucherfileconnections", "connectfile", list_voucher_file_connections),
    ("/3/voucherfileconnections/{FileId}", "connectfile", get_voucher_file_connection),
    ("/3/supplierinvoicefileconnections", "connectfile", list_supplier_invoice_file_connections),
    (
        "/3/supplierinvoicefileconnections/{FileId}",
        "connectfile",
        get_supplier_invoice_file_connection,
    ),
]
"""The attachment endpoints, scope `connectfile` (connecting files to documents)."""
