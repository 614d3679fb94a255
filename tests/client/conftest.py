"""Helpers of the client/auth tests: a scripted Fortnox on `httpx.MockTransport`, and sandboxes.

`FakeFortnox` is for unit tests that need exact control of each answer (a 503 then a 200, a
401 once). The sandbox fixtures run the real API double, in-process or on loopback, for the
acceptance tests of issue 3.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from sources.fortnox.auth import FortnoxAuth
from sources.fortnox.client import FortnoxClient
from sources.fortnox.retry import RetryPolicy
from sources.fortnox.token_store import StoredToken, TokenStore

CLIENT_ID = "unit-client"
CLIENT_SECRET = "unit-secret-d0n7-l34k"
API = "https://api.fortnox.test"
AUTH = "https://apps.fortnox.test"

ApiHandler = Callable[[httpx.Request], httpx.Response]


def jwt_with_tenant(tenant: int, serial: int) -> str:
    """A JWT-shaped access token carrying `tenantId`, as Fortnox issues them."""

    def part(document: dict[str, Any]) -> str:
        raw = json.dumps(document).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part({'tenantId': tenant, 'n': serial})}.sig{serial}"


@dataclass
class FakeFortnox:
    """A scripted Fortnox: a rotating token endpoint and an API whose answers a test sets.

    Attributes:
        api: answers `/3/` requests; the default returns `{"ok": true}`.
        seen: every request that reached the transport (method, path, headers).
        live_refresh_tokens: refresh tokens not yet spent.
        access_tokens: every access token issued, in order.
    """

    tenant: int = 7
    expires_in: int = 3600
    api: ApiHandler | None = None
    seen: list[httpx.Request] = field(default_factory=list)
    live_refresh_tokens: set[str] = field(default_factory=set)
    spent_refresh_tokens: set[str] = field(default_factory=set)
    access_tokens: list[str] = field(default_factory=list)
    grants: list[str] = field(default_factory=list)
    _serial: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def transport(self) -> httpx.MockTransport:
        """The transport that serves both the token endpoint and the API."""
        return httpx.MockTransport(self.handle)

    def issue(self, with_refresh: bool = True) -> dict[str, Any]:
        """Mint a token response (also used to seed a store as if a login happened)."""
        with self._lock:
            serial = next(self._serial)
            access_token = jwt_with_tenant(self.tenant, serial)
            self.access_tokens.append(access_token)
            answer: dict[str, Any] = {
                "access_token": access_token,
                "scope": "bookkeeping invoice",
                "expires_in": self.expires_in,
                "token_type": "bearer",
            }
            if with_refresh:
                refresh_token = f"refresh-{serial}-{'x' * 12}"
                self.live_refresh_tokens.add(refresh_token)
                answer["refresh_token"] = refresh_token
            return answer

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if request.url.path == "/oauth-v1/token":
            return self._token(request)
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if bearer not in self.access_tokens:
            return httpx.Response(401, json={"message": "unauthorized"})
        if self.api is not None:
            return self.api(request)
        return httpx.Response(200, json={"ok": True})

    def _token(self, request: httpx.Request) -> httpx.Response:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            body = {"error": "invalid_client", "error_description": "bad client"}
            return httpx.Response(401, text=json.dumps(body))
        form = {key: values[0] for key, values in parse_qs(request.content.decode()).items()}
        grant = form.get("grant_type", "")
        self.grants.append(grant)
        if grant == "refresh_token":
            token = form.get("refresh_token", "")
            with self._lock:
                valid = token in self.live_refresh_tokens
                self.live_refresh_tokens.discard(token)
                self.spent_refresh_tokens.add(token)
            if not valid:
                body = {"error": "invalid_grant", "error_description": "Invalid refresh token"}
                return httpx.Response(
                    400, text=json.dumps(body), headers={"content-type": "text/html"}
                )
            return httpx.Response(200, json=self.issue())
        if grant == "client_credentials":
            if request.headers.get("tenantid") != str(self.tenant):
                return httpx.Response(400, json={"error": "unauthorized_client"})
            return httpx.Response(200, json=self.issue(with_refresh=False))
        if grant == "authorization_code":
            return httpx.Response(200, json=self.issue())
        return httpx.Response(400, json={"error": "unsupported_grant_type"})

    def api_requests(self) -> list[httpx.Request]:
        """Requests that went to `/3/`."""
        return [request for request in self.seen if request.url.path.startswith("/3/")]


def seed_login(
    store_dir: Path, fake: FakeFortnox, profile: str = "default", *, expired: bool = False
) -> StoredToken:
    """Write a profile's token file as `auth login` would have (optionally already expired)."""
    answer = fake.issue()
    now = time.time()
    obtained = now - 7200 if expired else now
    stored = StoredToken(
        access_token=answer["access_token"],
        refresh_token=answer["refresh_token"],
        expires_at=obtained + answer["expires_in"],
        scope=answer["scope"],
        tenant_id=fake.tenant,
        auth_base_url=AUTH,
        client_id=CLIENT_ID,
        obtained_at=obtained,
    )
    TokenStore(store_dir).save(profile, stored)
    return stored


