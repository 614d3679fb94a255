"""The read-only Fortnox API client: bearer auth, pacing, retries, pagination, typed errors.

One `FortnoxClient` per profile (company). Every request takes a slot of the tenant's sliding
window (`pacing.py`) so a normal run never sees a 429, goes out with a valid access token
(`auth.py`), and is retried on 429/5xx/timeouts/dropped connections (`retry.py`). The transport
is wrapped so that nothing but GET under `/3/` can leave (`read_only.py`).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from sources.fortnox import settings
from sources.fortnox.auth import FortnoxAuth
from sources.fortnox.errors import (
    ApiError,
    ApiUnavailable,
    AuthenticationRequired,
    FortnoxError,
    FortnoxErrorInfo,
    NotFound,
    ScopeMissing,
    parse_error_body,
)
from sources.fortnox.pacing import SlidingWindowLimiter, shared_limiter
from sources.fortnox.profiles import resolve_profile, resolve_token_dir
from sources.fortnox.read_only import AllowedRequest, ReadOnlyTransport
from sources.fortnox.retry import RETRYABLE_STATUSES, RetryPolicy

logger = logging.getLogger(__name__)

_ROUTE_WORD = re.compile(r"^[a-z]+$")


_LIMITS = httpx.Limits(keepalive_expiry=settings.KEEPALIVE_EXPIRY_SECONDS)
"""An idle connection is dropped by us before a server's idle timeout can race our next request.

