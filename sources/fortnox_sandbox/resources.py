"""Fortnox's `/3/` resources over the in-memory books: one handler per list and detail path.

Handlers receive an `ApiRequest` (the tenant's company, the lower-cased query, the link base)
after the guard in `app.py` has checked token, rate limit, faults, method and scope; they answer
with Fortnox's envelopes or raise `ApiError` with Fortnox's error bodies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sources.fortnox_sandbox import attachments, serialize
from sources.fortnox_sandbox.listing import (
    bad_request,
    date_param,
    invalid_filter,
    json_response,
    lastmodified_param,
    natural_key,
    not_found,
    paginate,
    search_filters,
    single_filter,
    sort_records,
)
from sources.fortnox_sandbox.model import Company, FinancialYear, Voucher
from sources.fortnox_sandbox.state import STOCKHOLM, SandboxState


@dataclass
class ApiRequest:
    """What a resource handler needs: the tenant's books, the query and the link base."""

    request: Request
    state: SandboxState
    company: Company
    query: dict[str, str]
    base: str  # ".../3", so @url links point back at this sandbox

    def path(self, name: str) -> str:
        """A path parameter."""
        return str(self.request.path_params[name])


Handler = Callable[[ApiRequest], Response | Awaitable[Response]]
Record = TypeVar("Record")


# -- derived figures (cached per tenant until the books change) -------------------------------
def _current_year(company: Company) -> FinancialYear:
    """The year containing the sandbox's business date (Fortnox: today), else the latest."""
    return _year_containing(company, company.business_date) or max(
        company.financial_years, key=lambda year: year.from_date
    )


def _year_containing(company: Company, day: date) -> FinancialYear | None:
    for year in company.financial_years:
        if year.from_date <= day <= year.to_date:
            return year
    return None


def _financial_year(api: ApiRequest) -> FinancialYear:
    """The year a request means: `financialyear` (Id), `financialyeardate`, or the current one."""
    raw = api.query.get("financialyear")
    if raw:
        for year in api.company.financial_years:
            if str(year.id) == raw:
                return year
        raise bad_request("Kan inte hitta räkenskapsåret.", 2000091)
    day = date_param(api.query, "financialyeardate")
    if day is not None:
        containing = _year_containing(api.company, day)
        if containing is None:
            raise bad_request("Kan inte hitta räkenskapsåret.", 2000091)
        return containing
    return _current_year(api.company)


def _closing_balances(api: ApiRequest, year_id: int) -> dict[int, int]:
    """Opening balance plus the year's movements (struck rows excluded), per account."""
    cache = api.state.cache(api.company.database_number)
    key = f"closing-{year_id}"
    if key not in cache:
        closing = dict(api.company.opening_balances.get(year_id, {}))
        for voucher in api.company.vouchers.get(year_id, []):
            for row in voucher.rows:
                if not row.removed:
                    closing[row.account] = closing.get(row.account, 0) + row.debit - row.credit
        cache[key] = closing
    balances: dict[int, int] = cache[key]
    return balances


def _vouchers_by_key(api: ApiRequest, year_id: int) -> dict[tuple[str, int], Voucher]:
    cache = api.state.cache(api.company.database_number)
    key = f"vouchers-{year_id}"
    if key not in cache:
        cache[key] = {(v.series, v.number): v for v in api.company.vouchers.get(year_id, [])}
    index: dict[tuple[str, int], Voucher] = cache[key]
    return index


def _supplier_payments_by_invoice(api: ApiRequest) -> dict[int, list[Any]]:
    cache = api.state.cache(api.company.database_number)
    if "supplier-payments" not in cache:
        index: dict[int, list[Any]] = {}
        for payment in api.company.supplier_invoice_payments.values():
            index.setdefault(payment.invoice_number, []).append(payment)
        cache["supplier-payments"] = index
    by_invoice: dict[int, list[Any]] = cache["supplier-payments"]
    return by_invoice


