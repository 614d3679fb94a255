"""Read-only by construction: a write never leaves the process, whatever asks for it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from sources.fortnox.errors import ReadOnlyViolation
from sources.fortnox.read_only import AllowedRequest, ReadOnlyTransport
from tests.client.conftest import API, AUTH, FakeFortnox, make_auth, make_client, seed_login


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
def test_the_api_client_refuses_every_method_but_get(
    fake: FakeFortnox, token_dir: Path, method: str
) -> None:
    seed_login(token_dir, fake)
    client = make_client(fake, make_auth(fake, token_dir))
    with pytest.raises(ReadOnlyViolation, match=f"refused to send {method}"):
        client._http.request(method, "vouchers", json={"Voucher": {}})
    assert fake.seen == []


def test_the_api_client_only_talks_to_its_own_api_root(fake: FakeFortnox, token_dir: Path) -> None:
    seed_login(token_dir, fake)
    client = make_client(fake, make_auth(fake, token_dir))
    for url in ["https://evil.example/3/vouchers", f"{API}/oauth-v1/token", f"{API}/4/vouchers"]:
        with pytest.raises(ReadOnlyViolation):
            client._http.get(url)
    assert fake.seen == []
    assert client.get_json("companyinformation") == {"ok": True}
    assert len(fake.seen) == 1


def test_the_auth_client_only_posts_to_the_token_endpoint(
    fake: FakeFortnox, token_dir: Path
) -> None:
    auth = make_auth(fake, token_dir)
    for method, url in [
        ("GET", f"{AUTH}/oauth-v1/token"),
        ("POST", f"{AUTH}/oauth-v1/migrate"),
        ("POST", f"{API}/3/vouchers"),
        ("DELETE", f"{AUTH}/oauth-v1/token"),
    ]:
        with pytest.raises(ReadOnlyViolation):
            auth._oauth.request(method, url, withhold_token=True)
    assert fake.seen == []


def test_the_guard_checks_scheme_host_and_port() -> None:
    seen: list[httpx.Request] = []
    inner = httpx.MockTransport(lambda request: seen.append(request) or httpx.Response(200))
    guard = ReadOnlyTransport(inner, [AllowedRequest("GET", "https://api.fortnox.se/3/")])
    with httpx.Client(transport=guard) as http:
        for url in [
            "http://api.fortnox.se/3/x",
            "https://api.fortnox.se:8443/3/x",
            "https://api.fortnox.se.evil/3/x",
            "https://api.fortnox.se/3x",
        ]:
            with pytest.raises(ReadOnlyViolation):
                http.get(url)
        assert http.get("https://api.fortnox.se/3/x").status_code == 200
    assert len(seen) == 1
