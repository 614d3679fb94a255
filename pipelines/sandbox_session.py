"""The real client, logged in to an in-process sandbox the way a user logs in to Fortnox.

`demo` and the pipeline tests run the production code path (same source, same client, same
OAuth authorization-code login and token store) against the sandbox mounted in-process, so
they need no account, no network and no port.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from sources.fortnox.auth import FortnoxAuth
from sources.fortnox.client import FortnoxClient
from sources.fortnox.pacing import SlidingWindowLimiter
from sources.fortnox_sandbox.app import create_app
from sources.fortnox_sandbox.state import SandboxConfig, SandboxState
from sources.fortnox_sandbox.transport import sandbox_transport

SANDBOX_URL = "http://sandbox.fortnox.local"
SANDBOX_CLIENT_ID = "sandbox-client"
SANDBOX_CLIENT_SECRET = "sandbox-secret"  # the sandbox's published test credential
REDIRECT_URI = "http://127.0.0.1:48721/callback"


class SandboxLoginError(RuntimeError):
    """The sandbox's consent step did not answer as Fortnox's does."""


@dataclass
class SandboxSession:
    """An in-process sandbox and an httpx transport to it.

    Args:
        config: the sandbox's books, rate limit, faults and token lifetime.
    """

    config: SandboxConfig
    app: Any = field(init=False)
    transport: httpx.BaseTransport = field(init=False)

    def __post_init__(self) -> None:
        self.app = create_app(self.config)
        self.transport = sandbox_transport(self.app)

    @property
    def state(self) -> SandboxState:
        """The sandbox's books, tokens and counters."""
        return self.app.state.sandbox

    @property
    def tenants(self) -> list[int]:
        """The companies' DatabaseNumbers, in order."""
        return list(self.state.companies)

    def login(self, *, tenant: int, token_dir: Path, profile: str) -> FortnoxAuth:
        """A logged-in `FortnoxAuth` for one company: consent, callback, code exchange.

        The browser's part is played here: open the consent URL, read the redirect, check the
        `state`, hand the code to `complete_login`. A profile that already holds tokens is
        reused (its refresh token rotates as in production).
        """
        auth = FortnoxAuth(
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SANDBOX_CLIENT_SECRET,
            profile=profile,
            auth_base_url=SANDBOX_URL,
            token_dir=token_dir,
            transport=self.transport,
        )
        if auth.stored_token() is not None:
            return auth
        state = secrets.token_urlsafe(16)
        url = auth.authorization_url(
            redirect_uri=REDIRECT_URI, state=state, extra_params={"tenant": str(tenant)}
        )
        with httpx.Client(transport=self.transport, follow_redirects=False) as browser:
            consent = browser.get(url)
        location = consent.headers.get("location", "")
        answer = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
        if consent.status_code != 302 or answer.get("state") != state or "code" not in answer:
            raise SandboxLoginError(f"consent answered {consent.status_code}, not a redirect")
        auth.complete_login(code=answer["code"], redirect_uri=REDIRECT_URI)
        return auth

    def client(
        self,
        *,
        tenant: int,
        token_dir: Path,
        profile: str,
        rate: tuple[int, float] | None = None,
    ) -> FortnoxClient:
        """A production `FortnoxClient` for one company of the sandbox.

        Args:
            tenant: the company's DatabaseNumber.
            token_dir: where the profile's token file lives.
            profile: the token profile.
            rate: the client's pacing window; by default the sandbox's own limit (so a run
                never sees a 429), or Fortnox's when the sandbox has none.
        """
        auth = self.login(tenant=tenant, token_dir=token_dir, profile=profile)
        window = rate or self.config.rate_limit or (25, 5.0)
        return FortnoxClient(
            auth,
            base_url=SANDBOX_URL,
            transport=self.transport,
            rate=window,
            # A private window: several sandboxes in one process must not share one.
            limiter=SlidingWindowLimiter(window[0], window[1]),
        )

    def control(self, method: str, path: str, **params: Any) -> Any:
        """Call a sandbox-only endpoint (`/_sandbox/...`); these are not Fortnox's API."""
        with httpx.Client(transport=self.transport, base_url=SANDBOX_URL) as http:
            response = http.request(method, path, params=params)
            response.raise_for_status()
            return response.json()

    def advance(self, days: int = 1) -> dict[str, Any]:
        """One more day (or several) of business in every company."""
        return self.control("POST", "/_sandbox/advance", days=days)

    def truth(self, tenant: int) -> dict[str, Any]:
        """The ground truth of one company (balances, open AR/AP, deliberate differences)."""
        return self.control("GET", "/_sandbox/truth", tenant=tenant)
