"""Fortnox's OAuth2 server as the sandbox plays it: `/oauth-v1/auth`, `/oauth-v1/token`, the tokens.

Faithful to the recorded behaviour a client must survive: refresh tokens are single use and
rotate on every refresh, a reused one gets 400 `invalid_grant` served as text/html, a wrong
client gets 401 `invalid_client` as text/plain, client credentials need a `TenantId` header of a
tenant that consented as a service account, and access tokens are JWT-shaped with a `tenantId`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

if TYPE_CHECKING:
    from collections import Counter

    from sources.fortnox_sandbox.state import SandboxState, SandboxStats

CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-secret"  # the published sandbox test credential
AUTHORIZATION_CODE_TTL = timedelta(minutes=10)
REFRESH_TOKEN_TTL = timedelta(days=45)
# Signs the sandbox's JWT-shaped access tokens; clients never verify them, Fortnox's are opaque.
_SIGNING_KEY = b"fortnox-sandbox-signing-key"

# Every scope the sandbox serves (a token issued without an explicit list gets all of them).
ALL_SCOPES: tuple[str, ...] = (
    "bookkeeping",
    "invoice",
    "payment",
    "supplierinvoice",
    "customer",
    "supplier",
    "costcenter",
    "project",
    "companyinformation",
    "settings",
    "connectfile",
    "article",
    "order",
    "offer",
    "price",
    "currency",
    "archive",
    "inbox",
)

INVALID_REFRESH_TOKEN = {"error": "invalid_grant", "error_description": "Invalid refresh token"}
INVALID_CLIENT = {
    "error": "invalid_client",
    "error_description": "The client credentials are invalid",
}


@dataclass
class AccessToken:
    """What the sandbox remembers about an access token it issued."""

    tenant: int
    scopes: frozenset[str]
    expires_at: datetime


@dataclass
class _Grant:
    """An authorization code or a refresh token: single use, bound to a tenant and scopes."""

    tenant: int
    scopes: tuple[str, ...]
    expires_at: datetime
    redirect_uri: str = ""
    used: bool = False


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _jwt(claims: dict[str, Any]) -> str:
    """An HS256 JWT: the shape Fortnox access tokens have, so clients can read `tenantId`."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    signature = _b64url(hmac.new(_SIGNING_KEY, signing_input, hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"


