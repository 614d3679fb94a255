"""Lists page, sort and filter as Fortnox's do; errors carry the recorded bodies."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from starlette.applications import Starlette

from sources.fortnox_sandbox.transport import sandbox_transport
from tests.sandbox_api.conftest import BASE_URL


def test_every_page_then_the_last(client: httpx.Client) -> None:
    seen = []
    page, total_pages = 1, None
    while total_pages is None or page <= total_pages:
        body = client.get("/3/invoices", params={"limit": 3, "page": page}).json()
        assert list(body) == ["MetaInformation", "Invoices"]  # MetaInformation comes first
        meta = body["MetaInformation"]
        assert meta == {"@TotalResources": 7, "@TotalPages": 3, "@CurrentPage": page}
        seen += [invoice["DocumentNumber"] for invoice in body["Invoices"]]
        total_pages = meta["@TotalPages"]
        page += 1
    assert seen == ["1", "2", "3", "4", "5", "6", "7"]
    last = client.get("/3/invoices", params={"limit": 3, "page": 3}).json()
    assert len(last["Invoices"]) == 1


def test_default_limit_is_100_and_offset_skips(client: httpx.Client) -> None:
    body = client.get("/3/invoices").json()
    assert body["MetaInformation"] == {"@TotalResources": 7, "@TotalPages": 1, "@CurrentPage": 1}
    offset = client.get("/3/invoices", params={"offset": 5}).json()
    assert [i["DocumentNumber"] for i in offset["Invoices"]] == ["6", "7"]


def test_empty_list_has_zero_pages(client: httpx.Client) -> None:
    body = client.get("/3/invoices", params={"fromdate": "2030-01-01"}).json()
    assert body == {
        "MetaInformation": {"@TotalResources": 0, "@TotalPages": 0, "@CurrentPage": 1},
        "Invoices": [],
    }


@pytest.mark.parametrize("limit", ["0", "501", "abc", "-1"])
def test_limit_outside_1_to_500_is_a_400(client: httpx.Client, limit: str) -> None:
    response = client.get("/3/invoices", params={"limit": limit})
    assert response.status_code == 400
    assert response.json()["ErrorInformation"]["code"] == 2000588


def test_limit_bounds_are_accepted(client: httpx.Client) -> None:
    assert (
        client.get("/3/invoices", params={"limit": 1}).json()["MetaInformation"]["@TotalPages"] == 7
    )
    assert client.get("/3/invoices", params={"limit": 500}).status_code == 200


def test_sorting(client: httpx.Client) -> None:
    descending = client.get(
        "/3/invoices", params={"sortby": "total", "sortorder": "descending"}
    ).json()
    totals = [Decimal(str(i["Total"])) for i in descending["Invoices"]]
    assert totals == sorted(totals, reverse=True) and totals[0] == Decimal("875.00")
    by_customer = client.get("/3/invoices", params={"sortby": "customernumber"}).json()
    assert [i["CustomerNumber"] for i in by_customer["Invoices"]] == [
        "1", "1", "2", "2", "2", "3", "3",
    ]  # fmt: skip
    assert client.get("/3/invoices", params={"sortby": "nonsense"}).status_code == 400
    accounts = client.get("/3/accounts", params={"sortorder": "descending"}).json()
    assert [a["Number"] for a in accounts["Accounts"]][:2] == [5010, 3001]


@pytest.mark.parametrize(
    ("filter_value", "numbers"),
    [
        ("cancelled", ["6"]),
        ("fullypaid", ["2", "4"]),
        ("unpaid", ["1", "3", "7"]),
        ("unpaidoverdue", ["1", "3"]),  # due before the business date 2026-02-05
        ("unbooked", ["5"]),
    ],
)
def test_invoice_filters(client: httpx.Client, filter_value: str, numbers: list[str]) -> None:
    body = client.get("/3/invoices", params={"filter": filter_value}).json()
    assert [i["DocumentNumber"] for i in body["Invoices"]] == numbers


def test_invalid_filter_gets_the_recorded_body(client: httpx.Client) -> None:
    response = client.get("/3/invoices", params={"filter": "paidish"})
    assert response.status_code == 400
    assert response.json() == {
        "ErrorInformation": {
            "error": 1,
            "message": "Ett ogiltigt filter har använts.",
            "code": 2000587,
        }
    }
    assert client.get("/3/customers", params={"filter": "unpaid"}).status_code == 400


def test_customer_filter_and_supplier_invoice_filter(client: httpx.Client) -> None:
    inactive = client.get("/3/customers", params={"filter": "inactive"}).json()
    assert [c["CustomerNumber"] for c in inactive["Customers"]] == ["3"]
    pending = client.get("/3/supplierinvoices", params={"filter": "fullypaid"}).json()
    assert [i["GivenNumber"] for i in pending["SupplierInvoices"]] == ["1"]


def test_search_filters_combine_and_are_all_applied(client: httpx.Client) -> None:
    # Recorded real traffic: two search filters combined are accepted and both applied.
    both = client.get("/3/invoices", params={"filter": "unpaid", "customernumber": "2"})
    assert both.status_code == 200
    unpaid = client.get("/3/invoices", params={"filter": "unpaid"}).json()["Invoices"]
    assert [i["DocumentNumber"] for i in both.json()["Invoices"]] == [
        i["DocumentNumber"] for i in unpaid if i["CustomerNumber"] == "2"
    ]
    # A global parameter (lastmodified, dates) combines with a specific filter.
    combined = client.get(
        "/3/invoices", params={"customernumber": "2", "lastmodified": "2026-01-04 00:00"}
    ).json()
    assert [i["DocumentNumber"] for i in combined["Invoices"]] == ["4", "7"]


def test_lastmodified_where_supported(client: httpx.Client) -> None:
    invoices = client.get("/3/invoices", params={"lastmodified": "2026-01-05 12:30"}).json()
    assert [i["DocumentNumber"] for i in invoices["Invoices"]] == ["5", "6", "7"]
    customers = client.get("/3/customers", params={"lastmodified": "2026-01-02 08:00"}).json()
    assert [c["CustomerNumber"] for c in customers["Customers"]] == ["2", "3"]
    payments = client.get("/3/invoicepayments", params={"lastmodified": "2026-02-03"}).json()
    assert [p["Number"] for p in payments["InvoicePayments"]] == ["3"]
    accounts = client.get("/3/accounts", params={"lastmodified": "2026-03-01 00:00"}).json()
    assert accounts["MetaInformation"]["@TotalResources"] == 0  # the chart has not changed
    assert client.get("/3/invoices", params={"lastmodified": "yesterday"}).status_code == 400


@pytest.mark.parametrize(
    ("path", "envelope", "count"),
    [
        ("/3/supplierinvoices", "SupplierInvoices", 1),
        ("/3/suppliers", "Suppliers", 1),
        ("/3/costcenters", "CostCenters", 2),
        ("/3/vouchers?financialyear=2", "Vouchers", 8),
    ],
)
def test_lastmodified_is_ignored_where_unsupported(
    client: httpx.Client, path: str, envelope: str, count: int
) -> None:
    separator = "&" if "?" in path else "?"
    body = client.get(f"{path}{separator}lastmodified=2030-01-01 00:00").json()
    assert body["MetaInformation"]["@TotalResources"] == count
    assert len(body[envelope]) == count


def test_vouchers_per_year_series_and_dates(client: httpx.Client) -> None:
    def numbers(params: dict[str, str]) -> list[str]:
        body = client.get("/3/vouchers", params=params).json()
        return [f"{v['VoucherSeries']}{v['VoucherNumber']}" for v in body["Vouchers"]]

    assert numbers({"financialyear": "1"}) == ["A1", "A2", "A3"]
    assert numbers({}) == numbers({"financialyear": "2"})  # current year by default
    assert numbers({"financialyear": "2", "voucherseries": "C"}) == ["C1", "C2", "C3"]
    assert numbers({"financialyeardate": "2025-06-30"}) == ["A1", "A2", "A3"]
    assert numbers({"fromdate": "2026-01-03", "todate": "2026-01-04"}) == ["A3", "A4", "C3"]
    sublist = client.get("/3/vouchers/sublist/C", params={"financialyear": "2"}).json()
    assert sublist["MetaInformation"]["@TotalResources"] == 3
    assert "VoucherRows" not in sublist["Vouchers"][0]
    assert client.get("/3/vouchers", params={"financialyear": "99"}).status_code == 400


def test_voucher_detail_rows_include_struck_rows(client: httpx.Client) -> None:
    voucher = client.get("/3/vouchers/A/1", params={"financialyear": "2"}).json()["Voucher"]
    rows = voucher["VoucherRows"]
    assert [(r["Account"], r["Debit"], r["Credit"], r["Removed"]) for r in rows] == [
        (1930, 100.0, 0.0, False),
        (3001, 0.0, 100.0, False),
        (5010, 5.0, 0.0, True),
    ]  # fmt: skip
    assert (
        client.get("/3/vouchers/A/1", params={"financialyear": "1"}).json()["Voucher"][
            "TransactionDate"
        ]
        == "2025-03-01"
    )


def test_money_is_sent_in_shortest_form_and_rates_exactly(client: httpx.Client) -> None:
    text = client.get("/3/invoices/2").text
    assert '"Total":250,' in text  # real Fortnox writes 250, never 250.00
    assert '"CurrencyRate":11.4215' in text  # a number in the detail record ...
    listed = client.get("/3/invoices", params={"documentnumber": "2"}).json()
    assert listed["Invoices"][0]["CurrencyRate"] == "11.4215"  # ... a string in the list
    assert "InvoiceRows" not in listed["Invoices"][0]


def test_account_balances_per_year(client: httpx.Client) -> None:
    account = client.get("/3/accounts/1930", params={"financialyear": "2"}).json()["Account"]
    # IB 1600 + A1..A5 (1500) + C1..C3 (750); the struck row is on 5010.
    assert account["BalanceBroughtForward"] == 1600.0
    assert Decimal(str(account["BalanceCarriedForward"])) == Decimal("3850.00")
    listed = client.get("/3/accounts", params={"financialyear": "1"}).json()["Accounts"]
    assert {a["Number"]: a["Year"] for a in listed}[1930] == 1


def test_financial_years_by_date(client: httpx.Client) -> None:
    body = client.get("/3/financialyears", params={"Date": "2025-07-01"}).json()
    assert [y["Id"] for y in body["FinancialYears"]] == [1]
    assert client.get("/3/financialyears/2").json()["FinancialYear"]["FromDate"] == "2026-01-01"


def test_invoice_payments_by_invoice_number(client: httpx.Client) -> None:
    body = client.get("/3/invoicepayments", params={"invoicenumber": "4"}).json()
    assert [(p["Number"], p["InvoiceNumber"]) for p in body["InvoicePayments"]] == [("2", 4)]


def test_unknown_record_is_a_capitalised_404(client: httpx.Client) -> None:
    response = client.get("/3/invoices/999")
    assert response.status_code == 404
    assert response.json() == {
        "ErrorInformation": {"Error": 1, "Message": "Kan inte hitta fakturan.", "Code": 2000434}
    }
    for path in ("/3/accounts/4999", "/3/customers/X", "/3/vouchers/A/99", "/3/projects/9"):
        assert client.get(path).status_code == 404, path


def test_trailing_slash_is_the_same_resource(client: httpx.Client) -> None:
    body = client.get("/3/invoices/", params={"customernumber": "2"}).json()
    assert [i["DocumentNumber"] for i in body["Invoices"]] == ["1", "4", "7"]
    assert client.get("/3/invoices/2/").json()["Invoice"]["DocumentNumber"] == "2"


def test_unknown_route_is_a_404(client: httpx.Client) -> None:
    response = client.get("/3/articles-that-do-not-exist/1")
    assert response.status_code == 404
    assert response.json()["ErrorInformation"]["Code"] == 2000762


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_writes_are_405_with_error_information(client: httpx.Client, method: str) -> None:
    response = client.request(method, "/3/invoices/1", json={"Invoice": {}})
    assert response.status_code == 405
    assert response.json()["ErrorInformation"]["code"] == 2000588


def test_missing_or_unknown_token_is_401(anonymous: httpx.Client) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic x"}):
        response = anonymous.get("/3/invoices", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"message": "unauthorized"}


def test_scope_missing_is_403(app: Starlette) -> None:
    tokens = app.state.sandbox.issue_tokens_for_tests(scopes=["invoice"])
    with httpx.Client(
        transport=sandbox_transport(app),
        base_url=BASE_URL,
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ) as http:
        assert http.get("/3/invoices").status_code == 200
        for path in ("/3/vouchers", "/3/invoicepayments", "/3/settings/lockedperiod"):
            denied = http.get(path)
            assert denied.status_code == 403, path
            assert denied.json()["ErrorInformation"]["code"] == 2000663


def test_fortnox_headers(client: httpx.Client) -> None:
    response = client.get("/3/companyinformation")
    assert response.headers["server"] == "Fortnox"
    assert {"x-uid", "x-build", "x-rack-responsetime"} <= set(response.headers)
    assert response.json()["CompanyInformation"]["DatabaseNumber"] == 9001
    settings = client.get("/3/settings/company").json()["CompanySettings"]
    assert settings["DatabaseNumber"] == "9001"
