"""Typed exceptions of the Fortnox client, and the parser for Fortnox's error bodies.

The command line maps each exception to an exit code, so a cron job can tell "log in again"
from "Fortnox is down". No message ever carries a token, a secret or a response body: only
the endpoint, the HTTP status and Fortnox's own error code and message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

_MAX_MESSAGE_CHARS = 300


class FortnoxError(Exception):
    """Base of every error the Fortnox client raises on purpose."""


class ConfigurationError(FortnoxError):
    """Client id, secret or a base URL is missing or malformed in the dlt configuration."""


class AuthenticationRequired(FortnoxError):
    """No usable tokens for a profile: the user has to log in (again).

    Args:
        profile: the token profile that needs a login.
        reason: why, in a few words (never a token).
    """

    def __init__(self, profile: str, reason: str) -> None:
        self.profile = profile
        self.reason = reason
        super().__init__(
            f"{reason} — run `fortnox-pipeline auth login --profile {profile}` to log in again"
        )


@dataclass(frozen=True, slots=True)
class FortnoxErrorInfo:
    """Fortnox's own code and message from an error body, when the body had one."""

    code: int | None = None
    message: str | None = None

    def describe(self) -> str:
        """`code 2000423: Kan inte hitta kontot.`, or an empty string when nothing was parsed."""
        parts = []
        if self.code is not None:
            parts.append(f"code {self.code}")
        if self.message:
            parts.append(self.message)
        return ": ".join(parts)


class ApiError(FortnoxError):
    """The API refused a request (a 4xx that retrying cannot fix).

    Args:
        endpoint: the request, e.g. `GET /3/vouchers/{id}/{id}` (a template: no query, no ids).
        status: the HTTP status, or None when no response came back at all.
        info: Fortnox's parsed error code and message.
    """

    def __init__(
        self, endpoint: str, status: int | None, info: FortnoxErrorInfo | None = None
    ) -> None:
        self.endpoint = endpoint
        self.status = status
        self.info = info or FortnoxErrorInfo()
        super().__init__(self._message())

    @property
    def code(self) -> int | None:
        """Fortnox's numeric error code, if the body carried one."""
        return self.info.code

    def _message(self) -> str:
        status = f"HTTP {self.status}" if self.status is not None else "no response"
        detail = self.info.describe()
        return f"{self.endpoint} failed with {status}" + (f" ({detail})" if detail else "")


class ScopeMissing(ApiError):
    """The token lacks the scope (or the company the licence) an endpoint needs.

    Args:
        scope: the missing scope, e.g. `bookkeeping`.
    """

    def __init__(
        self, endpoint: str, status: int | None, scope: str, info: FortnoxErrorInfo | None = None
    ) -> None:
        self.scope = scope
        super().__init__(endpoint, status, info)

    def _message(self) -> str:
        return (
            f"{super()._message()}: scope `{self.scope}` is missing — run "
            f"`fortnox-pipeline auth login --scopes ...` including `{self.scope}`, and check that "
            "the company holds the licence for it"
        )


class NotFound(ApiError):
    """The resource does not exist (HTTP 404)."""


class ApiUnavailable(ApiError):
    """The API kept failing (429, 5xx, timeouts, dropped connections) after every retry."""

    def __init__(
        self,
        endpoint: str,
        status: int | None,
        info: FortnoxErrorInfo | None = None,
        *,
        attempts: int = 1,
        cause: str | None = None,
    ) -> None:
        self.attempts = attempts
        self.cause = cause
        super().__init__(endpoint, status, info)

    def _message(self) -> str:
        message = f"{super()._message()} after {self.attempts} attempt(s)"
        message += f" ({self.cause})" if self.cause else ""
        return message + " — Fortnox is unavailable; the next run fetches what this one missed"


class ReadOnlyViolation(FortnoxError):
    """Something tried to send a request the read-only client never sends (nothing was sent)."""


def parse_error_body(body: bytes) -> FortnoxErrorInfo:
    """Read Fortnox's code and message from an error body, whichever spelling it uses.

    Fortnox answers errors in three shapes: `{"ErrorInformation": {"error", "message", "code"}}`
    (documented), the same with capitalised keys (recorded 404s, the OpenAPI schema), and a bare
    `{"message": "unauthorized"}` (expired tokens). The OAuth2 server adds
    `{"error", "error_description"}`. Anything else (HTML, a SIE file, garbage) yields an empty
    result: a body is never echoed, since it may hold private data.

    Args:
        body: the raw response body.

    Returns:
        The parsed code and message; both None when the body is not a known error shape.
    """
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return FortnoxErrorInfo()
    if not isinstance(document, dict):
        return FortnoxErrorInfo()
    wrapped = document.get("ErrorInformation")
    if isinstance(wrapped, dict):
        fields = {key.lower(): value for key, value in wrapped.items()}
        return FortnoxErrorInfo(
            code=_as_code(fields.get("code")), message=_clip(fields.get("message"))
        )
    if isinstance(document.get("error"), str):
        description = document.get("error_description")
        message = f"{document['error']}: {description}" if description else document["error"]
        return FortnoxErrorInfo(message=_clip(message))
    return FortnoxErrorInfo(message=_clip(document.get("message")))


def _as_code(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _clip(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return value if len(value) <= _MAX_MESSAGE_CHARS else value[:_MAX_MESSAGE_CHARS] + "…"
