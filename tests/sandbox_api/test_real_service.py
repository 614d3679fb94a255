"""The sandbox writes values the way recorded real Fortnox traffic does (fact sheet, "How real
responses write values"): shortest numbers, null for absent dates and people, an empty page
with `@TotalResources` 0 past the end, search filters that combine."""

from __future__ import annotations

import re

import httpx

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
