"""OAuth2 with Fortnox: log in once, then keep a valid access token, never losing the refresh token.

Fortnox refresh tokens are single use and rotate on every refresh. authlib's httpx `OAuth2Client`
talks to the token endpoint (HTTP Basic client auth) and calls our `update_token` hook with each
new pair; the hook writes it to the token store, atomically, before anything else sees it. The
whole refresh runs under the profile's inter-process lock, and whoever gets the lock first
re-reads the store: a second cron run that waited finds a fresh token and spends nothing.

Service accounts skip refresh tokens: each new access token comes from the client-credentials
grant with a `TenantId` header.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import filelock
import httpx

from sources.fortnox import settings
from sources.fortnox.errors import (
    ApiUnavailable,
    AuthenticationRequired,
    ConfigurationError,
    FortnoxError,
    FortnoxErrorInfo,
    parse_error_body,
)
from sources.fortnox.read_only import AllowedRequest, ReadOnlyTransport
from sources.fortnox.token_store import StoredToken, TokenStore, default_token_dir

with warnings.catch_warnings():
    # authlib 1.9 prefers the `httpx2` fork and warns on plain httpx, which it fully supports.
    # Its `deprecate` module forces that warning to "always" on import, so import it first.
    import authlib.deprecate  # noqa: F401

    warnings.simplefilter("ignore")
    from authlib.integrations.base_client import OAuthError
    from authlib.integrations.httpx_client import OAuth2Client

__all__ = ["FortnoxAuth", "StoredToken", "TokenStore", "default_token_dir", "tenant_from_token"]

_TOKEN_REQUEST_HEADERS = {
    "Accept": "application/json",
    "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
}
_RETRYABLE_TOKEN_STATUSES = frozenset({429, 500, 502, 503, 504})


class FortnoxAuth:
    """Makes an access token available for one profile, refreshing and rotating it safely.

    Args:
        client_id: the integration's client id.
        client_secret: the integration's client secret (never logged, never stored).
        profile: which token file to use; profiles never fall back to one another.
        auth_base_url: the OAuth2 server (the sandbox in tests).
        token_dir: where token files live; `default_token_dir()` if None.
        transport: httpx transport for the token endpoint (the in-process sandbox in tests).
        tenant_id: the company's tenant id, needed for service accounts before the first token.
        service_account: get tokens by client credentials instead of refresh tokens.
        clock: wall clock in epoch seconds; injectable so tests can expire tokens instantly.
        timeout: seconds for one token request.
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        profile: str = settings.DEFAULT_PROFILE,
        auth_base_url: str = settings.DEFAULT_AUTH_BASE_URL,
        token_dir: Path | None = None,
        transport: httpx.BaseTransport | None = None,
        tenant_id: int | None = None,
        service_account: bool = False,
        clock: Callable[[], float] = time.time,
        timeout: float = settings.DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        if not client_id or not client_secret:
            raise ConfigurationError(
                "the Fortnox client id and secret are not configured — set "
                "SOURCES__FORTNOX__CLIENT_ID and SOURCES__FORTNOX__CLIENT_SECRET, or "
                "[sources.fortnox] client_id / client_secret in .dlt/secrets.toml"
            )
        self.store = TokenStore(token_dir if token_dir is not None else default_token_dir())
        self.store.path_for(profile)  # validates the profile name early
        self.profile = profile
        self.auth_base_url = auth_base_url.rstrip("/")
        self.token_url = self.auth_base_url + settings.TOKEN_PATH
        self.authorize_url = self.auth_base_url + settings.AUTHORIZE_PATH
        self.tenant_id = tenant_id
        self.service_account = service_account
        self.token_requests = 0  # token-endpoint calls made by this instance
        self._client_id = client_id
        self._clock = clock
        self._lock = threading.RLock()
        self._current: StoredToken | None = None
        self._rejected_access_token: str | None = None
        self._rotated: StoredToken | None = None
        guarded = ReadOnlyTransport(
            transport if transport is not None else httpx.HTTPTransport(retries=0),
            [AllowedRequest("POST", self.token_url, exact_path=True)],
            close_inner=transport is None,
        )
        self._oauth = OAuth2Client(
            client_id=client_id,
            client_secret=client_secret,
            token_endpoint=self.token_url,
            token_endpoint_auth_method="client_secret_basic",
            update_token=self._persist_rotated,
            transport=guarded,
            timeout=timeout,
        )
        for hook in ("access_token_response", "refresh_token_response"):
            self._oauth.register_compliance_hook(hook, _refuse_non_token_answers)

    def __repr__(self) -> str:
        return f"FortnoxAuth(profile={self.profile!r}, auth_base_url={self.auth_base_url!r})"

    # --- using tokens ------------------------------------------------------------------------

    def access_token(self) -> str:
        """A valid access token; refreshes (once, under the inter-process lock) when expired.

        Raises:
            AuthenticationRequired: the profile never logged in, or Fortnox rejected the stored
                refresh token (already used, or older than 45 days).
            ApiUnavailable: the token endpoint kept failing.
        """
        with self._lock:
            current = self._current
            if current is not None and not self._is_expiring(current):
                return current.access_token
            with self._profile_lock():
                stored = self.store.load(self.profile)
                if stored is not None:
                    self._check_belongs_here(stored)
                    if (
                        not self._is_expiring(stored)
                        and stored.access_token != self._rejected_access_token
                    ):
                        # Another process (or an earlier run) already refreshed: use its token.
                        self._adopt(stored)
                        return stored.access_token
                fresh = self._renew(stored)
                self._adopt(fresh)
                return fresh.access_token

    def invalidate(self) -> None:
        """Forget the current access token after the API answered 401 with it.

        The next `access_token()` refreshes, unless another process already replaced the
        stored token, in which case that one is used.
        """
        with self._lock:
            if self._current is not None:
                self._rejected_access_token = self._current.access_token
            self._current = None

    def stored_token(self) -> StoredToken | None:
        """The profile's token as stored, without refreshing it (for `auth status`)."""
        return self.store.load(self.profile)

    def logout(self) -> bool:
        """Remove the profile's stored tokens; True if there were any."""
        with self._lock, self._profile_lock():
            self._current = None
            return self.store.delete(self.profile)

    def close(self) -> None:
        """Close the token endpoint's HTTP client."""
        self._oauth.close()

    # --- logging in --------------------------------------------------------------------------

    def authorization_url(
        self,
        *,
        redirect_uri: str,
        state: str,
        scopes: Sequence[str] = settings.DEFAULT_SCOPES,
        service_account: bool = False,
        extra_params: Mapping[str, str] | None = None,
    ) -> str:
        """The consent page URL the user opens to grant access.

        Args:
            redirect_uri: where Fortnox sends the browser back with `code` and `state`.
            state: a random value the callback must echo (checked by the caller).
            scopes: the scopes to ask for.
            service_account: ask for a service-account consent (`account_type=service`).
            extra_params: further query parameters (the sandbox's `tenant`).
        """
        params: dict[str, str] = {"access_type": "offline", **(extra_params or {})}
        if service_account:
            params["account_type"] = "service"
        url, _ = self._oauth.create_authorization_url(
            self.authorize_url,
            state=state,
            redirect_uri=redirect_uri,
            scope=" ".join(scopes),
            **params,
        )
        return str(url)

    def complete_login(
        self, *, code: str, redirect_uri: str, service_account: bool = False
    ) -> StoredToken:
        """Exchange an authorization code for tokens and store them under the profile.

        For a service account the code only proves the consent: the refresh token is dropped
        and later tokens come from the client-credentials grant.

        Raises:
            AuthenticationRequired: Fortnox rejected the code (expired, reused, wrong redirect).
        """
        with self._lock, self._profile_lock():
            token = self._token_request(
                lambda: self._oauth.fetch_token(
                    self.token_url,
                    grant_type="authorization_code",
                    code=code,
                    redirect_uri=redirect_uri,
                    headers=dict(_TOKEN_REQUEST_HEADERS),
                ),
                what="the authorization code",
                retry=False,
            )
            stored = self._to_stored(token, previous=None, service_account=service_account)
            if service_account:
                stored.refresh_token = None
            self.store.save(self.profile, stored)
            self._adopt(stored)
            return stored

    # --- internals ---------------------------------------------------------------------------

    def _renew(self, stored: StoredToken | None) -> StoredToken:
        """Get a new token pair (we hold the profile lock) and make sure it is persisted."""
        service_account = self.service_account or (stored is not None and stored.service_account)
        if service_account:
            return self._client_credentials(stored)
        if stored is None:
            raise AuthenticationRequired(
                self.profile, f"no tokens stored for profile {self.profile!r}"
            )
        if not stored.refresh_token:
            raise AuthenticationRequired(
                self.profile, f"the stored token of profile {self.profile!r} has no refresh token"
            )
        refresh_token = stored.refresh_token
        self._rotated = None
        self._oauth.token = {"access_token": stored.access_token, "token_type": "bearer"}
        self._token_request(
            lambda: self._oauth.refresh_token(
                self.token_url, refresh_token=refresh_token, headers=dict(_TOKEN_REQUEST_HEADERS)
            ),
            what="the stored refresh token",
            retry=True,
            previous=stored,
        )
        rotated = self._rotated
        if rotated is None:  # pragma: no cover - authlib always calls the hook on success
            raise FortnoxError("the token refresh returned without a token")
        return rotated

    def _client_credentials(self, stored: StoredToken | None) -> StoredToken:
        tenant_id = self.tenant_id or (stored.tenant_id if stored is not None else None)
        if tenant_id is None:
            raise AuthenticationRequired(
                self.profile,
                "a service account needs the company's tenant id; log in with --service-account",
            )
        scope = stored.scope if stored is not None else " ".join(settings.DEFAULT_SCOPES)
        token = self._token_request(
            lambda: self._oauth.fetch_token(
                self.token_url,
                grant_type="client_credentials",
                scope=scope,
                headers={**_TOKEN_REQUEST_HEADERS, "TenantId": str(tenant_id)},
            ),
            what="the service account's client credentials",
            retry=True,
        )
        fresh = self._to_stored(token, previous=stored, service_account=True)
        fresh.refresh_token = None
        fresh.tenant_id = fresh.tenant_id or tenant_id
        self.store.save(self.profile, fresh)
        return fresh

    def _persist_rotated(
        self, token: Mapping[str, Any], refresh_token: str | None = None, **_: Any
    ) -> None:
        """authlib's `update_token` hook: persist the rotated pair before anything uses it."""
        previous = self._current or self.store.load(self.profile)
        rotated = self._to_stored(token, previous=previous, service_account=False)
        self.store.save(self.profile, rotated)
        self._rotated = rotated

    def _token_request(
        self,
        send: Callable[[], Mapping[str, Any]],
        *,
        what: str,
        retry: bool,
        previous: StoredToken | None = None,
    ) -> Mapping[str, Any]:
        """Call the token endpoint, turning authlib/httpx failures into our typed errors.

        A spent refresh token cannot be un-spent, so a retry after a lost response ends in
        `invalid_grant`, the same outcome as not retrying: retrying is never worse.
        """
        endpoint = f"POST {settings.TOKEN_PATH}"
        attempts = settings.TOKEN_REQUEST_ATTEMPTS if retry else 1
        last_status: int | None = None
        last_info: FortnoxErrorInfo | None = None
        last_cause: str | None = None
        for attempt in range(1, attempts + 1):
            self.token_requests += 1
            try:
                return send()
            except OAuthError as error:
                raise self._rejected(error, what) from None
            except httpx.HTTPStatusError as error:
                last_status = error.response.status_code
                last_info = parse_error_body(error.response.content)
                if last_status == 401 or last_status not in _RETRYABLE_TOKEN_STATUSES:
                    raise AuthenticationRequired(
                        self.profile,
                        f"the token endpoint refused {what} with HTTP {last_status}"
                        + (f" ({last_info.describe()})" if last_info.describe() else ""),
                    ) from None
            except httpx.TransportError as error:
                last_cause = type(error).__name__
            if attempt < attempts:
                time.sleep(min(2.0, 0.25 * 2**attempt))
        raise ApiUnavailable(endpoint, last_status, last_info, attempts=attempts, cause=last_cause)

    def _rejected(self, error: OAuthError, what: str) -> FortnoxError:
        code = str(error.error or "")
        if code == "invalid_client":
            return ConfigurationError(
                "Fortnox rejected the client id or secret (invalid_client) — check "
                "SOURCES__FORTNOX__CLIENT_ID / SOURCES__FORTNOX__CLIENT_SECRET"
            )
        if code == "invalid_grant":
            reason = f"Fortnox rejected {what} (invalid_grant: already used or expired)"
        else:
            reason = f"Fortnox rejected {what} ({code or 'unknown error'})"
        return AuthenticationRequired(self.profile, reason)

    def _to_stored(
        self, token: Mapping[str, Any], *, previous: StoredToken | None, service_account: bool
    ) -> StoredToken:
        now = self._clock()
        access_token = str(token["access_token"])
        expires_in = float(token.get("expires_in") or 3600)
        scope = token.get("scope")
        if isinstance(scope, list | tuple):
            scope = " ".join(scope)
        if not scope and previous is not None:
            scope = previous.scope
        return StoredToken(
            access_token=access_token,
            refresh_token=token.get("refresh_token"),
            expires_at=now + expires_in,
            scope=str(scope or ""),
            token_type=str(token.get("token_type") or "bearer"),
            tenant_id=tenant_from_token(access_token)
            or self.tenant_id
            or (previous.tenant_id if previous is not None else None),
            service_account=service_account,
            auth_base_url=self.auth_base_url,
            client_id=self._client_id,
            obtained_at=now,
        )

    def _adopt(self, stored: StoredToken) -> None:
        self._current = stored
        self._rejected_access_token = None
        if stored.tenant_id is not None:
            self.tenant_id = stored.tenant_id

    def _is_expiring(self, stored: StoredToken) -> bool:
        lifetime = max(0.0, stored.expires_at - stored.obtained_at)
        leeway = min(
            settings.ACCESS_TOKEN_LEEWAY_SECONDS, lifetime * settings.ACCESS_TOKEN_LEEWAY_FRACTION
        )
        return stored.expires_within(leeway, self._clock())

    def _check_belongs_here(self, stored: StoredToken) -> None:
        """A profile logged in elsewhere (another server or client id) is not silently reused."""
        if stored.auth_base_url.rstrip("/") != self.auth_base_url:
            raise AuthenticationRequired(
                self.profile,
                f"profile {self.profile!r} was logged in at {stored.auth_base_url}, "
                f"not {self.auth_base_url}",
            )
        if stored.client_id and stored.client_id != self._client_id:
            raise AuthenticationRequired(
                self.profile, f"profile {self.profile!r} was logged in with another client id"
            )

    def _profile_lock(self) -> _ProfileLock:
        return _ProfileLock(self.store.lock(self.profile), self.profile)


