"""FortnoxAuth on a scripted token endpoint: rotation persisted first, clear errors, no fallback."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import pytest

from sources.fortnox.auth import FortnoxAuth, tenant_from_token
from sources.fortnox.errors import AuthenticationRequired, ConfigurationError
from sources.fortnox.token_store import TokenStore
from tests.client.conftest import (
    AUTH,
    CLIENT_ID,
    FakeFortnox,
    make_auth,
    make_client,
    seed_login,
)


def test_a_fresh_stored_token_is_used_without_a_token_request(
    fake: FakeFortnox, token_dir: Path
) -> None:
    stored = seed_login(token_dir, fake)
    auth = make_auth(fake, token_dir)
    assert auth.access_token() == stored.access_token
    assert auth.tenant_id == fake.tenant
    assert fake.grants == []


def test_an_expired_token_is_refreshed_and_the_new_pair_persisted_before_use(
    fake: FakeFortnox, token_dir: Path
) -> None:
    old = seed_login(token_dir, fake, expired=True)
    store = TokenStore(token_dir)
    on_disk_when_used: list[str | None] = []

    def api(request: httpx.Request) -> httpx.Response:
        # By the time the new access token reaches the API, its pair must already be on disk.
        on_disk = store.load("default")
        assert on_disk is not None
        assert request.headers["authorization"] == f"Bearer {on_disk.access_token}"
        on_disk_when_used.append(on_disk.refresh_token)
        return httpx.Response(200, json={"ok": True})

    fake.api = api
    client = make_client(fake, make_auth(fake, token_dir))
    client.get_json("companyinformation")
    assert fake.grants == ["refresh_token"]
    assert old.refresh_token in fake.spent_refresh_tokens
    assert on_disk_when_used == [sorted(fake.live_refresh_tokens)[0]]
    assert store.load("default").refresh_token != old.refresh_token  # type: ignore[union-attr]


def test_a_rejected_refresh_token_asks_for_login_again(fake: FakeFortnox, token_dir: Path) -> None:
    old = seed_login(token_dir, fake, expired=True)
    fake.live_refresh_tokens.discard(old.refresh_token)  # e.g. spent by a crashed run
    auth = make_auth(fake, token_dir, profile="default")
    with pytest.raises(AuthenticationRequired) as raised:
        auth.access_token()
    message = str(raised.value)
    assert "invalid_grant" in message
    assert "run `fortnox-pipeline auth login --profile default`" in message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_no_tokens_means_login_and_profiles_never_fall_back(
    fake: FakeFortnox, token_dir: Path
) -> None:
    seed_login(token_dir, fake, profile="acme")
    with pytest.raises(AuthenticationRequired, match="auth login --profile globex"):
        make_auth(fake, token_dir, profile="globex").access_token()
    assert fake.grants == []


def test_a_profile_logged_in_at_another_server_is_not_reused(
    fake: FakeFortnox, token_dir: Path
) -> None:
    seed_login(token_dir, fake)
    auth = FortnoxAuth(
        client_id=CLIENT_ID,
        client_secret="x",
        auth_base_url="https://apps.fortnox.se",
        token_dir=token_dir,
        transport=fake.transport(),
    )
    with pytest.raises(AuthenticationRequired, match=r"logged in at https://apps\.fortnox\.test"):
        auth.access_token()


def test_missing_client_credentials_are_a_configuration_error(token_dir: Path) -> None:
    with pytest.raises(ConfigurationError, match="SOURCES__FORTNOX__CLIENT_ID"):
        FortnoxAuth(client_id="", client_secret="", token_dir=token_dir)


def test_a_wrong_client_secret_is_named_as_such(fake: FakeFortnox, token_dir: Path) -> None:
    seed_login(token_dir, fake, expired=True)
    auth = FortnoxAuth(
        client_id=CLIENT_ID,
        client_secret="wrong",
        auth_base_url=AUTH,
        token_dir=token_dir,
        transport=fake.transport(),
    )
    with pytest.raises(ConfigurationError, match="invalid_client"):
        auth.access_token()


def test_invalidate_after_a_401_refreshes_even_an_unexpired_token(
    fake: FakeFortnox, token_dir: Path
) -> None:
    stored = seed_login(token_dir, fake)
    auth = make_auth(fake, token_dir)
    assert auth.access_token() == stored.access_token
    auth.invalidate()
    assert auth.access_token() != stored.access_token
    assert fake.grants == ["refresh_token"]


def test_threads_of_one_process_share_a_single_refresh(fake: FakeFortnox, token_dir: Path) -> None:
    seed_login(token_dir, fake, expired=True)
    auth = make_auth(fake, token_dir)
    tokens: list[str] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        tokens.append(auth.access_token())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fake.grants == ["refresh_token"]
    assert len(set(tokens)) == 1


def test_login_exchanges_the_code_with_basic_auth_and_stores_the_pair(
    fake: FakeFortnox, token_dir: Path
) -> None:
    auth = make_auth(fake, token_dir, profile="acme")
    url = httpx.URL(
        auth.authorization_url(
            redirect_uri="http://127.0.0.1:9/callback", state="s-123", scopes=["bookkeeping"]
        )
    )
    assert url.path == "/oauth-v1/auth"
    assert dict(url.params) == {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": "http://127.0.0.1:9/callback",
        "scope": "bookkeeping",
        "state": "s-123",
        "access_type": "offline",
    }
    stored = auth.complete_login(code="c-1", redirect_uri="http://127.0.0.1:9/callback")
    (token_request,) = fake.seen
    assert token_request.headers["authorization"].startswith("Basic ")
    form = token_request.content.decode()
    assert "grant_type=authorization_code" in form and "code=c-1" in form
    assert "client_secret" not in form
    on_disk = json.loads((token_dir / "acme.json").read_text())
    assert on_disk["refresh_token"] == stored.refresh_token
    assert on_disk["tenant_id"] == fake.tenant and on_disk["client_id"] == CLIENT_ID
    assert "unit-secret" not in (token_dir / "acme.json").read_text()


def test_a_service_account_uses_client_credentials_with_the_tenant_header(
    fake: FakeFortnox, token_dir: Path
) -> None:
    auth = make_auth(fake, token_dir, profile="svc")
    consent = httpx.URL(
        auth.authorization_url(
            redirect_uri="http://127.0.0.1:9/cb", state="s", service_account=True
        )
    )
    assert consent.params["account_type"] == "service"
    stored = auth.complete_login(
        code="c", redirect_uri="http://127.0.0.1:9/cb", service_account=True
    )
    assert stored.service_account and stored.refresh_token is None
    # Expire it: the next token comes from client credentials, with no refresh token anywhere.
    store = TokenStore(token_dir)
    stored.expires_at = stored.obtained_at = 0.0
    store.save("svc", stored)
    later = make_auth(fake, token_dir, profile="svc")
    token = later.access_token()
    assert token == fake.access_tokens[-1]
    assert fake.grants == ["authorization_code", "client_credentials"]
    assert fake.seen[-1].headers["tenantid"] == str(fake.tenant)
    assert store.load("svc").refresh_token is None  # type: ignore[union-attr]


def test_a_service_account_with_a_known_tenant_needs_no_stored_token(
    fake: FakeFortnox, token_dir: Path
) -> None:
    auth = make_auth(fake, token_dir, profile="svc", service_account=True, tenant_id=fake.tenant)
    assert auth.access_token() == fake.access_tokens[-1]
    assert fake.grants == ["client_credentials"]


def test_tenant_is_read_from_the_jwt_claims() -> None:
    from tests.client.conftest import jwt_with_tenant

    assert tenant_from_token(jwt_with_tenant(1234, 1)) == 1234
    assert tenant_from_token("opaque-token") is None
    assert tenant_from_token("a.!!!.c") is None


def test_a_throttled_token_endpoint_is_retried_and_nothing_bogus_is_stored(
    fake: FakeFortnox, token_dir: Path
) -> None:
    old = seed_login(token_dir, fake, expired=True)
    answers = iter([httpx.Response(429, json={"message": "Too many requests"})])

    def throttle_once(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth-v1/token":
            answer = next(answers, None)
            if answer is not None:
                fake.seen.append(request)
                return answer
        return fake.handle(request)

    auth = make_auth(fake, token_dir, transport=httpx.MockTransport(throttle_once))
    token = auth.access_token()
    assert token == fake.access_tokens[-1] != old.access_token
    assert auth.token_requests == 2
    stored = TokenStore(token_dir).load("default")
    assert stored is not None and stored.access_token == token
