"""The sandbox writes values the way recorded real Fortnox traffic does (fact sheet, "How real
responses write values"): shortest numbers, null for absent dates and people, an empty page
with `@TotalResources` 0 past the end, search filters that combine."""

from __future__ import annotations

import re

import httpx
import pytest

from sources.fortnox_sandbox.transport import sandbox_transport
from tests.sandbox_api.conftest import BASE_URL
from tests.sandbox_api.test_schemas import assert_matches

LIST_PATHS = [
    "/3/invoices",
    "/3/invoicepayments",
    "/3/supplierinvoicepayments",
    "/3/accounts",
    "/3/vouchers",
    "/3/projects",
]
# A JSON number with a trailing zero after the point (`1500.00`, `0.50`): real Fortnox never
# writes one. Strings are left out: the spec types some amounts as text.
PADDED_NUMBER = re.compile(r"[:\[,]-?\d+\.\d*0[,}\]]")


def test_numbers_are_written_in_shortest_form(client: httpx.Client) -> None:
    for path in [*LIST_PATHS, "/3/invoices/2", "/3/accounts/1930", "/3/supplierinvoices/1"]:
        text = client.get(path).text
        assert PADDED_NUMBER.findall(text) == [], path
    assert '"Total":250,' in client.get("/3/invoices/2").text


def test_absent_people_are_null_not_empty(client: httpx.Client) -> None:
    projects = client.get("/3/projects").json()["Projects"]
    assert {p["ProjectNumber"]: p["ProjectLeader"] for p in projects} == {
        "1001": None,
        "1002": None,
    }
    assert all(p["EndDate"] is None for p in projects)


def test_offset_past_the_end_answers_an_empty_page_with_total_zero(client: httpx.Client) -> None:
    everything = client.get("/3/invoices").json()["MetaInformation"]["@TotalResources"]
    past = client.get("/3/invoices", params={"offset": everything + 3}).json()
    assert past["Invoices"] == []
    assert past["MetaInformation"]["@TotalResources"] == 0
    assert past["MetaInformation"]["@TotalPages"] == 0
    inside = client.get("/3/invoices", params={"offset": everything - 1}).json()
    assert inside["MetaInformation"]["@TotalResources"] == everything
    assert len(inside["Invoices"]) == 1


def test_two_search_filters_are_both_applied(client: httpx.Client) -> None:
    both = client.get("/3/customers", params={"city": "Göteborg", "zipcode": "11122"})
    assert both.status_code == 200
    assert len(both.json()["Customers"]) == 3
    none = client.get("/3/customers", params={"city": "Göteborg", "zipcode": "99999"}).json()
    assert none["Customers"] == []


# The registers' lists, validated against Fortnox's own schemas (no invented field).
REGISTER_LISTS = [
    ("/3/articles", "fortnox_ArticleListItem_List", "Articles"),
    ("/3/orders", "fortnox_OrderListItem_List", "Orders"),
    ("/3/offers", "fortnox_OfferListItem_List", "Offers"),
    ("/3/pricelists", "fortnox_PriceList_List", "PriceLists"),
    ("/3/prices/sublist/A", "fortnox_PriceListItem_List", "Prices"),
    ("/3/taxreductions", "fortnox_TaxReductionListItem_List", "TaxReductions"),
    ("/3/currencies", "fortnox_Currency_List", "Currencies"),
    ("/3/termsofpayments", "fortnox_TermsOfPayment_List", "TermsOfPayments"),
    ("/3/units", "fortnox_Unit_List", "Units"),
    ("/3/contracts", "fortnox_ContractListItem_List", "Contracts"),
]


@pytest.mark.parametrize(("path", "schema", "envelope"), REGISTER_LISTS)
def test_register_lists_match_the_official_schemas(
    client: httpx.Client, path: str, schema: str, envelope: str
) -> None:
    body = client.get(path).json()
    assert body[envelope], f"{path} is empty: nothing validated"
    assert_matches(body, schema, envelope)


def test_archive_and_inbox_folders_match_the_official_schema(client: httpx.Client) -> None:
    for path in ("/3/archive", "/3/inbox"):
        root = client.get(path).json()
        assert_matches(root, "fortnox_Folder_Wrap")
        for sub in root["Folder"]["Folders"]:
            inside = (
                client.get("/3/archive", params={"path": sub["Id"]})
                if path == "/3/archive"
                else client.get(f"/3/inbox/{sub['Id']}")
            ).json()
            assert_matches(inside, "fortnox_Folder_Wrap")
            assert all(
                "Size" in file and "Content" not in file for file in inside["Folder"]["Files"]
            )


def test_a_day_opens_a_draft_with_no_rows_and_the_next_deletes_it() -> None:
    from sources.fortnox_sandbox.app import create_app
    from sources.fortnox_sandbox.state import SandboxConfig

    app = create_app(SandboxConfig(rate_limit=None))
    tokens = app.state.sandbox.issue_tokens_for_tests()
    with httpx.Client(
        transport=sandbox_transport(app),
        base_url=BASE_URL,
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ) as http:
        before = {
            i["DocumentNumber"]
            for i in http.get("/3/invoices", params={"limit": 500}).json()["Invoices"]
        }
        (day,) = http.post("/_sandbox/advance").json().values()
        assert day[0]["registers"]["to_delete_tomorrow"] == 5
        drafts = [
            i
            for i in http.get("/3/invoices", params={"filter": "unbooked", "limit": 500}).json()[
                "Invoices"
            ]
            if i["DocumentNumber"] not in before and i["Total"] == 0
        ]
        assert len(drafts) == 1
        detail = http.get(f"/3/invoices/{drafts[0]['DocumentNumber']}").json()["Invoice"]
        assert detail["InvoiceRows"] == []  # as real Fortnox sends a draft just opened
        (next_day,) = http.post("/_sandbox/advance").json().values()
        assert next_day[0]["deleted"] == {
            "article": 1,
            "cost_center": 1,
            "customer": 1,
            "invoice": 1,
            "project": 1,
        }
        gone = http.get(f"/3/invoices/{drafts[0]['DocumentNumber']}")
        assert gone.status_code == 404