class _ProfileLock:
    """The store's file lock, with a timeout that ends in a readable error."""

    def __init__(self, lock: filelock.BaseFileLock, profile: str) -> None:
        self._lock = lock
        self._profile = profile

    def __enter__(self) -> None:
        try:
            self._lock.acquire()
        except filelock.Timeout:
            raise FortnoxError(
                f"another process has held the token lock of profile {self._profile!r} for over "
                f"{self._lock.timeout:.0f} s; try again when it has finished"
            ) from None

    def __exit__(self, *_: object) -> None:
        self._lock.release()


def _refuse_non_token_answers(response: httpx.Response) -> httpx.Response:
    """authlib takes any JSON object without `error` for a token, even a 429's `{"message"}`.

    Such an answer becomes an HTTP error here, so it is retried or reported, never stored.
    """
    if response.is_error and "error" not in _json_keys(response):
        response.raise_for_status()
    return response


def _json_keys(response: httpx.Response) -> set[str]:
    try:
        document = response.json()
    except ValueError:
        return set()
    return set(document) if isinstance(document, dict) else set()


def tenant_from_token(access_token: str) -> int | None:
    """The `tenantId` claim of a Fortnox JWT access token, read without verifying the signature.

    Only used to key the rate limiter and to show the tenant in `auth status`; nothing trusts it.
    """
    parts = access_token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, TypeError):
        return None
    if not isinstance(claims, dict):
        return None
    tenant = claims.get("tenantId")
    if isinstance(tenant, int) and not isinstance(tenant, bool):
        return tenant
    if isinstance(tenant, str) and tenant.isdigit():
        return int(tenant)
    return None