class TokenRegistry:
    """Authorization codes, refresh and access tokens, and which tenants are service accounts.

    Thread-safe: the loopback server and in-process transports may refresh concurrently, and
    the single-use rule must hold even then (exactly one of two racing refreshes wins).

    Args:
        clock: Current time (aware); expiry is judged against it.
        access_token_ttl: Access-token lifetime in seconds.
        known_tenants: DatabaseNumbers that exist.
        default_tenant: The tenant chosen when the consent names none.
        stats: Counters for token requests and rejected refreshes.
    """

    def __init__(
        self,
        clock: Callable[[], datetime],
        access_token_ttl: int,
        known_tenants: set[int],
        default_tenant: int,
        stats: SandboxStats,
    ) -> None:
        self._clock = clock
        self._ttl = timedelta(seconds=access_token_ttl)
        self._known_tenants = known_tenants
        self.default_tenant = default_tenant
        self._stats = stats
        self._lock = threading.Lock()
        self._codes: dict[str, _Grant] = {}
        self._refresh_tokens: dict[str, _Grant] = {}
        self._access_tokens: dict[str, AccessToken] = {}
        self._service_tenants: dict[int, tuple[str, ...]] = {}  # tenant -> consented scopes

    # -- consent -------------------------------------------------------------------------
    def is_known_tenant(self, tenant: int) -> bool:
        """Whether a company with this DatabaseNumber exists."""
        return tenant in self._known_tenants

    def mark_service_account(self, tenant: int, scopes: list[str] | None = None) -> None:
        """Record a service-account consent: the tenant may now use client credentials."""
        with self._lock:
            self._service_tenants[tenant] = tuple(scopes) if scopes is not None else ALL_SCOPES

    def new_authorization_code(self, tenant: int, scopes: list[str], redirect_uri: str) -> str:
        """A single-use code, valid 10 minutes, as the consent redirect carries it."""
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Grant(
                tenant=tenant,
                scopes=tuple(scopes),
                expires_at=self._clock() + AUTHORIZATION_CODE_TTL,
                redirect_uri=redirect_uri,
            )
        return code

    # -- grants --------------------------------------------------------------------------
    def issue(
        self, tenant: int, scopes: list[str] | tuple[str, ...] | None, with_refresh: bool
    ) -> dict[str, Any]:
        """Mint an access token (and a refresh token) and return the token-endpoint JSON."""
        granted = tuple(scopes) if scopes is not None else ALL_SCOPES
        now = self._clock()
        expires_at = now + self._ttl
        access_token = _jwt(
            {
                "tenantId": tenant,
                "scope": " ".join(granted),
                "exp": int(expires_at.timestamp()),
                "iat": int(now.timestamp()),
                "clientid": CLIENT_ID,
                "jti": secrets.token_hex(16),
            }
        )
        response: dict[str, Any] = {"access_token": access_token}
        with self._lock:
            self._access_tokens[access_token] = AccessToken(tenant, frozenset(granted), expires_at)
            if with_refresh:
                refresh_token = secrets.token_hex(20)
                self._refresh_tokens[refresh_token] = _Grant(
                    tenant=tenant, scopes=granted, expires_at=now + REFRESH_TOKEN_TTL
                )
                response["refresh_token"] = refresh_token
        response.update(
            {
                "scope": " ".join(granted),
                "expires_in": int(self._ttl.total_seconds()),
                "token_type": "bearer",
            }
        )
        return response

    def redeem_code(self, code: str, redirect_uri: str | None) -> _Grant | None:
        """Consume an authorization code; None if unknown, used, expired or for another URI."""
        with self._lock:
            grant = self._codes.get(code)
            if grant is None or grant.used or self._clock() >= grant.expires_at:
                return None
            if redirect_uri is not None and redirect_uri != grant.redirect_uri:
                return None
            grant.used = True
            return grant

    def redeem_refresh_token(self, refresh_token: str) -> _Grant | None:
        """Consume a refresh token; None if unknown, already used or older than 45 days."""
        with self._lock:
            grant = self._refresh_tokens.get(refresh_token)
            if grant is None or grant.used or self._clock() >= grant.expires_at:
                return None
            grant.used = True
            return grant

    def service_scopes(self, tenant: int) -> tuple[str, ...] | None:
        """The scopes a service-account consent granted; None if the tenant never gave one."""
        with self._lock:
            return self._service_tenants.get(tenant)

    def revoke(self, tenant: int) -> int:
        """Revoke every access and refresh token of a tenant, as when the company's admin
        removes the integration in Fortnox; returns how many were revoked."""
        with self._lock:
            access = [key for key, token in self._access_tokens.items() if token.tenant == tenant]
            refresh = [key for key, grant in self._refresh_tokens.items() if grant.tenant == tenant]
            for key in access:
                del self._access_tokens[key]
            for key in refresh:
                del self._refresh_tokens[key]
            self._service_tenants.pop(tenant, None)
        return len(access) + len(refresh)

    def authenticate(self, access_token: str) -> AccessToken | None:
        """The live access token behind a Bearer value; None if unknown or expired."""
        with self._lock:
            token = self._access_tokens.get(access_token)
        if token is None or self._clock() >= token.expires_at:
            return None
        return token

    def count_request(self, grant_type: str) -> None:
        """Count a token request per grant type (stats)."""
        with self._lock:
            counter: Counter[str] = self._stats.token_requests
            counter[grant_type] += 1

    def count_refresh_rejected(self) -> None:
        """Count a refused refresh (reuse or expiry), the symptom of lost rotation."""
        with self._lock:
            self._stats.refresh_rejected += 1


# -- HTTP endpoints --------------------------------------------------------------------------
def _state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def _oauth_error(status: int, error: str, description: str, media_type: str) -> Response:
    body = json.dumps({"error": error, "error_description": description})
    return Response(body, status_code=status, media_type=media_type)


