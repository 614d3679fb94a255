"""`fortnox-pipeline auth` without a server: exit codes, no tracebacks, never a token printed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.cli.auth import exit_code_for
from pipelines.exit_codes import ExitCode
from sources.fortnox.errors import (
    ApiError,
    ApiUnavailable,
    AuthenticationRequired,
    ConfigurationError,
    NotFound,
    ReadOnlyViolation,
    ScopeMissing,
)
from sources.fortnox.token_store import StoredToken, TokenStore

runner = CliRunner()


def _store_token(token_dir: Path, profile: str) -> StoredToken:
    stored = StoredToken(
        access_token="eyJ.secret-access.sig",
        refresh_token="secret-refresh-1234",
        expires_at=4_000_000_000.0,
        scope="bookkeeping invoice",
        tenant_id=9358196,
        auth_base_url="https://apps.fortnox.se",
        obtained_at=3_999_996_400.0,
    )
    TokenStore(token_dir).save(profile, stored)
    return stored


def test_status_shows_tenant_scopes_and_expiry_but_no_token(tmp_path: Path) -> None:
    _store_token(tmp_path, "acme")
    result = runner.invoke(
        app, ["auth", "status", "--profile", "acme", "--token-dir", str(tmp_path), "-o", "table"]
    )
    assert result.exit_code == 0
    assert "tenant: 9358196" in result.output
    assert "scopes: bookkeeping invoice" in result.output
    assert "2096-10-02T07:06:40+00:00" in result.output
    assert "refresh token stored" in result.output
    assert "secret-access" not in result.output and "secret-refresh" not in result.output


def test_status_of_a_profile_without_tokens_exits_3_and_names_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_token(tmp_path, "acme")
    monkeypatch.setenv("FORTNOX_TOKEN_DIR", str(tmp_path))
    monkeypatch.setenv("FORTNOX_PROFILE", "globex")
    result = runner.invoke(app, ["auth", "status"])
    assert result.exit_code == ExitCode.AUTH_NEEDED
    assert "no tokens stored for profile 'globex' (profiles with tokens: acme)" in result.output
    assert "auth login --profile globex" in result.output
    assert "Traceback" not in result.output


def test_a_corrupt_token_file_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    TokenStore(tmp_path).path_for("acme").parent.mkdir(parents=True, exist_ok=True)
    TokenStore(tmp_path).path_for("acme").write_text("{oops")
    result = runner.invoke(
        app, ["auth", "status", "--profile", "acme", "--token-dir", str(tmp_path), "-o", "table"]
    )
    assert result.exit_code == ExitCode.AUTH_NEEDED
    assert "unreadable" in result.output and result.exception is not None
    assert "Traceback" not in result.output


def test_logout_removes_only_that_profile(tmp_path: Path) -> None:
    _store_token(tmp_path, "acme")
    _store_token(tmp_path, "globex")
    result = runner.invoke(
        app, ["auth", "logout", "--profile", "acme", "--token-dir", str(tmp_path)]
    )
    assert result.exit_code == 0 and "Removed the tokens of profile 'acme'" in result.output
    assert TokenStore(tmp_path).profiles() == ["globex"]
    again = runner.invoke(
        app, ["auth", "logout", "--profile", "acme", "--token-dir", str(tmp_path)]
    )
    assert again.exit_code == ExitCode.NOT_FOUND
    assert again.output.strip() == (
        "error: no tokens are stored for profile 'acme', nothing was removed — "
        "profiles with tokens: globex"
    )


def test_login_without_client_credentials_exits_7(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SOURCES__FORTNOX__CLIENT_ID", raising=False)
    monkeypatch.delenv("SOURCES__FORTNOX__CLIENT_SECRET", raising=False)
    result = runner.invoke(app, ["auth", "login", "--no-browser", "--token-dir", str(tmp_path)])
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "SOURCES__FORTNOX__CLIENT_ID" in result.output


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (AuthenticationRequired("p", "r"), ExitCode.AUTH_NEEDED),
        (ScopeMissing("GET /3/vouchers", 403, "bookkeeping"), ExitCode.SCOPE_MISSING),
        (NotFound("GET /3/invoices/{id}", 404), ExitCode.NOT_FOUND),
        (ApiUnavailable("GET /3/vouchers", 503), ExitCode.API_UNAVAILABLE),
        (ApiError("GET /3/invoices", 400), ExitCode.ERROR),
        (ConfigurationError("x"), ExitCode.BAD_INPUT),
        (ReadOnlyViolation("x"), ExitCode.ERROR),
    ],
)
def test_every_error_has_its_exit_code(error: Exception, code: ExitCode) -> None:
    assert exit_code_for(error) == code


def test_login_on_a_busy_callback_port_exits_7(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCES__FORTNOX__CLIENT_ID", "id")
    monkeypatch.setenv("SOURCES__FORTNOX__CLIENT_SECRET", "secret")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(
            app,
            ["auth", "login", "--no-browser", "--port", str(port), "--token-dir", str(tmp_path)],
        )
    assert result.exit_code == ExitCode.BAD_INPUT
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
