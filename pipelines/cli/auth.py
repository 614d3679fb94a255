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
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

import typer

from pipelines.cli.output import OutputOption, UserError, emit, error_line, print_error, user_errors
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
from sources.fortnox.profiles import ChosenProfile, resolve_profile, resolve_token_dir
from sources.fortnox.token_store import StoredToken, TokenStore

auth_app = typer.Typer(
    help="Log in to Fortnox, show and remove a profile's stored tokens.",
    no_args_is_help=True,
)

ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--profile",
        help="Token profile (one per company); else FORTNOX_PROFILE, else the current profile "
        "(`profiles use`), else `default`.",
        show_default=False,
    ),
]
TokenDirOption = Annotated[
    Path | None,
    typer.Option(
        "--token-dir",
        help="Directory of the token files; else FORTNOX_TOKEN_DIR, else the user config dir.",
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
    """Turn a `FortnoxError` or `UserError` into its one error line and exit code."""
    try:
        with user_errors():
            yield
    except FortnoxError as error:
        print_error(str(error))
        raise typer.Exit(int(exit_code_for(error))) from None


def chosen_profile(profile: str | None, token_dir: Path | None) -> tuple[ChosenProfile, TokenStore]:
    """The profile a command acts on and the token store it lives in (flag > env > current)."""
    directory = resolve_token_dir(token_dir)
    return resolve_profile(profile, directory), TokenStore(directory)


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
    with fortnox_errors_to_exit_codes():
        login_interactively(
            profile,
            token_dir=token_dir,
            scopes=[scope for scope in scopes.replace(",", " ").split() if scope],
            open_browser=not no_browser,
            service_account=service_account,
            port=port,
            timeout=timeout,
            tenant=tenant,
        )


def login_interactively(
    profile: str | None,
    *,
    token_dir: Path | None,
    scopes: list[str],
    open_browser: bool,
    service_account: bool,
    port: int,
    timeout: float,
    tenant: int | None = None,
) -> StoredToken:
    """The consent round trip; the browser page says what the command will say.

    The callback's answer is held until the code has been exchanged, so a wrong client secret or
    a refused code shows on the page as the same error the terminal prints, not as "received".
    """
    from sources.fortnox.client import auth_from_config

    auth = auth_from_config(profile, token_dir=token_dir)
    callback = _CallbackServer(port)
    try:
        state = secrets.token_urlsafe(32)
        url = auth.authorization_url(
            redirect_uri=callback.redirect_uri,
            state=state,
            scopes=scopes,
            service_account=service_account,
            extra_params={"tenant": str(tenant)} if tenant is not None else None,
        )
        typer.echo(f"Open this URL to let fortnox-pipeline read profile {auth.profile!r}:")
        typer.echo(url)
        sys.stdout.flush()
        if open_browser and _has_display():
            webbrowser.open(url)
        answer = callback.wait(timeout)
        try:
            if answer is None:
                raise AuthenticationRequired(
                    auth.profile, f"no consent arrived within {timeout:.0f} s"
                )
            if not hmac.compare_digest(answer.get("state", ""), state):
                raise AuthenticationRequired(
                    auth.profile, "the consent came back with a wrong state"
                )
            if "error" in answer or "code" not in answer:
                reason = answer.get("error", "no code")
                raise AuthenticationRequired(
                    auth.profile, f"Fortnox refused the consent ({reason})"
                )
            stored = auth.complete_login(
                code=answer["code"],
                redirect_uri=callback.redirect_uri,
                service_account=service_account,
            )
        except FortnoxError as error:
            callback.respond(ok=False, message=error_line(str(error)))
            raise
        except BaseException:
            callback.respond(ok=False, message="error: the login failed; see the terminal")
            raise
        described = _describe(auth.profile, stored)
        callback.respond(
            ok=True, message=f"Logged in: profile {auth.profile}. You can close this window."
        )
    finally:
        callback.close()
        auth.close()
    typer.echo(f"Logged in: {described}")
    return stored


@auth_app.command()
def status(
    profile: ProfileOption = None,
    token_dir: TokenDirOption = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Ask Fortnox whether the tokens work (one request)."),
    ] = False,
    output: OutputOption = None,
) -> None:
    """Show a profile's tenant, scopes and token expiry (never a token).

    Without `--check` the status is what the token file says, not verified with Fortnox.
    """
    with fortnox_errors_to_exit_codes():
        chosen, store = chosen_profile(profile, token_dir)
        stored = store.load(chosen.name)
        if stored is None:
            others = [other for other in store.profiles() if other != chosen.name]
            hint = f" (profiles with tokens: {', '.join(others)})" if others else ""
            raise AuthenticationRequired(
                chosen.name, f"no tokens stored for profile {chosen.name!r}{hint}"
            )
        verified: dict[str, Any] | None = None
        if check:
            verified = verify_with_server(chosen.name, store.directory)
        document = {
            **token_summary(chosen.name, stored),
            "profile_source": chosen.source,
            "token_file": str(store.path_for(chosen.name)),
            "verified": verified is not None,
            "company_name": verified.get("company_name") if verified else None,
            "database_number": verified.get("database_number") if verified else None,
        }

        def table() -> None:
            typer.echo(_describe(chosen.name, stored))
            typer.echo(f"  token file: {store.path_for(chosen.name)}")
            if verified is None:
                typer.echo("  not verified with Fortnox (use --check to ask the server)")
            else:
                typer.echo(
                    f"  verified with Fortnox: {verified['company_name']} "
                    f"(DatabaseNumber {verified['database_number']})"
                )

        emit(document, output, table)


def verify_with_server(profile: str, token_dir: Path) -> dict[str, Any]:
    """One cheap request with the profile's tokens (renewing them if due): what Fortnox says.

    Raises:
        FortnoxError: the tokens do not work (exit 3), scope missing (9), Fortnox down (4).
    """
    from sources.fortnox.client import client_from_config

    with client_from_config(profile, token_dir=token_dir) as client:
        info = client.get_json("companyinformation")["CompanyInformation"]
    return {
        "company_name": info.get("CompanyName"),
        "database_number": info.get("DatabaseNumber"),
        "organisation_number": info.get("OrganizationNumber"),
    }


@auth_app.command()
def logout(profile: ProfileOption = None, token_dir: TokenDirOption = None) -> None:
    """Remove a profile's stored tokens (exit 8 when the profile has none)."""
    with fortnox_errors_to_exit_codes():
        chosen, store = chosen_profile(profile, token_dir)
        with store.lock(chosen.name):
            removed = store.delete(chosen.name)
        if not removed:
            others = store.profiles()
            raise UserError(
                f"no tokens are stored for profile {chosen.name!r}, nothing was removed",
                ExitCode.NOT_FOUND,
                f"profiles with tokens: {', '.join(others)}" if others else "no profile has tokens",
            )
        typer.echo(f"Removed the tokens of profile {chosen.name!r}.")


def token_summary(profile: str, stored: StoredToken) -> dict[str, Any]:
    """What a token file says, for JSON output: never a token value."""
    return {
        "profile": profile,
        "tenant_id": stored.tenant_id,
        "scopes": stored.scopes,
        "access_token_expires_at": datetime.fromtimestamp(stored.expires_at, UTC).isoformat(
            timespec="seconds"
        ),
        "access_token_expired": stored.expires_at <= time.time(),
        "renewal": (
            "client_credentials"
            if stored.service_account
            else ("refresh_token" if stored.refresh_token else "none")
        ),
        "auth_server": stored.auth_base_url,
    }


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


# How long the consent page waits for the code exchange before telling the user to look at the
# terminal (the exchange itself is bounded by the client's timeout and retries).
_OUTCOME_WAIT_SECONDS = 90.0


class _CallbackServer:
    """A one-shot HTTP server on 127.0.0.1 that receives the consent redirect."""

    def __init__(self, port: int) -> None:
        self._answer: dict[str, str] | None = None
        self._arrived = threading.Event()
        self._outcome: tuple[bool, str] | None = None
        self._outcome_ready = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != settings.LOGIN_CALLBACK_PATH:
                    self.send_error(404)
                    return
                query = {key: values[0] for key, values in parse_qs(parts.query).items()}
                first = not server._arrived.is_set()
                if first:
                    server._answer = query
                    server._arrived.set()
                    # The page waits for the code exchange, so it can say what the CLI says.
                    server._outcome_ready.wait(_OUTCOME_WAIT_SECONDS)
                ok, message = server._outcome or (
                    False,
                    "fortnox-pipeline: the login is still running or was abandoned; "
                    "see the terminal.",
                )
                if not first:
                    ok, message = False, "fortnox-pipeline: this login was already answered."
                body = f"fortnox-pipeline: {message}\n".encode()
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

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

    def respond(self, *, ok: bool, message: str) -> None:
        """What the browser's page says: the same outcome the command prints."""
        if self._outcome is None:
            self._outcome = (ok, message)
        self._outcome_ready.set()

    def close(self) -> None:
        """Stop serving (a page still waiting is told to look at the terminal)."""
        self._outcome_ready.set()
        self._http.shutdown()
        self._http.server_close()
