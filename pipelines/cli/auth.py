"""`fortnox-pipeline auth login | status | logout`: get, show and remove a profile's Fortnox tokens.

`login` runs the authorization-code flow: it prints (and, with a display, opens) Fortnox's consent
URL, receives the code on a one-shot callback server on 127.0.0.1, checks `state`, and exchanges
the code with HTTP Basic client auth. Tokens go to the profile's file in the token store; no
command ever prints a token.
"""

from __future__ import annotations

import hmac
import os
import secrets
import sys
import threading
import time
import webbrowser
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

import typer

from pipelines.exit_codes import ExitCode
from sources.fortnox import settings
from sources.fortnox.errors import (
    ApiUnavailable,
    AuthenticationRequired,
    ConfigurationError,
    FortnoxError,
    NotFound,
    ReadOnlyViolation,
    ScopeMissing,
)
from sources.fortnox.token_store import StoredToken, TokenStore, default_token_dir

auth_app = typer.Typer(
    help="Log in to Fortnox, show and remove a profile's stored tokens.",
    no_args_is_help=True,
)

ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--profile",
        envvar="FORTNOX_PROFILE",
        help="Token profile (one per company); default `default`.",
        show_default=False,
    ),
]
TokenDirOption = Annotated[
    Path | None,
    typer.Option(
        "--token-dir",
        envvar="FORTNOX_TOKEN_DIR",
        help="Directory of the token files; default the user config dir.",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app."""
    app.add_typer(auth_app, name="auth")


def exit_code_for(error: BaseException) -> ExitCode:
    """The process exit status for an error of the Fortnox client (stable for cron and CI)."""
    if isinstance(error, AuthenticationRequired):
        return ExitCode.AUTH_NEEDED
    if isinstance(error, ScopeMissing):
        return ExitCode.SCOPE_MISSING
    if isinstance(error, NotFound):
        return ExitCode.NOT_FOUND
    if isinstance(error, ApiUnavailable):
        return ExitCode.API_UNAVAILABLE
    if isinstance(error, ConfigurationError):
        return ExitCode.BAD_INPUT
    if isinstance(error, ReadOnlyViolation):
        return ExitCode.ERROR
    return ExitCode.ERROR


@contextmanager
def fortnox_errors_to_exit_codes() -> Iterator[None]:
    """Turn a `FortnoxError` into a one-line message on stderr and its exit code, no traceback."""
    try:
        yield
    except FortnoxError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(int(exit_code_for(error))) from None


@auth_app.command()
def login(
    profile: ProfileOption = None,
    token_dir: TokenDirOption = None,
    scopes: Annotated[
        str,
        typer.Option(help="Scopes to ask for, separated by commas or spaces."),
    ] = ",".join(settings.DEFAULT_SCOPES),
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Print the consent URL instead of opening it.")
    ] = False,
    service_account: Annotated[
        bool,
        typer.Option(
            "--service-account",
            help="Consent as a service account; later tokens come from client credentials.",
        ),
    ] = False,
    port: Annotated[
        int,
        typer.Option(
            help="Callback port on 127.0.0.1 (register http://127.0.0.1:PORT/callback as the "
            "integration's redirect URI); 0 picks a free one."
        ),
    ] = settings.LOGIN_CALLBACK_PORT,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the consent.")] = 300.0,
    tenant: Annotated[int | None, typer.Option(hidden=True, help="Sandbox only: tenant.")] = None,
) -> None:
    """Log in to Fortnox with the authorization-code flow and store the tokens."""
    from sources.fortnox.client import auth_from_config

    requested_scopes = [scope for scope in scopes.replace(",", " ").split() if scope]
    with fortnox_errors_to_exit_codes():
        auth = auth_from_config(profile, token_dir=token_dir)
        callback = _CallbackServer(port)
        try:
            state = secrets.token_urlsafe(32)
            url = auth.authorization_url(
                redirect_uri=callback.redirect_uri,
                state=state,
                scopes=requested_scopes,
                service_account=service_account,
                extra_params={"tenant": str(tenant)} if tenant is not None else None,
            )
            typer.echo(f"Open this URL to let fortnox-pipeline read profile {auth.profile!r}:")
            typer.echo(url)
            sys.stdout.flush()
            if not no_browser and _has_display():
                webbrowser.open(url)
            answer = callback.wait(timeout)
        finally:
            callback.close()
        if answer is None:
            raise AuthenticationRequired(auth.profile, f"no consent arrived within {timeout:.0f} s")
        if not hmac.compare_digest(answer.get("state", ""), state):
            raise AuthenticationRequired(auth.profile, "the consent came back with a wrong state")
        if "error" in answer or "code" not in answer:
            reason = answer.get("error", "no code")
            raise AuthenticationRequired(auth.profile, f"Fortnox refused the consent ({reason})")
        stored = auth.complete_login(
            code=answer["code"], redirect_uri=callback.redirect_uri, service_account=service_account
        )
        auth.close()
        typer.echo(f"Logged in: {_describe(auth.profile, stored)}")


@auth_app.command()
def status(profile: ProfileOption = None, token_dir: TokenDirOption = None) -> None:
    """Show a profile's tenant, scopes and token expiry (never a token)."""
    name = profile or settings.DEFAULT_PROFILE
    store = TokenStore(token_dir if token_dir is not None else default_token_dir())
    with fortnox_errors_to_exit_codes():
        stored = store.load(name)
        if stored is None:
            others = [other for other in store.profiles() if other != name]
            hint = f" (profiles with tokens: {', '.join(others)})" if others else ""
            raise AuthenticationRequired(name, f"no tokens stored for profile {name!r}{hint}")
        typer.echo(_describe(name, stored))
        typer.echo(f"  token file: {store.path_for(name)}")


@auth_app.command()
def logout(profile: ProfileOption = None, token_dir: TokenDirOption = None) -> None:
    """Remove a profile's stored tokens."""
    name = profile or settings.DEFAULT_PROFILE
    store = TokenStore(token_dir if token_dir is not None else default_token_dir())
    with fortnox_errors_to_exit_codes():
        with store.lock(name):
            removed = store.delete(name)
        typer.echo(
            f"Removed the tokens of profile {name!r}."
            if removed
            else f"No tokens were stored for profile {name!r}."
        )


def _describe(profile: str, stored: StoredToken) -> str:
    """Profile, tenant, scopes and expiry, in the words of `auth status` (no token values)."""
    expires = datetime.fromtimestamp(stored.expires_at, UTC)
    remaining = stored.expires_at - time.time()
    if remaining <= 0:
        validity = "expired; renewed on next use"
    elif remaining < 120:
        validity = f"valid for {remaining:.0f} s"
    else:
        validity = f"valid for {remaining / 60:.0f} min"
    renewal = (
        "client credentials (service account)"
        if stored.service_account
        else ("refresh token stored" if stored.refresh_token else "no refresh token")
    )
    lines = [
        f"profile {profile}",
        f"  tenant: {stored.tenant_id if stored.tenant_id is not None else 'unknown'}",
        f"  scopes: {' '.join(stored.scopes) or '(none)'}",
        f"  access token expires: {expires.isoformat(timespec='seconds')} ({validity})",
        f"  renewal: {renewal}",
        f"  auth server: {stored.auth_base_url}",
    ]
    return "\n".join(lines)


def _has_display() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class _CallbackServer:
    """A one-shot HTTP server on 127.0.0.1 that receives the consent redirect."""

    def __init__(self, port: int) -> None:
        self._answer: dict[str, str] | None = None
        self._arrived = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != settings.LOGIN_CALLBACK_PATH:
                    self.send_error(404)
                    return
                query = {key: values[0] for key, values in parse_qs(parts.query).items()}
                body = b"fortnox-pipeline: consent received, you can close this window.\n"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                if not server._arrived.is_set():
                    server._answer = query
                    server._arrived.set()

            def log_message(self, format: str, *args: object) -> None:
                # The default logs the request line, which carries the authorization code.
                return

        try:
            self._http = HTTPServer(("127.0.0.1", port), Handler)
        except OSError as error:
            raise ConfigurationError(
                f"cannot listen on 127.0.0.1:{port} for the consent callback ({error.strerror}); "
                "choose another port with --port"
            ) from None
        self.redirect_uri = (
            f"http://127.0.0.1:{self._http.server_port}{settings.LOGIN_CALLBACK_PATH}"
        )
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    def wait(self, timeout: float) -> dict[str, str] | None:
        """The callback's query parameters, or None if none came within `timeout` seconds."""
        if not self._arrived.wait(timeout):
            return None
        return self._answer

    def close(self) -> None:
        """Stop serving."""
        self._http.shutdown()
        self._http.server_close()
