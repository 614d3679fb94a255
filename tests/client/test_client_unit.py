"""The client on a scripted Fortnox: retries, typed errors, pagination, re-authentication."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sources.fortnox.client import endpoint_template
from sources.fortnox.errors import (
    ApiError,
    ApiUnavailable,
    AuthenticationRequired,
    NotFound,
    ScopeMissing,
)
from tests.client.conftest import FakeFortnox, fast_retry, make_auth, make_client, seed_login


def _script(*answers: httpx.Response | Exception) -> tuple[list[httpx.Request], object]:
    """An API handler answering in order (an exception is raised like a dropped connection)."""
    pending: Iterator[httpx.Response | Exception] = iter(answers)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = next(pending)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return seen, handler


@pytest.fixture
def logged_in(fake: FakeFortnox, token_dir: Path) -> FakeFortnox:
    seed_login(token_dir, fake)
    return fake


def test_5xx_timeouts_and_dropped_connections_are_retried(
    logged_in: FakeFortnox, token_dir: Path
) -> None:
    seen, logged_in.api = _script(
        httpx.Response(503),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("peer closed connection"),
        httpx.Response(502, text="<html>bad gateway</html>"),
        httpx.Response(200, json={"CompanyInformation": {"CompanyName": "Acme AB"}}),
    )
    client = make_client(logged_in, make_auth(logged_in, token_dir))
    document = client.get_json("companyinformation")
    assert document["CompanyInformation"]["CompanyName"] == "Acme AB"
    assert len(seen) == 5
    stats = client.stats.endpoints["companyinformation"]
    assert (stats.requests, stats.retries, stats.rate_limited) == (5, 4, 0)


def test_a_429_is_retried_after_the_window_frees_without_retry_after(
    logged_in: FakeFortnox, token_dir: Path
) -> None:
    seen, logged_in.api = _script(
        httpx.Response(429, json={"message": "Too many requests"}),
        httpx.Response(200, json={"ok": 1}),
    )
    client = make_client(logged_in, make_auth(logged_in, token_dir))
    assert client.get_json("vouchers") == {"ok": 1}
    assert client.stats.total_rate_limited == 1 and client.stats.total_retries == 1
    assert len(seen) == 2


def test_after_the_last_retry_the_error_names_endpoint_status_code_and_message(
    logged_in: FakeFortnox, token_dir: Path
) -> None:
    body = {"ErrorInformation": {"Error": 1, "Message": "Tillfälligt fel", "Code": 2000000}}
    logged_in.api = lambda request: httpx.Response(503, json=body)
    client = make_client(logged_in, make_auth(logged_in, token_dir), retry=fast_retry(3))
    with pytest.raises(ApiUnavailable) as raised:
        client.get_json("vouchers/A/12", {"financialyear": 3})
    assert str(raised.value) == (
        "GET /3/vouchers/{id}/{id} failed with HTTP 503 (code 2000000: Tillfälligt fel) "
        "after 4 attempt(s) — Fortnox is unavailable; the next run fetches what this one missed"
    )
    assert raised.value.status == 503 and raised.value.code == 2000000
    assert len(logged_in.api_requests()) == 4


def test_a_connection_that_never_works_ends_in_api_unavailable(
    logged_in: FakeFortnox, token_dir: Path
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    logged_in.api = refuse
    client = make_client(logged_in, make_auth(logged_in, token_dir), retry=fast_retry(2))
    with pytest.raises(ApiUnavailable, match=r"no response after 3 attempt\(s\) \(ConnectError\)"):
        client.get_bytes("sie/4")


def test_final_answers_become_typed_errors_without_retry(
    logged_in: FakeFortnox, token_dir: Path
) -> None:
    answers = {
        "/3/invoices/99": httpx.Response(
            404,
            json={
                "ErrorInformation": {
                    "Error": 1,
                    "Message": "Kan inte hitta fakturan.",
                    "Code": 2000434,
                }
            },
        ),
        "/3/vouchers": httpx.Response(
            403,
            json={
                "ErrorInformation": {"error": 1, "message": "Saknar behörighet", "code": 2000663}
            },
        ),
        "/3/invoices": httpx.Response(
            400,
            json={
                "ErrorInformation": {
                    "error": 1,
                    "message": "Ett ogiltigt filter har använts.",
                    "code": 2000587,
                }
            },
        ),
    }
    answers["/3/settings/company"] = httpx.Response(
        403,
        json={"ErrorInformation": {"error": 1, "message": "Saknar licens", "code": 2001103}},
    )
    logged_in.api = lambda request: answers[request.url.path]
    client = make_client(logged_in, make_auth(logged_in, token_dir))
    with pytest.raises(NotFound) as not_found:
        client.get_json("invoices/99")
    assert not_found.value.code == 2000434 and "invoices/{id}" in str(not_found.value)
    with pytest.raises(ScopeMissing) as scope:
        client.get_json("vouchers")
    assert scope.value.scope == "bookkeeping"
    with pytest.raises(ApiError) as bad:
        client.get_json("invoices", {"filter": "nonsense"})
    assert bad.value.status == 400 and bad.value.code == 2000587
    with pytest.raises(ApiError) as forbidden:
        client.get_json("settings/company")
    assert type(forbidden.value) is ApiError and forbidden.value.code == 2001103
    assert len(logged_in.api_requests()) == 4  # none of them was retried


def test_a_401_refreshes_once_then_succeeds(logged_in: FakeFortnox, token_dir: Path) -> None:
    seen, logged_in.api = _script(
        httpx.Response(401, json={"message": "unauthorized"}), httpx.Response(200, json={"n": 2})
    )
    client = make_client(logged_in, make_auth(logged_in, token_dir))
    assert client.get_json("accounts") == {"n": 2}
    assert logged_in.grants == ["refresh_token"]
    first, second = (request.headers["authorization"] for request in seen)
    assert first != second


def test_a_401_after_a_fresh_token_asks_for_login(logged_in: FakeFortnox, token_dir: Path) -> None:
    logged_in.api = lambda request: httpx.Response(401, json={"message": "unauthorized"})
    client = make_client(logged_in, make_auth(logged_in, token_dir))
    with pytest.raises(AuthenticationRequired, match="auth login --profile default"):
        client.get_json("accounts")
    assert logged_in.grants == ["refresh_token"]


def _pages(total: int, per_page: int) -> object:
    records = [{"DocumentNumber": str(n)} for n in range(1, total + 1)]

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        limit = int(request.url.params["limit"])
        assert limit == per_page
        pages = -(-total // limit)
        chunk = records[(page - 1) * limit : page * limit]
        meta = {"@TotalResources": total, "@TotalPages": pages, "@CurrentPage": page}
        return httpx.Response(200, json={"MetaInformation": meta, "Invoices": chunk})

    return handler


def test_paginate_follows_total_pages_with_limit_500(
    logged_in: FakeFortnox, token_dir: Path
) -> None:
    logged_in.api = _pages(1234, 500)  # type: ignore[assignment]
    client = make_client(logged_in, make_auth(logged_in, token_dir))
    pages = list(client.paginate("invoices", "Invoices", {"fromdate": "2024-01-01"}))
    assert [len(page) for page in pages] == [500, 500, 234]
    numbers = [int(item["DocumentNumber"]) for page in pages for item in page]
    assert numbers == list(range(1, 1235))
    requests = logged_in.api_requests()
    assert [r.url.params["page"] for r in requests] == ["1", "2", "3"]
    assert all(r.url.params["fromdate"] == "2024-01-01" for r in requests)


def test_paginate_over_an_empty_list_yields_nothing(
    logged_in: FakeFortnox, token_dir: Path
) -> None:
    meta = {"@TotalResources": 0, "@TotalPages": 0, "@CurrentPage": 1}
    logged_in.api = lambda request: httpx.Response(
        200, json={"MetaInformation": meta, "Invoices": []}
    )
    client = make_client(logged_in, make_auth(logged_in, token_dir))
    assert list(client.paginate("invoices", "Invoices")) == []
    assert len(logged_in.api_requests()) == 1


def test_paginate_rejects_a_response_without_the_envelope(
    logged_in: FakeFortnox, token_dir: Path
) -> None:
    logged_in.api = lambda request: httpx.Response(200, json={"Vouchers": []})
    client = make_client(logged_in, make_auth(logged_in, token_dir))
    with pytest.raises(ApiError, match="has no 'Invoices' list"):
        list(client.paginate("invoices", "Invoices"))


def test_get_bytes_returns_the_raw_body(logged_in: FakeFortnox, token_dir: Path) -> None:
    sie = '#FLAGGA 0\r\n#FORMAT PC8\r\n#FNAMN "Åkerö AB"\r\n'.encode("cp437")
    logged_in.api = lambda request: httpx.Response(200, content=sie)
    client = make_client(logged_in, make_auth(logged_in, token_dir))
    assert client.get_bytes("sie/4", {"financialyear": 2}) == sie
    assert client.stats.as_dict()["sie/{id}"]["bytes"] == len(sie)


def test_requests_carry_bearer_and_accept_headers(logged_in: FakeFortnox, token_dir: Path) -> None:
    client = make_client(logged_in, make_auth(logged_in, token_dir))
    client.get_json("financialyears")
    (request,) = logged_in.api_requests()
    assert request.headers["accept"] == "application/json"
    assert request.headers["authorization"] == f"Bearer {logged_in.access_tokens[0]}"
    assert str(request.url) == "https://api.fortnox.test/3/financialyears"


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("vouchers", "vouchers"),
        ("/vouchers/sublist/A", "vouchers/sublist/{id}"),
        ("vouchers/A/12", "vouchers/{id}/{id}"),
        ("sie/4", "sie/{id}"),
        ("settings/lockedperiod", "settings/lockedperiod"),
        ("customers/K-1001", "customers/{id}"),
    ],
)
def test_endpoint_templates_hide_identifiers(path: str, template: str) -> None:
    assert endpoint_template(path) == template


def test_stats_are_json_ready(logged_in: FakeFortnox, token_dir: Path) -> None:
    client = make_client(logged_in, make_auth(logged_in, token_dir))
    client.get_json("accounts/1930")
    client.get_json("accounts/2440")
    dumped = json.loads(json.dumps(client.stats.as_dict()))
    assert dumped["accounts/{id}"]["requests"] == 2
    assert client.stats.total_requests == 2
