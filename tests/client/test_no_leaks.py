"""Nothing secret leaves: no token, client secret, code or SIE body in logs or exception texts.

One run on the sandbox goes through every path that handles a secret (login, refreshes, an
invalidated token, faults, a SIE download, each typed error), with every logger (ours, httpx,
httpcore, authlib) at DEBUG, then greps everything a user or a log collector could see.
"""

from __future__ import annotations

import base64
import logging
import random
import traceback
from datetime import datetime
from pathlib import Path

import pytest

from sources.fortnox.client import FortnoxClient
from sources.fortnox.errors import (
    ApiUnavailable,
    AuthenticationRequired,
    FortnoxError,
    NotFound,
    ScopeMissing,
)
from sources.fortnox.pacing import SlidingWindowLimiter
from sources.fortnox.retry import RetryPolicy
from sources.fortnox.token_store import TokenStore
from sources.fortnox_sandbox.app import create_app
from sources.fortnox_sandbox.state import STOCKHOLM, SandboxConfig
from sources.fortnox_sandbox.transport import sandbox_transport
from tests.client.conftest import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    FakeClock,
    login_without_browser,
    sandbox_auth,
)

SANDBOX = "http://sandbox"


def _expect(kind: type[FortnoxError], call: object) -> FortnoxError:
    with pytest.raises(kind) as raised:
        call()  # type: ignore[operator]
    return raised.value


def test_no_secret_reaches_logs_or_exceptions(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clock = FakeClock(datetime.now(STOCKHOLM))
    app = create_app(
        SandboxConfig(
            seed=4, access_token_ttl=60, rate_limit=None, fault_rate=0.25, clock=clock.now
        )
    )
    state = app.state.sandbox
    transport = sandbox_transport(app)
    token_dir = tmp_path / "tokens"
    auth = sandbox_auth(SANDBOX, token_dir, transport, clock=clock.epoch)
    login_without_browser(auth, transport)
    client = FortnoxClient(
        auth,
        base_url=SANDBOX,
        transport=transport,
        retry=RetryPolicy(max_retries=20, backoff_base_seconds=0.001, rng=random.Random(2)),
        limiter=SlidingWindowLimiter(1000, 0.01),
    )
    errors: list[FortnoxError] = []
    sie = b""
    for _ in range(4):
        clock.advance(120)  # the access token expired: refresh and rotate
        client.get_json("companyinformation")
        year = client.get_json("financialyears")["FinancialYears"][0]["Id"]
        sie = client.get_bytes("sie/4", {"financialyear": year})
        errors.append(_expect(NotFound, lambda: client.get_json("invoices/99999999")))
    auth.invalidate()  # as after a 401: refresh although unexpired
    client.get_json("companyinformation")
    assert sum(state.stats.faults.values()) > 0

    narrow = sandbox_auth(SANDBOX, token_dir, transport, profile="narrow", clock=clock.epoch)
    narrow.store.delete("narrow")
    url = narrow.authorization_url(
        redirect_uri="http://127.0.0.1:9/cb", state="s", scopes=["companyinformation"]
    )
    import httpx

    with httpx.Client(transport=transport) as browser:
        code = httpx.URL(browser.get(url).headers["location"]).params["code"]
    narrow.complete_login(code=code, redirect_uri="http://127.0.0.1:9/cb")
    narrow_client = FortnoxClient(
        narrow, base_url=SANDBOX, transport=transport, limiter=SlidingWindowLimiter(1000, 0.01)
    )
    errors.append(_expect(ScopeMissing, lambda: narrow_client.get_json("vouchers")))

    state.faults.fault_rate = 1.0
    quick = RetryPolicy(max_retries=2, backoff_base_seconds=0.001)
    failing = FortnoxClient(
        auth,
        base_url=SANDBOX,
        transport=transport,
        retry=quick,
        limiter=SlidingWindowLimiter(1000, 0.01),
    )
    errors.append(_expect(ApiUnavailable, lambda: failing.get_json("accounts")))
    state.faults.fault_rate = 0.0

    # Spend the stored refresh token behind the client's back: the next refresh is refused.
    store = TokenStore(token_dir)
    stored = store.load("default")
    assert stored is not None
    with httpx.Client(transport=transport) as other_process:
        spent = other_process.post(
            f"{SANDBOX}/oauth-v1/token",
            data={"grant_type": "refresh_token", "refresh_token": stored.refresh_token},
            auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET),
        )
    assert spent.status_code == 200
    clock.advance(120)
    errors.append(_expect(AuthenticationRequired, lambda: client.get_json("companyinformation")))

    registry = state.tokens
    secrets = (
        set(registry._access_tokens)
        | set(registry._refresh_tokens)
        | set(registry._codes)
        | {
            SANDBOX_CLIENT_SECRET,
            base64.b64encode(f"{SANDBOX_CLIENT_ID}:{SANDBOX_CLIENT_SECRET}".encode()).decode(),
        }
    )
    assert len(registry._refresh_tokens) >= 7 and len(registry._access_tokens) >= 7
    sie_lines = [
        line
        for line in sie.decode("cp437").splitlines()
        if line.startswith(("#VER", "#TRANS", "#FNAMN"))
    ]
    assert len(sie_lines) > 50

    seen = "\n".join(
        [
            caplog.text,
            *("".join(traceback.format_exception(error)) for error in errors),
            *(repr(error) for error in errors),
            repr(client),
            repr(auth),
            repr(store.load("narrow")),
            str(client.stats.as_dict()),
        ]
    )
    assert "HTTP Request: GET" in caplog.text  # httpx's own logger was captured
    assert "retry" in caplog.text
    leaked = [secret for secret in secrets if secret in seen]
    assert leaked == []
    assert [line for line in sie_lines if line in seen] == []
    for closing in (client, narrow_client, failing):
        closing.close()
    transport.close()


def test_dlt_traces_keep_the_client_secret_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dlt.common.configuration import is_secret_hint
    from dlt.common.configuration.utils import get_resolved_traces

    from sources.fortnox.client import auth_from_config

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCES__FORTNOX__CLIENT_ID", "trace-client")
    monkeypatch.setenv("SOURCES__FORTNOX__CLIENT_SECRET", "trace-secret-value")
    auth_from_config("default", token_dir=tmp_path)
    traced = {
        trace.key: trace
        for trace in get_resolved_traces().resolved_traces
        if trace.sections == ["sources", "fortnox"]
    }
    # A pipeline trace stores `None` instead of the value of every secret-hinted entry.
    assert is_secret_hint(traced["client_secret"].hint)
    assert is_secret_hint(traced["client_id"].hint)