async def authorize(request: Request) -> Response:
    """`GET /oauth-v1/auth`: consent that approves itself and redirects back with a code.

    Sandbox-only: `tenant=<DatabaseNumber>` picks the company a user would log in to.
    """
    registry = _state(request).tokens
    params = request.query_params
    missing = [
        name for name in ("client_id", "redirect_uri", "scope", "state") if not params.get(name)
    ]
    if missing:
        return _oauth_error(
            400, "invalid_request", f"Missing parameter: {', '.join(missing)}", "application/json"
        )
    if params["client_id"] != CLIENT_ID:
        return _oauth_error(400, "invalid_client", "Unknown client_id", "application/json")
    if params.get("response_type", "code") != "code":
        return _oauth_error(400, "unsupported_response_type", "Only code", "application/json")
    scopes = params["scope"].split()
    unknown = [scope for scope in scopes if scope not in ALL_SCOPES]
    if unknown:
        return _oauth_error(
            400, "invalid_scope", f"Unknown scope: {unknown[0]}", "application/json"
        )
    try:
        tenant = int(params.get("tenant", registry.default_tenant))
    except ValueError:
        tenant = -1
    if not registry.is_known_tenant(tenant):
        return _oauth_error(400, "invalid_request", "Unknown tenant", "application/json")
    if params.get("account_type") == "service":
        registry.mark_service_account(tenant, scopes)
    code = registry.new_authorization_code(tenant, scopes, params["redirect_uri"])
    return RedirectResponse(
        _with_query(params["redirect_uri"], {"code": code, "state": params["state"]}),
        status_code=302,
    )


def _with_query(url: str, extra: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&{urlencode(extra)}" if parts.query else urlencode(extra)
    return urlunsplit(parts._replace(query=query))


def _client_is_valid(request: Request) -> bool:
    """HTTP Basic client authentication, the only method Fortnox's token endpoint takes."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    client_id, _, client_secret = decoded.partition(":")
    return hmac.compare_digest(client_id, CLIENT_ID) and hmac.compare_digest(
        client_secret, CLIENT_SECRET
    )


async def token(request: Request) -> Response:
    """`POST /oauth-v1/token`: authorization_code, refresh_token and client_credentials grants."""
    registry = _state(request).tokens
    # The body is a plain urlencoded form; the stdlib parses it (no python-multipart needed).
    form = {
        name: values[0] for name, values in parse_qs((await request.body()).decode("utf-8")).items()
    }
    grant_type = str(form.get("grant_type", ""))
    registry.count_request(grant_type or "(missing)")
    if not _client_is_valid(request):
        return PlainTextResponse(json.dumps(INVALID_CLIENT), status_code=401)

    if grant_type == "authorization_code":
        redirect_uri = form.get("redirect_uri")
        grant = registry.redeem_code(
            str(form.get("code", "")), str(redirect_uri) if redirect_uri is not None else None
        )
        if grant is None:
            return _oauth_error(400, "invalid_grant", "Invalid authorization code", "text/html")
        return JSONResponse(registry.issue(grant.tenant, grant.scopes, with_refresh=True))

    if grant_type == "refresh_token":
        grant = registry.redeem_refresh_token(str(form.get("refresh_token", "")))
        if grant is None:
            registry.count_refresh_rejected()
            return Response(
                json.dumps(INVALID_REFRESH_TOKEN), status_code=400, media_type="text/html"
            )
        return JSONResponse(registry.issue(grant.tenant, grant.scopes, with_refresh=True))

    if grant_type == "client_credentials":
        tenant_header = request.headers.get("tenantid", "")
        if not tenant_header:
            return _oauth_error(
                400, "invalid_request", "Missing TenantId header", "application/json"
            )
        try:
            tenant = int(tenant_header)
        except ValueError:
            tenant = -1
        consented = registry.service_scopes(tenant)
        if consented is None:
            return _oauth_error(
                400,
                "unauthorized_client",
                "The tenant has not authorized this client as a service account",
                "application/json",
            )
        requested = str(form.get("scope", "")).split()
        # A token may carry fewer scopes than the consent, never more.
        scopes = [scope for scope in requested if scope in consented] or list(consented)
        return JSONResponse(registry.issue(tenant, scopes, with_refresh=False))

    return _oauth_error(
        400, "unsupported_grant_type", f"Unsupported grant_type: {grant_type}", "application/json"
    )
