"""Service accounts and configuration on the in-process sandbox."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from sources.fortnox.client import FortnoxClient, client_from_config
from sources.fortnox.errors import AuthenticationRequired, ConfigurationError
from sources.fortnox.pacing import SlidingWindowLimiter
from sources.fortnox.token_store import TokenStore
from sources.fortnox_sandbox.app import create_app
from sources.fortnox_sandbox.state import SandboxConfig
from sources.fortnox_sandbox.transport import sandbox_transport
from tests.client.conftest import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    login_without_browser,
    sandbox_auth,
)

SANDBOX = "http://sandbox"


def test_a_service_account_gets_tokens_by_client_credentials(tmp_path: Path) -> None:
    app = create_app(SandboxConfig(rate_limit=None, companies=2))
    tenants = list(app.state.sandbox.companies)
    transport = sandbox_transport(app)
    auth = sandbox_auth(SANDBOX, tmp_path, transport, profile="svc")
    redirect_uri = "http://127.0.0.1:9/cb"
    consent = auth.authorization_url(
        redirect_uri=redirect_uri,
        state="s",
        service_account=True,
        extra_params={"tenant": str(tenants[1])},
    )
    with httpx.Client(transport=transport) as browser:
        code = httpx.URL(browser.get(consent).headers["location"]).params["code"]
    stored = auth.complete_login(code=code, redirect_uri=redirect_uri, service_account=True)
    assert stored.tenant_id == tenants[1] and stored.refresh_token is None

    store = TokenStore(tmp_path)
    stored.expires_at = stored.obtained_at = 0.0
    store.save("svc", stored)
    later = sandbox_auth(SANDBOX, tmp_path, transport, profile="svc")
    client = FortnoxClient(
        later, base_url=SANDBOX, transport=transport, limiter=SlidingWindowLimiter(100, 1.0)
    )
    info = client.get_json("companyinformation")["CompanyInformation"]
    assert info["DatabaseNumber"] == tenants[1]
    stats = app.state.sandbox.stats
    assert dict(stats.token_requests) == {"authorization_code": 1, "client_credentials": 1}
    assert store.load("svc").refresh_token is None  # type: ignore[union-attr]
    client.close()
    transport.close()


def test_client_from_config_reads_dlt_secrets_profile_and_token_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(SandboxConfig(rate_limit=None))
    transport = sandbox_transport(app)
    token_dir = tmp_path / "tokens"
    login_without_browser(sandbox_auth(SANDBOX, token_dir, transport, profile="acme"), transport)
    monkeypatch.chdir(tmp_path)  # no .dlt/ of the repository
    monkeypatch.setenv("SOURCES__FORTNOX__CLIENT_ID", SANDBOX_CLIENT_ID)
    monkeypatch.setenv("SOURCES__FORTNOX__CLIENT_SECRET", SANDBOX_CLIENT_SECRET)
    monkeypatch.setenv("SOURCES__FORTNOX__BASE_URL", SANDBOX)
    monkeypatch.setenv("SOURCES__FORTNOX__AUTH_BASE_URL", SANDBOX)
    monkeypatch.setenv("FORTNOX_TOKEN_DIR", str(token_dir))
    monkeypatch.setenv("FORTNOX_PROFILE", "acme")
    with client_from_config(transport=transport) as client:
        assert client.auth.profile == "acme"
        assert client.get_json("companyinformation")["CompanyInformation"]["CompanyName"]
    # An explicit profile wins over FORTNOX_PROFILE and never falls back to it.
    with (
        client_from_config("globex", transport=transport) as other,
        pytest.raises(AuthenticationRequired, match="--profile globex"),
    ):
        other.get_json("companyinformation")
    monkeypatch.delenv("SOURCES__FORTNOX__CLIENT_SECRET")
    with pytest.raises(ConfigurationError, match="SOURCES__FORTNOX__CLIENT_SECRET"):
        client_from_config(transport=transport)
    transport.close()
