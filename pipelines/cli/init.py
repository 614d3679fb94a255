"""`fortnox-pipeline init`: from nothing to a checked setup in one command.

A person at a terminal is asked for the integration's client id and secret (the secret masked),
which are written to `.dlt/secrets.toml` (mode 0600, written atomically, other sections kept);
then the consent flow of `auth login`; then `doctor`. Without a terminal (a provisioning script)
the id and secret come from `SOURCES__FORTNOX__CLIENT_ID` / `..._SECRET` instead of prompts.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import tomlkit
import typer

from pipelines.cli.auth import (
    ProfileOption,
    TokenDirOption,
    fortnox_errors_to_exit_codes,
    login_interactively,
)
from pipelines.cli.doctor import doctor
from pipelines.cli.output import OutputFormat, UserError
from pipelines.exit_codes import ExitCode
from sources.fortnox import settings

SECRETS_FILE = Path(".dlt") / "secrets.toml"


def init(
    profile: ProfileOption = None,
    token_dir: TokenDirOption = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Print the consent URL instead of opening it.")
    ] = False,
    service_account: Annotated[
        bool,
        typer.Option("--service-account", help="Consent as a service account (firms)."),
    ] = False,
    port: Annotated[
        int, typer.Option(help="Callback port on 127.0.0.1 for the consent; 0 picks a free one.")
    ] = settings.LOGIN_CALLBACK_PORT,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the consent.")] = 300.0,
    skip_login: Annotated[
        bool, typer.Option("--skip-login", help="Only write the secrets; log in later.")
    ] = False,
) -> None:
    """Guided setup: client id and secret into .dlt/secrets.toml, then log in, then `doctor`."""
    with fortnox_errors_to_exit_codes():
        client_id, client_secret = _ask_credentials()
        written = write_client_secrets(SECRETS_FILE, client_id, client_secret)
        typer.echo(f"Wrote the client id and secret to {written} (mode 600).")
        # The process's own config must see them too, whatever the environment held.
        os.environ["SOURCES__FORTNOX__CLIENT_ID"] = client_id
        os.environ["SOURCES__FORTNOX__CLIENT_SECRET"] = client_secret
        if skip_login:
            typer.echo("Log in when ready: fortnox-pipeline auth login")
            return
        login_interactively(
            profile,
            token_dir=token_dir,
            scopes=list(settings.DEFAULT_SCOPES),
            open_browser=not no_browser,
            service_account=service_account,
            port=port,
            timeout=timeout,
        )
    typer.echo("Checking the setup ...")
    doctor(profile=profile, token_dir=token_dir, output=OutputFormat.table)


def _ask_credentials() -> tuple[str, str]:
    """Prompts on a terminal (secret masked); the environment otherwise."""
    from_environment = (
        os.environ.get("SOURCES__FORTNOX__CLIENT_ID", "").strip(),
        os.environ.get("SOURCES__FORTNOX__CLIENT_SECRET", "").strip(),
    )
    if not sys.stdin.isatty():
        if not all(from_environment):
            raise UserError(
                "init without a terminal needs the client id and secret in the environment",
                ExitCode.BAD_INPUT,
                "set SOURCES__FORTNOX__CLIENT_ID and SOURCES__FORTNOX__CLIENT_SECRET, or run "
                "init at a terminal",
            )
        return from_environment
    typer.echo("The client id and secret of your integration (Fortnox developer portal).")
    client_id = typer.prompt("Client id", default=from_environment[0] or None).strip()
    client_secret = typer.prompt("Client secret", hide_input=True).strip()
    if not client_id or not client_secret:
        raise UserError(
            "the client id and secret cannot be empty",
            ExitCode.BAD_INPUT,
            "copy both from the integration's page in Fortnox's developer portal",
        )
    return client_id, client_secret


def write_client_secrets(path: Path, client_id: str, client_secret: str) -> Path:
    """Set `[sources.fortnox] client_id / client_secret`, keeping the file's other content.

    Written to a temporary file with mode 0600 and renamed over the old one, so the secret is
    never readable by others, not even for a moment, and a crash leaves the old file whole.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else None
    except tomlkit.exceptions.ParseError:
        raise UserError(
            f"{path} is not valid TOML, so it was left as it is",
            ExitCode.BAD_INPUT,
            f"fix or move {path} aside, then run init again",
        ) from None
    if document is None:
        document = tomlkit.document()
        document.add(tomlkit.comment("Secrets of fortnox-pipeline: never commit this file."))
    sources = document.setdefault("sources", tomlkit.table(is_super_table=True))
    fortnox = sources.setdefault("fortnox", tomlkit.table())
    fortnox["client_id"] = client_id
    fortnox["client_secret"] = client_secret
    descriptor, temporary = tempfile.mkstemp(prefix=".secrets.", suffix=".toml", dir=path.parent)
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(tomlkit.dumps(document))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return path


def register(app: typer.Typer) -> None:
    """Attach `init` to the main app."""
    app.command("init")(init)