httpx keeps idle connections 5 s, the same as common servers (uvicorn's default): a request sent
as the server closes the connection fails with ReadError, and its retry costs one more request of
the 25 per 5 s; pacing makes gaps of about 5 s common, a race our tests hit.
"""


@dataclass(slots=True)
class EndpointStats:
    """What one endpoint template cost: attempts sent, 429s received, retries, bytes, time."""

    requests: int = 0
    rate_limited: int = 0
    retries: int = 0
    bytes: int = 0
    seconds: float = 0.0


class ClientStats:
    """Per-endpoint counters of one client, safe to update from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.endpoints: dict[str, EndpointStats] = {}

    def record(
        self,
        endpoint: str,
        *,
        requests: int = 0,
        rate_limited: int = 0,
        retries: int = 0,
        bytes: int = 0,
        seconds: float = 0.0,
    ) -> None:
        """Add to the counters of an endpoint template."""
        with self._lock:
            entry = self.endpoints.setdefault(endpoint, EndpointStats())
            entry.requests += requests
            entry.rate_limited += rate_limited
            entry.retries += retries
            entry.bytes += bytes
            entry.seconds += seconds

    @property
    def total_requests(self) -> int:
        """Requests sent to the API, retries included."""
        with self._lock:
            return sum(entry.requests for entry in self.endpoints.values())

    @property
    def total_rate_limited(self) -> int:
        """429 answers received."""
        with self._lock:
            return sum(entry.rate_limited for entry in self.endpoints.values())

    @property
    def total_retries(self) -> int:
        """Retries made, of any cause."""
        with self._lock:
            return sum(entry.retries for entry in self.endpoints.values())

    def as_dict(self) -> dict[str, dict[str, int | float]]:
        """A JSON-ready copy: `{endpoint template: {requests, rate_limited, ...}}`."""
        with self._lock:
            return {endpoint: asdict(entry) for endpoint, entry in sorted(self.endpoints.items())}


def endpoint_template(path: str) -> str:
    """The endpoint a path belongs to, with ids replaced: `vouchers/A/12` → `vouchers/{id}/{id}`.

    Route words (all lower-case letters, like `sublist` or `lockedperiod`) are kept; anything
    else after the resource name is an identifier. Stats and error messages use the template,
    so they never carry record identifiers.
    """
    segments = [segment for segment in path.strip("/").split("/") if segment]
    if not segments:
        return ""
    head, *rest = segments
    return "/".join([head, *(s if _ROUTE_WORD.match(s) else "{id}" for s in rest)])


class FortnoxClient:
    """GET-only access to `https://api.fortnox.se/3/` for one company.

    Args:
        auth: supplies access tokens for the company's profile.
        base_url: the API host (the sandbox in tests); paths are relative to its `/3/`.
        transport: httpx transport (the in-process sandbox in tests); the network if None.
        rate: (requests, window seconds) of the tenant's sliding window.
        max_retries: retries after the first attempt of a GET.
        timeout: seconds for one request.
        retry: full retry policy; `max_retries` is ignored when given.
        limiter: the sliding window to use; by default the process-wide one of the tenant.
        sleep: how the client waits between retries; injectable for tests.
    """

    def __init__(
        self,
        auth: FortnoxAuth,
        *,
        base_url: str = settings.DEFAULT_BASE_URL,
        transport: httpx.BaseTransport | None = None,
        rate: tuple[int, float] = (
            settings.RATE_LIMIT_REQUESTS,
            settings.RATE_LIMIT_WINDOW_SECONDS,
        ),
        max_retries: int = settings.DEFAULT_MAX_RETRIES,
        timeout: float = settings.DEFAULT_TIMEOUT_SECONDS,
        retry: RetryPolicy | None = None,
        limiter: SlidingWindowLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.auth = auth
        self.base_url = base_url.rstrip("/")
        self.rate = rate
        self.retry = retry if retry is not None else RetryPolicy(max_retries=max_retries)
        self.stats = ClientStats()
        self._limiter = limiter
        self._sleep = sleep
        self._closes_auth = False
        api_root = self.base_url + settings.API_PREFIX
        guarded = ReadOnlyTransport(
            transport if transport is not None else httpx.HTTPTransport(retries=0, limits=_LIMITS),
            [AllowedRequest("GET", api_root)],
            close_inner=transport is None,
        )
        self._http = httpx.Client(
            base_url=api_root,
            transport=guarded,
            timeout=timeout,
            headers={"Accept": "application/json"},
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"FortnoxClient(base_url={self.base_url!r}, profile={self.auth.profile!r})"

    # --- public API ----------------------------------------------------------------------------

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """GET a JSON resource under `/3/`.

        Args:
            path: relative to `/3/`, e.g. `"companyinformation"` or `"vouchers/A/12"`.
            params: query parameters (Fortnox wants them in lower case).

        Returns:
            The decoded JSON object.

        Raises:
            AuthenticationRequired, ScopeMissing, NotFound, ApiError, ApiUnavailable.
        """
        response = self._get(path, params)
        try:
            document = response.json()
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise ApiError(
                f"GET /3/{endpoint_template(path)}",
                response.status_code,
                FortnoxErrorInfo(message="the response is not a JSON object"),
            )
        return document

    def paginate(
        self, path: str, envelope_key: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield the items of every page of a list endpoint, 500 per request.

        Follows `MetaInformation.@TotalPages` to the last page (never stopping at the first);
        a response without MetaInformation is a single page. Empty pages are not yielded.

        Args:
            path: the list endpoint relative to `/3/`, e.g. `"invoices"`.
            envelope_key: the key holding the list, e.g. `"Invoices"`.
            params: filters; `limit` defaults to 500 and `page` is set by this method.
        """
        query = {"limit": settings.PAGE_SIZE, **dict(params or {})}
        page = 1
        while True:
            document = self.get_json(path, {**query, "page": page})
            items = document.get(envelope_key)
            if not isinstance(items, list):
                raise ApiError(
                    f"GET /3/{endpoint_template(path)}",
                    200,
                    FortnoxErrorInfo(message=f"the response has no {envelope_key!r} list"),
                )
            if items:
                yield items
            meta = document.get("MetaInformation")
            if not isinstance(meta, dict):
                return
            total_pages = int(meta.get("@TotalPages") or 0)
            current_page = int(meta.get("@CurrentPage") or page)
            if current_page >= total_pages:
                return
            if current_page < page:
                raise ApiError(
                    f"GET /3/{endpoint_template(path)}",
                    200,
                    FortnoxErrorInfo(message=f"asked for page {page}, got page {current_page}"),
                )
            page = current_page + 1

    def get_bytes(self, path: str, params: Mapping[str, Any] | None = None) -> bytes:
        """GET a raw body (a SIE file); the body is never logged or put in an error.

        Args:
            path: relative to `/3/`, e.g. `"sie/4"`.
            params: query parameters, e.g. `{"financialyear": 3}`.
        """
        # SIE is not JSON: accept whatever Fortnox streams (errors still come back as JSON).
        return self._get(path, params, accept="*/*").content

    def close(self) -> None:
        """Close the HTTP connections (and the auth client, if this client created it)."""
        self._http.close()
        if self._closes_auth:
            self.auth.close()

    def __enter__(self) -> FortnoxClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- one GET with pacing and retries -----------------------------------------------------

    def _get(
        self, path: str, params: Mapping[str, Any] | None, accept: str = "application/json"
    ) -> httpx.Response:
        template = endpoint_template(path)
        label = f"GET /3/{template}"
        relative = path.lstrip("/")
        started = time.monotonic()
        retry = 0
        reauthenticated = False
        while True:
            token = self.auth.access_token()
            limiter = self._tenant_limiter()
            response: httpx.Response | None = None
            failure: str | None = None
            slot = limiter.acquire()
            sent = time.monotonic()
            try:
                response = self._http.get(
                    relative,
                    params=params,
                    headers={"Authorization": f"Bearer {token}", "Accept": accept},
                )
            except httpx.TransportError as error:
                failure = type(error).__name__
            finally:
                limiter.release(slot)
                self.stats.record(
                    template,
                    requests=1,
                    bytes=len(response.content) if response is not None else 0,
                    seconds=time.monotonic() - sent,
                )

            if response is not None:
                status = response.status_code
                logger.debug("%s -> %d", label, status)
                if status < 300:
                    return response
                info = parse_error_body(response.content)
                if status == 401 and not reauthenticated:
                    # The token died early (revoked, clock skew): refresh once and try again.
                    reauthenticated = True
                    self.auth.invalidate()
                    self.stats.record(template, retries=1)
                    continue
                if status not in RETRYABLE_STATUSES:
                    raise self._refused(label, path, status, info)
                if status == 429:
                    self.stats.record(template, rate_limited=1)
                    limiter.saturate()
                last_status: int | None = status
                last_info: FortnoxErrorInfo | None = info
            else:
                last_status, last_info = None, None

            retry += 1
            elapsed = time.monotonic() - started
            if not self.retry.may_retry(retry, elapsed):
                raise ApiUnavailable(label, last_status, last_info, attempts=retry, cause=failure)
            wait = self.retry.backoff_seconds(retry)
            if last_status == 429:
                # The limiter already holds the next request for a full window; jitter only.
                wait = self.retry.rng.uniform(0, self.retry.backoff_base_seconds)
            logger.warning(
                "%s: %s, retry %d of %d in %.2f s",
                label,
                failure or f"HTTP {last_status}",
                retry,
                self.retry.max_retries,
                wait,
            )
            self.stats.record(template, retries=1)
            self._sleep(wait)

    def _refused(self, label: str, path: str, status: int, info: FortnoxErrorInfo) -> FortnoxError:
        """The typed error for a final (non-retryable) answer."""
        if status == 401:
            return AuthenticationRequired(
                self.auth.profile, f"the API rejected a freshly refreshed access token ({label})"
            )
        if status == 403:
            if info.code in settings.ERROR_CODES_INVALID_LOGIN:
                return AuthenticationRequired(
                    self.auth.profile, f"the API refused the login ({info.describe()})"
                )
            if info.code in settings.ERROR_CODES_SCOPE_MISSING:
                resource = endpoint_template(path).split("/", 1)[0]
                scope = settings.SCOPE_BY_RESOURCE.get(resource, resource)
                return ScopeMissing(label, status, scope, info)
        if status == 404:
            return NotFound(label, status, info)
        return ApiError(label, status, info)

    def _tenant_limiter(self) -> SlidingWindowLimiter:
        if self._limiter is None:
            tenant: object = self.auth.tenant_id or ("profile", self.auth.profile)
            max_requests, window_seconds = self.rate
            self._limiter = shared_limiter((self.base_url, tenant), max_requests, window_seconds)
        return self._limiter


def auth_from_config(
    profile: str | None = None,
    transport: httpx.BaseTransport | None = None,
    token_dir: Path | None = None,
) -> FortnoxAuth:
    """A `FortnoxAuth` from dlt config/secrets (`[sources.fortnox]` or `SOURCES__FORTNOX__*`).

    Args:
        profile: the token profile; else `FORTNOX_PROFILE`; else the current profile saved by
            `profiles use`; else `default` (`profiles.resolve_profile`).
        transport: httpx transport for the token endpoint (tests).
        token_dir: where token files live; else `FORTNOX_TOKEN_DIR`; else the user config dir.
    """
    import dlt  # deferred: importing dlt costs half a second the auth commands rarely need

    client_id: Any = dlt.secrets.get("sources.fortnox.client_id")
    client_secret: Any = dlt.secrets.get("sources.fortnox.client_secret")
    auth_base_url: Any = (
        dlt.config.get("sources.fortnox.auth_base_url") or settings.DEFAULT_AUTH_BASE_URL
    )
    tenant_id: Any = dlt.config.get("sources.fortnox.tenant_id")
    service_account: Any = dlt.config.get("sources.fortnox.service_account")
    directory = resolve_token_dir(token_dir)
    return FortnoxAuth(
        client_id=str(client_id or ""),
        client_secret=str(client_secret or ""),
        profile=resolve_profile(profile, directory).name,
        auth_base_url=str(auth_base_url),
        token_dir=directory,
        transport=transport,
        tenant_id=int(tenant_id) if tenant_id else None,
        service_account=str(service_account).lower() in {"1", "true", "yes"},
    )


def client_from_config(
    profile: str | None = None,
    transport: httpx.BaseTransport | None = None,
    token_dir: Path | None = None,
) -> FortnoxClient:
    """A ready `FortnoxClient` from dlt config/secrets and the environment.

    Reads `sources.fortnox.client_id` / `client_secret` (secrets), `base_url` / `auth_base_url`
    (config); the profile and the token directory as `auth_from_config` resolves them. The same
    transport, if given, serves the API and the token endpoint.
    """
    import dlt

    auth = auth_from_config(profile, transport, token_dir)
    base_url: Any = dlt.config.get("sources.fortnox.base_url") or settings.DEFAULT_BASE_URL
    client = FortnoxClient(auth, base_url=str(base_url), transport=transport)
    client._closes_auth = True
    return client