def _since(modified: datetime | None, fallback: date) -> datetime:
    """A record's modification time as naive Stockholm time (its own date if never modified)."""
    if modified is None:
        return datetime(fallback.year, fallback.month, fallback.day)
    if modified.tzinfo is not None:
        return modified.astimezone(STOCKHOLM).replace(tzinfo=None)
    return modified


def _first_day(company: Company) -> date:
    return min(year.from_date for year in company.financial_years)


def _listing(
    api: ApiRequest,
    envelope: str,
    records: list[Any],
    render: Callable[[Any], dict[str, Any]],
    sort_keys: Mapping[str, Callable[[Any], Any]] | None = None,
) -> Response:
    ordered = sort_records(records, api.query, sort_keys or {})
    page, meta = paginate(ordered, api.query)
    return json_response({"MetaInformation": meta, envelope: [render(r) for r in page]})


def _lookup(
    api: ApiRequest,
    records: Mapping[Any, Record],
    param: str,
    missing: tuple[str, int],
    *,
    numeric: bool = False,
) -> Record:
    """The record a detail path names, or Fortnox's 404 (message, code) for that resource.

    With `numeric`, a path segment that is not a number is the same 404, as Fortnox answers
    `/3/invoices/abc`: not found, never a 400.
    """
    raw = api.path(param)
    key: Any = (int(raw) if raw.isdigit() else None) if numeric else raw
    record = records.get(key) if key is not None else None
    if record is None:
        raise not_found(*missing)
    return record


def _number_and_name_sort(number_param: str) -> dict[str, Callable[[Any], Any]]:
    """`sortby=<number>|name` of the registers (customers, suppliers): numbers sort naturally."""
    return {
        number_param: lambda r: natural_key(r.number),
        "name": lambda r: (r.name, natural_key(r.number)),
    }


def _for_invoice(api: ApiRequest, payments: list[Any]) -> list[Any]:
    """`?invoicenumber=` of both payment lists: the payments of one invoice."""
    chosen = single_filter(api.query, ["invoicenumber"])
    if chosen is None:
        return payments
    return [p for p in payments if str(p.invoice_number) == chosen[1]]


_PAYMENT_SORT_KEYS: dict[str, Callable[[Any], Any]] = {
    "paymentdate": lambda p: (p.payment_date, p.number),
    "number": lambda p: p.number,
}


def _modified_since(
    api: ApiRequest, records: list[Any], when: Callable[[Any], datetime]
) -> list[Any]:
    since = lastmodified_param(api.query)
    if since is None:
        return records
    return [record for record in records if when(record) >= since]


def _date_range(api: ApiRequest, records: list[Any], day: Callable[[Any], date]) -> list[Any]:
    from_date = date_param(api.query, "fromdate")
    to_date = date_param(api.query, "todate")
    if from_date is not None:
        records = [record for record in records if day(record) >= from_date]
    if to_date is not None:
        records = [record for record in records if day(record) <= to_date]
    return records


# -- bookkeeping ------------------------------------------------------------------------------
def list_vouchers(api: ApiRequest) -> Response:
    """`/3/vouchers`, `/3/vouchers/sublist[/{VoucherSeries}]`: one year, rows never included."""
    year = _financial_year(api)
    vouchers = list(api.company.vouchers.get(year.id, []))
    series = api.request.path_params.get("VoucherSeries")
    chosen = single_filter(api.query, ["voucherseries"])
    if series is None and chosen is not None:
        series = chosen[1]
    if series is not None:
        vouchers = [v for v in vouchers if v.series == series]
    vouchers = _date_range(api, vouchers, lambda v: v.transaction_date)
    return _listing(
        api,
        "Vouchers",
        vouchers,
        lambda v: serialize.voucher_list_item(v, api.base),
        {
            "transactiondate": lambda v: (v.transaction_date, v.series, v.number),
            "vouchernumber": lambda v: (v.number, v.series),
            "voucherseries": lambda v: (v.series, v.number),
        },
    )