@pytest.fixture
def fake() -> FakeFortnox:
    return FakeFortnox()


@pytest.fixture
def token_dir(tmp_path: Path) -> Path:
    return tmp_path / "tokens"


def make_auth(
    fake: FakeFortnox, token_dir: Path, profile: str = "default", **kwargs: Any
) -> FortnoxAuth:
    """A FortnoxAuth on the fake's transport."""
    return FortnoxAuth(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        profile=profile,
        auth_base_url=AUTH,
        token_dir=token_dir,
        transport=kwargs.pop("transport", fake.transport()),
        **kwargs,
    )


def fast_retry(max_retries: int = 6) -> RetryPolicy:
    """Retries without real waiting, seeded jitter."""
    import random

    return RetryPolicy(
        max_retries=max_retries,
        backoff_base_seconds=0.001,
        backoff_cap_seconds=0.004,
        rng=random.Random(3),
    )


def make_client(fake: FakeFortnox, auth: FortnoxAuth, **kwargs: Any) -> FortnoxClient:
    """A FortnoxClient on the fake's transport with a private, generous window."""
    from sources.fortnox.pacing import SlidingWindowLimiter

    kwargs.setdefault("retry", fast_retry())
    kwargs.setdefault("limiter", SlidingWindowLimiter(1000, 0.01))
    return FortnoxClient(auth, base_url=API, transport=fake.transport(), **kwargs)


class FakeClock:
    """A settable clock giving both aware datetimes (sandbox) and epoch seconds (client)."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def epoch(self) -> float:
        return self.now().timestamp()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)


# --- the sandbox, in-process and on loopback ---------------------------------------------------
SANDBOX_CLIENT_ID = "sandbox-client"
SANDBOX_CLIENT_SECRET = "sandbox-secret"
REPO_ROOT = Path(__file__).resolve().parents[2]


def sandbox_auth(
    base_url: str,
    token_dir: Path,
    transport: httpx.BaseTransport | None = None,
    profile: str = "default",
    **kwargs: Any,
) -> FortnoxAuth:
    """A FortnoxAuth for the sandbox's published test client."""
    return FortnoxAuth(
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
        profile=profile,
        auth_base_url=base_url,
        token_dir=token_dir,
        transport=transport,
        **kwargs,
    )


def login_without_browser(auth: FortnoxAuth, transport: httpx.BaseTransport | None = None) -> str:
    """Play the user at the sandbox's self-approving consent page; returns the stored code."""
    redirect_uri = "http://127.0.0.1:9/callback"
    url = auth.authorization_url(redirect_uri=redirect_uri, state="test-state")
    with httpx.Client(transport=transport) as browser:
        consent = browser.get(url)
    assert consent.status_code == 302
    back = httpx.URL(consent.headers["location"])
    assert back.params["state"] == "test-state"
    auth.complete_login(code=back.params["code"], redirect_uri=redirect_uri)
    return back.params["code"]


@contextmanager
def loopback(app: Any) -> Iterator[str]:
    """Serve an ASGI app on 127.0.0.1 (uvicorn in a thread); yields its base URL."""
    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the loopback sandbox did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def sandbox_env(base_url: str, token_dir: Path, profile: str | None = None) -> dict[str, str]:
    """Environment of a `fortnox-pipeline` subprocess talking to a loopback sandbox."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SOURCES__FORTNOX__", "FORTNOX_"))
    }
    env.update(
        {
            "SOURCES__FORTNOX__CLIENT_ID": SANDBOX_CLIENT_ID,
            "SOURCES__FORTNOX__CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
            "SOURCES__FORTNOX__BASE_URL": base_url,
            "SOURCES__FORTNOX__AUTH_BASE_URL": base_url,
            "FORTNOX_TOKEN_DIR": str(token_dir),
            "PYTHONPATH": str(REPO_ROOT),
            "RUNTIME__DLTHUB_TELEMETRY": "false",
        }
    )
    if profile is not None:
        env["FORTNOX_PROFILE"] = profile
    return env


def cli() -> list[str]:
    """The `fortnox-pipeline` console script of this virtualenv."""
    return [str(Path(sys.executable).with_name("fortnox-pipeline"))]
