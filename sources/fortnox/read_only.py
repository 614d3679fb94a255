"""A transport wrapper that makes the Fortnox client read-only by construction.

Every Fortnox scope grants write access too, so "we only read" cannot rest on the token. It rests
here instead: the wrapper sits between httpx and the network and refuses, before a byte leaves,
any request that is not on its short allow-list (GET under the API's `/3/`, POST to the token
endpoint).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from sources.fortnox.errors import ReadOnlyViolation


@dataclass(frozen=True, slots=True)
class AllowedRequest:
    """One kind of request the wrapper lets through.

    Args:
        method: the HTTP method, upper case.
        url_prefix: scheme, host, port and path prefix the URL must start with.
        exact_path: the path must equal the prefix's path rather than start with it.
    """

    method: str
    url_prefix: str
    exact_path: bool = False

    def permits(self, request: httpx.Request) -> bool:
        """Whether `request` is of this kind."""
        allowed = httpx.URL(self.url_prefix)
        url = request.url
        if request.method != self.method:
            return False
        if (url.scheme, url.host, url.port) != (allowed.scheme, allowed.host, allowed.port):
            return False
        if self.exact_path:
            return url.path == allowed.path
        return url.path.startswith(allowed.path)


class ReadOnlyTransport(httpx.BaseTransport):
    """Forwards allowed requests to `inner`; raises `ReadOnlyViolation` for anything else.

    Args:
        inner: the real transport (network, or the in-process sandbox in tests).
        allowed: the kinds of request to let through.
        close_inner: close `inner` with this wrapper; False when the caller owns it (a transport
            passed in by a test is shared by the API client and the auth client).
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        allowed: Iterable[AllowedRequest],
        *,
        close_inner: bool = True,
    ) -> None:
        self._inner = inner
        self._allowed = tuple(allowed)
        self._close_inner = close_inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Check, then forward; a refused request never reaches the inner transport."""
        if not any(rule.permits(request) for rule in self._allowed):
            raise ReadOnlyViolation(
                f"refused to send {request.method} {request.url.scheme}://{request.url.host}"
                f"{request.url.path}: the Fortnox client only reads"
            )
        return self._inner.handle_request(request)

    def close(self) -> None:
        """Close the inner transport if this wrapper owns it."""
        if self._close_inner:
            self._inner.close()