def get_voucher(api: ApiRequest) -> Response:
    """`/3/vouchers/{VoucherSeries}/{VoucherNumber}?financialyear=`: a voucher with its rows."""
    year = _financial_year(api)
    try:
        number = int(api.path("VoucherNumber"))
    except ValueError:
        raise not_found("Kan inte hitta verifikationen.", 2000516) from None
    voucher = _vouchers_by_key(api, year.id).get((api.path("VoucherSeries"), number))
    if voucher is None:
        raise not_found("Kan inte hitta verifikationen.", 2000516)
    accounts = api.company.accounts
    return json_response({"Voucher": serialize.voucher_detail(voucher, accounts, api.base)})


def list_accounts(api: ApiRequest) -> Response:
    """`/3/accounts?financialyear=`: the chart with each account's balance brought forward."""
    year = _financial_year(api)
    opening = api.company.opening_balances.get(year.id, {})
    accounts = sorted(api.company.accounts.values(), key=lambda account: account.number)
    chosen = single_filter(api.query, ["sru"])
    if chosen is not None:
        accounts = [a for a in accounts if str(a.sru or "") == chosen[1]]
    # The chart carries no modification times: it dates from the company's first year.
    created = _since(None, _first_day(api.company))
    accounts = _modified_since(api, accounts, lambda _account: created)
    return _listing(
        api,
        "Accounts",
        accounts,
        lambda a: serialize.account_list_item(a, year.id, opening.get(a.number, 0), api.base),
        {"number": lambda a: a.number},
    )


def get_account(api: ApiRequest) -> Response:
    """`/3/accounts/{Number}?financialyear=`: adds the balance carried forward."""
    year = _financial_year(api)
    account = _lookup(
        api, api.company.accounts, "Number", ("Kan inte hitta kontot.", 2000423), numeric=True
    )
    brought = api.company.opening_balances.get(year.id, {}).get(account.number, 0)
    carried = _closing_balances(api, year.id).get(account.number, 0)
    record = serialize.account_detail(account, year.id, brought, carried, api.base)
    return json_response({"Account": record})


def list_financial_years(api: ApiRequest) -> Response:
    """`/3/financialyears[?Date=]`: all years, or the one containing a date."""
    years = sorted(api.company.financial_years, key=lambda year: year.from_date)
    chosen = single_filter(api.query, ["date"])
    if chosen is not None:
        day = date_param(api.query, "date")
        years = [y for y in years if day is not None and y.from_date <= day <= y.to_date]
    return _listing(api, "FinancialYears", years, lambda y: serialize.financial_year(y, api.base))


def get_financial_year(api: ApiRequest) -> Response:
    """`/3/financialyears/{Id}`."""
    for year in api.company.financial_years:
        if str(year.id) == api.path("Id"):
            return json_response({"FinancialYear": serialize.financial_year(year, api.base)})
    raise not_found("Kan inte hitta räkenskapsåret.", 2000091)


def _next_voucher_number(api: ApiRequest, year_id: int, code: str) -> int:
    numbers = [v.number for v in api.company.vouchers.get(year_id, []) if v.series == code]
    return max(numbers, default=0) + 1


def list_voucher_series(api: ApiRequest) -> Response:
    """`/3/voucherseries?financialyear=` → `VoucherSeriesCollection`."""
    year = _financial_year(api)
    series = sorted(api.company.voucher_series.values(), key=lambda s: s.code)
    return _listing(
        api,
        "VoucherSeriesCollection",
        series,
        lambda s: serialize.voucher_series_list_item(s, year.id, api.base),
    )


def get_voucher_series(api: ApiRequest) -> Response:
    """`/3/voucherseries/{Code}?financialyear=`: adds `NextVoucherNumber`."""
    year = _financial_year(api)
    missing = ("Kan inte hitta verifikationsserien.", 2000517)
    series = _lookup(api, api.company.voucher_series, "Code", missing)
    next_number = _next_voucher_number(api, year.id, series.code)
    record = serialize.voucher_series_detail(series, year.id, next_number, api.base)
    return json_response({"VoucherSeries": record})


