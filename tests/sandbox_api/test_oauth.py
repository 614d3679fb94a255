"""The sandbox's OAuth server behaves like Fortnox's: rotation, single use, client credentials."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from tests.sandbox_api.conftest import FakeClock

BASIC = {"Authorization": "Basic " + base64.b64encode(b"sandbox-client:sandbox-secret").decode()}
REDIRECT = "http://localhost:8080/callback"


def _consent(anonymous: httpx.Client, **extra: str) -> str:
    params = {
        "client_id": "sandbox-client",
        "redirect_uri": REDIRECT,
        "scope": "bookkeeping invoice",
        "state": "xyz-42",
        "access_type": "offline",
        "response_type": "code",
        **extra,
    }
    response = anonymous.get("/oauth-v1/auth", params=params)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["xyz-42"]
    return query["code"][0]


def _exchange(anonymous: httpx.Client, code: str) -> httpx.Response:
    return anonymous.post(
        "/oauth-v1/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        headers=BASIC,
    )


def _refresh(anonymous: httpx.Client, refresh_token: str) -> httpx.Response:
    return anonymous.post(
        "/oauth-v1/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        headers=BASIC,
    )


def _claims(access_token: str) -> dict[str, object]:
    payload = access_token.split(".")[1]
    claims: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
    return claims


def test_code_exchange_gives_fortnox_token_response(anonymous: httpx.Client) -> None:
    response = _exchange(anonymous, _consent(anonymous))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "scope", "expires_in", "token_type"}
    assert body["scope"] == "bookkeeping invoice"
    assert body["expires_in"] == 3600
    assert body["token_type"] == "bearer"
    claims = _claims(body["access_token"])
    assert claims["tenantId"] == 9001
    assert claims["clientid"] == "sandbox-client"
    assert claims["scope"] == "bookkeeping invoice"
    assert {"exp", "jti"} <= set(claims)


def test_authorization_code_is_single_use(anonymous: httpx.Client) -> None:
    code = _consent(anonymous)
    assert _exchange(anonymous, code).status_code == 200
    reused = _exchange(anonymous, code)
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"


def test_authorization_code_expires_after_ten_minutes(
    anonymous: httpx.Client, clock: FakeClock
) -> None:
    code = _consent(anonymous)
    clock.advance(601)
    assert _exchange(anonymous, code).status_code == 400


def test_consent_requires_state_and_scope(anonymous: httpx.Client) -> None:
    response = anonymous.get(
        "/oauth-v1/auth", params={"client_id": "sandbox-client", "redirect_uri": REDIRECT}
    )
    assert response.status_code == 400
    assert "scope" in response.json()["error_description"]
    assert "state" in response.json()["error_description"]


def test_each_refresh_rotates_and_old_token_is_rejected_exactly(
    anonymous: httpx.Client, app: Starlette
) -> None:
    first = _exchange(anonymous, _consent(anonymous)).json()
    second = _refresh(anonymous, first["refresh_token"])
    assert second.status_code == 200
    third = _refresh(anonymous, second.json()["refresh_token"])
    assert third.status_code == 200
    tokens = {first["refresh_token"], second.json()["refresh_token"], third.json()["refresh_token"]}
    assert len(tokens) == 3  # every refresh rotates

    reused = _refresh(anonymous, first["refresh_token"])
    assert reused.status_code == 400
    assert reused.headers["content-type"].startswith("text/html")
    assert reused.text == '{"error": "invalid_grant", "error_description": "Invalid refresh token"}'
    assert reused.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid refresh token",
    }
    stats = anonymous.get("/_sandbox/stats").json()
    assert stats["token_requests"] == {"authorization_code": 1, "refresh_token": 3}
    assert stats["refresh_rejected"] == 1


def test_refreshed_token_keeps_tenant_and_scopes(anonymous: httpx.Client) -> None:
    first = _exchange(anonymous, _consent(anonymous)).json()
    refreshed = _refresh(anonymous, first["refresh_token"]).json()
    assert refreshed["scope"] == "bookkeeping invoice"
    assert _claims(refreshed["access_token"])["tenantId"] == 9001


def test_refresh_token_expires_after_45_days(anonymous: httpx.Client, clock: FakeClock) -> None:
    first = _exchange(anonymous, _consent(anonymous)).json()
    clock.advance(45 * 24 * 3600 + 1)
    assert _refresh(anonymous, first["refresh_token"]).status_code == 400


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Basic " + base64.b64encode(b"sandbox-client:wrong").decode()},
        {"Authorization": "Basic " + base64.b64encode(b"someone:sandbox-secret").decode()},
        {},
    ],
    ids=["wrong-secret", "wrong-id", "no-basic-auth"],
)
def test_wrong_client_gets_401_invalid_client_as_text(
    anonymous: httpx.Client, headers: dict[str, str]
) -> None:
    response = anonymous.post(
        "/oauth-v1/token",
        data={"grant_type": "refresh_token", "refresh_token": "whatever"},
        headers=headers,
    )
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/plain")
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "The client credentials are invalid",
    }


def test_client_credentials_for_a_service_tenant(anonymous: httpx.Client) -> None:
    _consent(anonymous, account_type="service")
    response = anonymous.post(
        "/oauth-v1/token",
        data={"grant_type": "client_credentials", "scope": "bookkeeping"},
        headers={**BASIC, "TenantId": "9001"},
    )
    assert response.status_code == 200
    body = response.json()
    assert "refresh_token" not in body
    assert body["scope"] == "bookkeeping"
    assert _claims(body["access_token"])["tenantId"] == 9001
    api = anonymous.get(
        "/3/financialyears", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert api.status_code == 200
    assert api.json()["MetaInformation"]["@TotalResources"] == 2


def test_client_credentials_without_tenant_header_is_refused(anonymous: httpx.Client) -> None:
    _consent(anonymous, account_type="service")
    response = anonymous.post(
        "/oauth-v1/token", data={"grant_type": "client_credentials"}, headers=BASIC
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_client_credentials_need_a_service_account_consent(anonymous: httpx.Client) -> None:
    _consent(anonymous)  # an ordinary user consent
    response = anonymous.post(
        "/oauth-v1/token",
        data={"grant_type": "client_credentials"},
        headers={**BASIC, "TenantId": "9001"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_access_token_expires_with_short_ttl(clock: FakeClock) -> None:
    from sources.fortnox_sandbox.app import create_app
    from sources.fortnox_sandbox.state import SandboxConfig
    from sources.fortnox_sandbox.transport import sandbox_transport
    from tests.sandbox_api.conftest import BASE_URL, make_company

    app = create_app(
        SandboxConfig(rate_limit=None, access_token_ttl=30, clock=clock),
        companies=[make_company()],
    )
    tokens = app.state.sandbox.issue_tokens_for_tests()
    assert tokens["expires_in"] == 30
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    with httpx.Client(transport=sandbox_transport(app), base_url=BASE_URL) as http:
        assert http.get("/3/companyinformation", headers=headers).status_code == 200
        clock.advance(29)
        assert http.get("/3/companyinformation", headers=headers).status_code == 200
        clock.advance(1)
        expired = http.get("/3/companyinformation", headers=headers)
        assert expired.status_code == 401
        assert expired.json() == {"message": "unauthorized"}
        # The refresh token still works and yields a live access token.
        refreshed = http.post(
            "/oauth-v1/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            headers=BASIC,
        ).json()
        live = {"Authorization": f"Bearer {refreshed['access_token']}"}
        assert http.get("/3/companyinformation", headers=live).status_code == 200


def test_tenant_parameter_picks_the_company() -> None:
    from sources.fortnox_sandbox.app import create_app
    from sources.fortnox_sandbox.state import SandboxConfig
    from sources.fortnox_sandbox.transport import sandbox_transport
    from tests.sandbox_api.conftest import BASE_URL, make_company

    app = create_app(
        SandboxConfig(rate_limit=None),
        companies=[make_company(9001), make_company(9002, invoices=2)],
    )
    with httpx.Client(transport=sandbox_transport(app), base_url=BASE_URL) as http:
        code = _consent(http, tenant="9002")
        tokens = _exchange(http, code).json()
        assert _claims(tokens["access_token"])["tenantId"] == 9002
        invoices = http.get(
            "/3/invoices", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        ).json()
        assert invoices["MetaInformation"]["@TotalResources"] == 2
        unknown = http.get(
            "/oauth-v1/auth",
            params={
                "client_id": "sandbox-client",
                "redirect_uri": REDIRECT,
                "scope": "invoice",
                "state": "s",
                "tenant": "1234",
            },
        )
        assert unknown.status_code == 400


def test_racing_refreshes_exactly_one_wins(app: Starlette) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from sources.fortnox_sandbox.transport import sandbox_transport
    from tests.sandbox_api.conftest import BASE_URL

    refresh_token = app.state.sandbox.issue_tokens_for_tests()["refresh_token"]
    with (
        httpx.Client(transport=sandbox_transport(app), base_url=BASE_URL) as http,
        ThreadPoolExecutor(max_workers=8) as pool,
    ):
        statuses = list(pool.map(lambda _: _refresh(http, refresh_token).status_code, range(8)))
    assert sorted(statuses) == [200] + [400] * 7