def list_predefined_accounts(api: ApiRequest) -> Response:
    """`/3/predefinedaccounts` → `PreDefinedAccounts` (capital D, as Fortnox spells it)."""
    names = sorted(api.company.predefined_accounts.items())
    return _listing(
        api,
        "PreDefinedAccounts",
        names,
        lambda item: serialize.predefined_account(item[0], item[1], api.base),
    )


def get_predefined_account(api: ApiRequest) -> Response:
    """`/3/predefinedaccounts/{name}`."""
    name = api.path("name").upper()
    if name not in api.company.predefined_accounts:
        raise not_found("Kan inte hitta det fördefinierade kontot.", 2000433)
    record = serialize.predefined_account(name, api.company.predefined_accounts[name], api.base)
    return json_response({"PreDefinedAccount": record})


async def get_sie(api: ApiRequest) -> Response:
    """`/3/sie/{Type}?financialyear=`: the raw SIE file (CP437 bytes), no JSON envelope."""
    sie_type = api.path("Type")
    if sie_type not in ("1", "2", "3", "4"):
        raise not_found("Ogiltig SIE-typ.", 2000762)
    year = _financial_year(api)
    from sources.fortnox_sandbox.sie_writer import write_sie

    def export() -> bytes:
        with api.state.lock:
            return write_sie(api.company, year.id, int(sie_type))

    body = await run_in_threadpool(export)
    return Response(body, media_type="application/octet-stream")


# -- sales and purchases ------------------------------------------------------------------------
_INVOICE_FILTERS: dict[str, Callable[[Any, date], bool]] = {
    "cancelled": lambda inv, today: inv.cancelled,
    "fullypaid": lambda inv, today: not inv.cancelled and inv.booked and inv.balance == 0,
    "unpaid": lambda inv, today: not inv.cancelled and inv.booked and inv.balance != 0,
    "unpaidoverdue": lambda inv, today: (
        not inv.cancelled and inv.booked and inv.balance != 0 and inv.due_date < today
    ),
    "unbooked": lambda inv, today: not inv.cancelled and not inv.booked,
}
_SUPPLIER_INVOICE_FILTERS: dict[str, Callable[[Any, date], bool]] = {
    **_INVOICE_FILTERS,
    # Payments the sandbox has not yet sent: booked, open and not yet due.
    "pendingpayment": lambda inv, today: (
        not inv.cancelled and inv.booked and inv.balance != 0 and inv.due_date >= today
    ),
    "authorizepending": lambda inv, today: False,
}


def _status_filter(
    api: ApiRequest, records: list[Any], filters: Mapping[str, Callable[[Any, date], bool]]
) -> list[Any]:
    wanted = api.query["filter"].lower()
    if wanted not in filters:
        raise invalid_filter()
    keep = filters[wanted]
    return [record for record in records if keep(record, api.company.business_date)]


def list_invoices(api: ApiRequest) -> Response:
    """`/3/invoices`: `filter=`, one search parameter, date range and `lastmodified`."""
    invoices = list(api.company.invoices.values())
    for name, value in search_filters(
        api.query,
        [
            "filter",
            "customernumber",
            "customername",
            "documentnumber",
            "ocr",
            "project",
            "costcenter",
            "credit",
            "currency",
            "sent",
        ],
    ):
        if name == "filter":
            invoices = _status_filter(api, invoices, _INVOICE_FILTERS)
        else:
            field_of: dict[str, Callable[[Any], str]] = {
                "customernumber": lambda i: i.customer_number,
                "customername": lambda i: i.customer_name,
                "documentnumber": lambda i: str(i.document_number),
                "ocr": lambda i: i.ocr,
                "project": lambda i: i.project,
                "costcenter": lambda i: i.cost_center,
                "credit": lambda i: str(i.credit).lower(),
                "currency": lambda i: i.currency,
                "sent": lambda i: str(i.sent).lower(),
            }
            wanted = value.lower()
            invoices = [i for i in invoices if field_of[name](i).lower() == wanted]
    invoices = _date_range(api, invoices, lambda i: i.invoice_date)
    invoices = _modified_since(api, invoices, lambda i: _since(i.last_modified, i.invoice_date))
    invoices.sort(key=lambda i: i.document_number)
    return _listing(
        api,
        "Invoices",
        invoices,
        lambda i: serialize.invoice_list_item(i, api.base),
        {
            "customername": lambda i: (i.customer_name, i.document_number),
            "customernumber": lambda i: (natural_key(i.customer_number), i.document_number),
            "documentnumber": lambda i: i.document_number,
            "invoicedate": lambda i: (i.invoice_date, i.document_number),
            "ocr": lambda i: (i.ocr, i.document_number),
            "total": lambda i: (i.total, i.document_number),
        },
    )


def get_invoice(api: ApiRequest) -> Response:
    """`/3/invoices/{DocumentNumber}`: with rows; the recorded capitalised 404 if unknown."""
    missing = ("Kan inte hitta fakturan.", 2000434)
    invoice = _lookup(api, api.company.invoices, "DocumentNumber", missing, numeric=True)
    customer = api.company.customers.get(invoice.customer_number)
    return json_response({"Invoice": serialize.invoice_detail(invoice, customer, api.base)})


def list_invoice_payments(api: ApiRequest) -> Response:
    """`/3/invoicepayments[?invoicenumber=]`, with `lastmodified`."""
    payments = sorted(api.company.invoice_payments.values(), key=lambda p: p.number)
    payments = _for_invoice(api, payments)
    payments = _modified_since(api, payments, lambda p: _since(p.last_modified, p.payment_date))
    return _listing(
        api,
        "InvoicePayments",
        payments,
        lambda p: serialize.invoice_payment_list_item(p, api.base),
        _PAYMENT_SORT_KEYS,
    )


def get_invoice_payment(api: ApiRequest) -> Response:
    """`/3/invoicepayments/{Number}`."""
    missing = ("Kan inte hitta inbetalningen.", 2000438)
    payment = _lookup(api, api.company.invoice_payments, "Number", missing, numeric=True)
    invoice = api.company.invoices.get(payment.invoice_number)
    bank = api.company.predefined_accounts.get("BG", 1930)
    record = serialize.invoice_payment_detail(payment, invoice, bank, api.base)
    return json_response({"InvoicePayment": record})


def list_supplier_invoices(api: ApiRequest) -> Response:
    """`/3/supplierinvoices`: `filter=` (seven values), supplier, date range."""
    invoices = sorted(api.company.supplier_invoices.values(), key=lambda i: i.given_number)
    for name, value in search_filters(api.query, ["filter", "suppliernumber", "ocr"]):
        if name == "filter":
            invoices = _status_filter(api, invoices, _SUPPLIER_INVOICE_FILTERS)
        elif name == "suppliernumber":
            invoices = [i for i in invoices if i.supplier_number == value]
        else:
            invoices = [i for i in invoices if i.ocr == value]
    invoices = _date_range(api, invoices, lambda i: i.invoice_date)
    payments = _supplier_payments_by_invoice(api)
    return _listing(
        api,
        "SupplierInvoices",
        invoices,
        lambda i: serialize.supplier_invoice_list_item(
            i, payments.get(i.given_number, []), api.base
        ),
        {
            "givennumber": lambda i: i.given_number,
            "invoicedate": lambda i: (i.invoice_date, i.given_number),
            "suppliernumber": lambda i: (natural_key(i.supplier_number), i.given_number),
        },
    )


def get_supplier_invoice(api: ApiRequest) -> Response:
    """`/3/supplierinvoices/{GivenNumber}`: with its booking rows."""
    missing = ("Kan inte hitta leverantörsfakturan.", 2000435)
    invoice = _lookup(api, api.company.supplier_invoices, "GivenNumber", missing, numeric=True)
    payments = _supplier_payments_by_invoice(api).get(invoice.given_number, [])
    payable = api.company.predefined_accounts.get("SUPPLIERDEBT", 2440)
    record = serialize.supplier_invoice_detail(
        invoice, payments, api.company.accounts, payable, api.base
    )
    return json_response({"SupplierInvoice": record})


def list_supplier_invoice_payments(api: ApiRequest) -> Response:
    """`/3/supplierinvoicepayments[?invoicenumber=]` (`lastmodified` is ignored here)."""
    payments = sorted(api.company.supplier_invoice_payments.values(), key=lambda p: p.number)
    payments = _for_invoice(api, payments)
    return _listing(
        api,
        "SupplierInvoicePayments",
        payments,
        lambda p: serialize.supplier_invoice_payment_list_item(p, api.base),
        _PAYMENT_SORT_KEYS,
    )


def get_supplier_invoice_payment(api: ApiRequest) -> Response:
    """`/3/supplierinvoicepayments/{Number}`."""
    missing = ("Kan inte hitta utbetalningen.", 2000439)
    payment = _lookup(api, api.company.supplier_invoice_payments, "Number", missing, numeric=True)
    invoice = api.company.supplier_invoices.get(payment.invoice_number)
    record = serialize.supplier_invoice_payment_detail(payment, invoice, api.base)
    return json_response({"SupplierInvoicePayment": record})


# -- registers ----------------------------------------------------------------------------------
def list_customers(api: ApiRequest) -> Response:
    """`/3/customers`: `filter=active|inactive`, one search parameter, `lastmodified`."""
    customers = sorted(api.company.customers.values(), key=lambda c: natural_key(c.number))
    search: dict[str, Callable[[Any], str]] = {
        "customernumber": lambda c: c.number,
        "name": lambda c: c.name,
        "zipcode": lambda c: c.zip_code,
        "city": lambda c: c.city,
        "email": lambda c: c.email,
        "phone": lambda c: c.phone,
        "organisationnumber": lambda c: c.organisation_number,
    }
    for name, value in search_filters(api.query, ["filter", *search]):
        if name == "filter":
            if value.lower() not in ("active", "inactive"):
                raise invalid_filter()
            active = value.lower() == "active"
            customers = [c for c in customers if c.active == active]
        else:
            customers = [c for c in customers if value.lower() in search[name](c).lower()]
    first_day = _first_day(api.company)
    customers = _modified_since(api, customers, lambda c: _since(c.last_modified, first_day))
    return _listing(
        api,
        "Customers",
        customers,
        lambda c: serialize.customer_list_item(c, api.base),
        _number_and_name_sort("customernumber"),
    )


def get_customer(api: ApiRequest) -> Response:
    """`/3/customers/{CustomerNumber}`."""
    missing = ("Kan inte hitta kunden.", 2000433)
    customer = _lookup(api, api.company.customers, "CustomerNumber", missing)
    return json_response({"Customer": serialize.customer_detail(customer, api.base)})


def list_suppliers(api: ApiRequest) -> Response:
    """`/3/suppliers` (`lastmodified` is ignored here)."""
    suppliers = sorted(api.company.suppliers.values(), key=lambda s: natural_key(s.number))
    return _listing(
        api,
        "Suppliers",
        suppliers,
        lambda s: serialize.supplier_list_item(s, api.base),
        _number_and_name_sort("suppliernumber"),
    )


def get_supplier(api: ApiRequest) -> Response:
    """`/3/suppliers/{SupplierNumber}`."""
    missing = ("Kan inte hitta leverantören.", 2000432)
    supplier = _lookup(api, api.company.suppliers, "SupplierNumber", missing)
    return json_response({"Supplier": serialize.supplier_detail(supplier, api.base)})


def list_cost_centers(api: ApiRequest) -> Response:
    """`/3/costcenters` (`lastmodified` is ignored here)."""
    centers = sorted(api.company.cost_centers.values(), key=lambda c: c.code)
    return _listing(api, "CostCenters", centers, lambda c: serialize.cost_center(c, api.base))


def get_cost_center(api: ApiRequest) -> Response:
    """`/3/costcenters/{Code}`."""
    missing = ("Kan inte hitta kostnadsstället.", 2000436)
    center = _lookup(api, api.company.cost_centers, "Code", missing)
    return json_response({"CostCenter": serialize.cost_center(center, api.base)})


def list_projects(api: ApiRequest) -> Response:
    """`/3/projects`, with `lastmodified`."""
    projects = sorted(api.company.projects.values(), key=lambda p: natural_key(p.number))
    first_day = _first_day(api.company)
    projects = _modified_since(
        api, projects, lambda p: _since(p.last_modified, p.start_date or first_day)
    )
    return _listing(api, "Projects", projects, lambda p: serialize.project_list_item(p, api.base))


def get_project(api: ApiRequest) -> Response:
    """`/3/projects/{ProjectNumber}`."""
    missing = ("Kan inte hitta projektet.", 2000437)
    project = _lookup(api, api.company.projects, "ProjectNumber", missing)
    return json_response({"Project": serialize.project_detail(project, api.base)})


def get_company_information(api: ApiRequest) -> Response:
    """`/3/companyinformation`."""
    return json_response({"CompanyInformation": serialize.company_information(api.company)})


def get_company_settings(api: ApiRequest) -> Response:
    """`/3/settings/company`."""
    return json_response({"CompanySettings": serialize.company_settings(api.company)})


def get_locked_period(api: ApiRequest) -> Response:
    """`/3/settings/lockedperiod`: `EndDate` empty when nothing is locked."""
    return json_response({"LockedPeriod": serialize.locked_period(api.company)})


def unknown_route(api: ApiRequest) -> Response:
    """Anything else under `/3/`."""
    raise not_found("Det finns ingen sådan resurs (No such route).", 2000762)


# (path template, scope, handler). Order matters where templates overlap (sublist).
API_ROUTES: list[tuple[str, str | None, Handler]] = [
    ("/3/vouchers", "bookkeeping", list_vouchers),
    ("/3/vouchers/sublist", "bookkeeping", list_vouchers),
    ("/3/vouchers/sublist/{VoucherSeries}", "bookkeeping", list_vouchers),
    ("/3/vouchers/{VoucherSeries}/{VoucherNumber}", "bookkeeping", get_voucher),
    ("/3/accounts", "bookkeeping", list_accounts),
    ("/3/accounts/{Number}", "bookkeeping", get_account),
    ("/3/financialyears", "bookkeeping", list_financial_years),
    ("/3/financialyears/{Id}", "bookkeeping", get_financial_year),
    ("/3/voucherseries", "bookkeeping", list_voucher_series),
    ("/3/voucherseries/{Code}", "bookkeeping", get_voucher_series),
    ("/3/sie/{Type}", "bookkeeping", get_sie),
    ("/3/invoices", "invoice", list_invoices),
    ("/3/invoices/{DocumentNumber}", "invoice", get_invoice),
    ("/3/invoicepayments", "payment", list_invoice_payments),
    ("/3/invoicepayments/{Number}", "payment", get_invoice_payment),
    ("/3/supplierinvoices", "supplierinvoice", list_supplier_invoices),
    ("/3/supplierinvoices/{GivenNumber}", "supplierinvoice", get_supplier_invoice),
    ("/3/supplierinvoicepayments", "payment", list_supplier_invoice_payments),
    ("/3/supplierinvoicepayments/{Number}", "payment", get_supplier_invoice_payment),
    ("/3/customers", "customer", list_customers),
    ("/3/customers/{CustomerNumber}", "customer", get_customer),
    ("/3/suppliers", "supplier", list_suppliers),
    ("/3/suppliers/{SupplierNumber}", "supplier", get_supplier),
    ("/3/costcenters", "costcenter", list_cost_centers),
    ("/3/costcenters/{Code}", "costcenter", get_cost_center),
    ("/3/projects", "project", list_projects),
    ("/3/projects/{ProjectNumber}", "project", get_project),
    ("/3/companyinformation", "companyinformation", get_company_information),
    ("/3/settings/company", "settings", get_company_settings),
    ("/3/settings/lockedperiod", "settings", get_locked_period),
    ("/3/predefinedaccounts", "settings", list_predefined_accounts),
    ("/3/predefinedaccounts/{name}", "settings", get_predefined_account),
    *attachments.ROUTES,  # issue 13: file connections (metadata only)
    ("/3/{rest:path}", None, unknown_route),
]
