"""`init`, `doctor`, `profiles` and `-o json` against a sandbox on loopback, as a user runs them."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import tomllib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from pipelines.exit_codes import ExitCode
from sources.fortnox import settings
from sources.fortnox.auth import FortnoxAuth
from tests.cli.conftest import REDIRECT_URI, invoke
from tests.client.conftest import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, cli, sandbox_env


def _log_in(
    sandbox_url: str, token_dir: Path, profile: str, scopes: list[str] | None = None
) -> None:
    auth = FortnoxAuth(
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
        auth_base_url=sandbox_url,
        token_dir=token_dir,
        profile=profile,
    )
    url = auth.authorization_url(
        redirect_uri=REDIRECT_URI, state="s-1", scopes=scopes or list(settings.DEFAULT_SCOPES)
    )
    consent = httpx.get(url, follow_redirects=False)
    code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
    auth.complete_login(code=code, redirect_uri=REDIRECT_URI)
    auth.close()


def test_init_without_a_terminal_writes_secrets_logs_in_and_checks(
    sandbox_url: str, tmp_path: Path
) -> None:
    token_dir = tmp_path / "tokens"
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "secrets.toml").write_text('[destination.other]\nkey = "kept"\n')
    init = subprocess.Popen(
        [*cli(), "init", "--no-browser", "--port", "0", "--profile", "acme"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=sandbox_env(sandbox_url, token_dir),
        cwd=tmp_path,
    )
    assert init.stdout is not None
    consent_url = next(line.strip() for line in init.stdout if line.startswith("http"))
    with httpx.Client(follow_redirects=True, timeout=60) as browser:
        landing = browser.get(consent_url)
    assert landing.status_code == 200 and "Logged in: profile acme" in landing.text
    rest, errors = init.communicate(timeout=60)
    assert init.returncode == 0, rest + errors
    secrets_file = tmp_path / ".dlt" / "secrets.toml"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    written = tomllib.loads(secrets_file.read_text())
    assert written["sources"]["fortnox"] == {
        "client_id": SANDBOX_CLIENT_ID,
        "client_secret": SANDBOX_CLIENT_SECRET,
    }
    assert written["destination"]["other"]["key"] == "kept"
    assert "✓ token accepted by Fortnox" in rest and "✓ API request" in rest
    assert "all checks hold" in rest
    assert SANDBOX_CLIENT_SECRET not in rest + errors


def test_init_without_a_terminal_or_environment_is_a_clear_error(tmp_path: Path) -> None:
    env = sandbox_env("http://127.0.0.1:9", tmp_path / "tokens")
    del env["SOURCES__FORTNOX__CLIENT_SECRET"]
    result = subprocess.run(
        [*cli(), "init", "--skip-login"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == ExitCode.BAD_INPUT
    assert result.stderr.startswith("error: init without a terminal needs the client id")
    assert not (tmp_path / ".dlt" / "secrets.toml").exists()


def test_doctor_passes_on_a_good_setup_and_names_each_broken_link(
    sandbox_url: str, environment: dict[str, str], tmp_path: Path
) -> None:
    code, output = invoke(
        ["doctor", "-o", "json", "--duckdb", str(tmp_path / "w.duckdb")], environment, tmp_path
    )
    assert code == 0, output
    report = json.loads(output)
    assert report["ok"] is True
    names = [check["name"] for check in report["checks"]]
    assert names[:2] == ["python and packages", "client id and secret"]
    assert "token accepted by Fortnox" in names and "API request" in names
    assert names[-3].startswith("warehouse ") and names[-2].startswith("pipeline state ")
    assert names[-1] == "skipped by the last run"
    assert "sandbox-secret" not in output

    # A token without the invoice scope: `run` skips what needs it, so doctor warns (exit 0)
    # and the scopes line names the resources that need it.
    token_dir = Path(environment["FORTNOX_TOKEN_DIR"])
    _log_in(sandbox_url, token_dir, "narrow", scopes=["bookkeeping", "companyinformation"])
    code, output = invoke(
        ["doctor", "-o", "json", "--profile", "narrow", "--duckdb", str(tmp_path / "w.duckdb")],
        environment,
        tmp_path,
    )
    assert code == 0, output
    scopes = next(check for check in json.loads(output)["checks"] if check["name"] == "scopes")
    assert scopes["ok"] is True and scopes["warning"] is True
    assert "`invoice` missing for invoices" in scopes["detail"] and "skips" in scopes["detail"]

    # Without bookkeeping a run loads no ledger at all: that fails, exit 9.
    _log_in(sandbox_url, token_dir, "no-ledger", scopes=["invoice", "companyinformation"])
    code, output = invoke(
        ["doctor", "-o", "table", "--profile", "no-ledger", "--duckdb", str(tmp_path / "w.duckdb")],
        environment,
        tmp_path,
    )
    assert code == ExitCode.SCOPE_MISSING, output
    assert "`bookkeeping` missing for" in output

    # No tokens at all: the token file check fails with the login command, no request is sent.
    code, output = invoke(
        ["doctor", "-o", "table", "--profile", "nobody", "--duckdb", str(tmp_path / "w.duckdb")],
        environment,
        tmp_path,
    )
    assert code == ExitCode.AUTH_NEEDED
    assert "✗ token file (profile nobody, from --profile)" in output
    assert "fortnox-pipeline auth login --profile nobody" in output
    assert "token accepted" not in output


def test_profiles_list_use_and_precedence(
    sandbox_url: str, environment: dict[str, str], tmp_path: Path
) -> None:
    token_dir = Path(environment["FORTNOX_TOKEN_DIR"])
    _log_in(sandbox_url, token_dir, "other")
    warehouse = tmp_path / "w.duckdb"
    code, output = invoke(["run", "--duckdb", str(warehouse), "--no-models"], environment, tmp_path)
    assert code == 0, output

    code, output = invoke(["profiles", "--duckdb", str(warehouse)], environment, tmp_path)
    assert code == 0, output
    rows = {row["profile"]: row for row in json.loads(output)["profiles"]}
    assert set(rows) == {"default", "other"}
    assert rows["default"]["last_run_outcome"] == "completed"
    assert rows["default"]["company_name"] and rows["default"]["organisation_number"]
    assert rows["default"]["database_number"] == rows["other"]["database_number"]
    assert not any(row["current"] for row in rows.values())

    without_env = {key: value for key, value in environment.items() if key != "FORTNOX_PROFILE"}
    without_env["FORTNOX_PROFILE"] = ""
    code, output = invoke(["profiles", "use", "other"], without_env, tmp_path)
    assert code == 0, output

    def status(env: dict[str, str], *flags: str) -> dict[str, object]:
        code, output = invoke(["auth", "status", "-o", "json", *flags], env, tmp_path)
        assert code == 0, output
        return json.loads(output)

    assert (status(without_env)["profile"], status(without_env)["profile_source"]) == (
        "other",
        "profiles use",
    )
    assert status({**without_env, "FORTNOX_PROFILE": "default"})["profile"] == "default"
    flagged = status({**without_env, "FORTNOX_PROFILE": "other"}, "--profile", "default")
    assert (flagged["profile"], flagged["profile_source"]) == ("default", "--profile")
    assert flagged["verified"] is False

    # An unreadable pointer fails closed: no fallback to another company's tokens.
    (token_dir / "current-profile").write_text("../../etc/passwd\n")
    code, output = invoke(["auth", "status"], without_env, tmp_path)
    assert code == ExitCode.BAD_INPUT
    assert output.startswith("error: the current-profile file") and "profiles use NAME" in output


@pytest.mark.parametrize("command", [["run", "--plan"], ["run", "--no-models"]])
def test_run_prints_json_when_piped(
    environment: dict[str, str], tmp_path: Path, command: list[str]
) -> None:
    code, output = invoke([*command, "--duckdb", str(tmp_path / "w.duckdb")], environment, tmp_path)
    assert code == 0, output
    # The runner mixes stderr in: a run longer than 15 s logs a progress line there first.
    document = json.loads(output[output.index("{\n") :])
    if "--plan" in command:
        assert document["estimated_requests"] > 0 and document["first_run"] is True
        assert {"financial_year_id", "from", "to", "final", "fetch", "reason"} <= set(
            document["years"][0]
        )
    else:
        assert document["outcome"] == "completed" and document["requests"] > 0
        assert document["resources"]["sie"]["rows"] > 0


def test_auth_status_check_asks_the_server(environment: dict[str, str], tmp_path: Path) -> None:
    code, output = invoke(["auth", "status", "--check", "-o", "json"], environment, tmp_path)
    assert code == 0, output
    document = json.loads(output)
    assert document["verified"] is True and document["company_name"]
    code, output = invoke(["auth", "status", "-o", "table"], environment, tmp_path)
    assert "not verified with Fortnox (use --check to ask the server)" in output


def test_doctor_says_where_the_state_is_and_whether_it_agrees(
    environment: dict[str, str], tmp_path: Path
) -> None:
    warehouse = tmp_path / "w.duckdb"
    code, output = invoke(["run", "--duckdb", str(warehouse), "--no-models"], environment, tmp_path)
    assert code == 0, output

    def state_check() -> dict[str, object]:
        _, output = invoke(
            ["doctor", "--offline", "-o", "json", "--duckdb", str(warehouse)], environment, tmp_path
        )
        checks = json.loads(output)["checks"]
        return next(check for check in checks if check["name"].startswith("pipeline state"))

    agreeing = state_check()
    _, output = invoke(
        ["doctor", "--offline", "-o", "json", "--duckdb", str(warehouse)], environment, tmp_path
    )
    skipped = next(
        c for c in json.loads(output)["checks"] if c["name"] == "skipped by the last run"
    )
    assert skipped["ok"] is True and skipped["warning"] is False
    assert skipped["detail"].startswith("nothing: the last run of 1 company(ies)")
    assert agreeing["ok"] is True and "w.duckdb.work" in str(agreeing["name"])
    assert "agree with the warehouse" in str(agreeing["detail"])
    assert "differ" not in str(agreeing["detail"]) and "no local copy" not in str(
        agreeing["detail"]
    )

    # The working folder lost (a restored warehouse, a new machine): said, and not a failure.
    shutil.rmtree(tmp_path / "w.duckdb.work")
    restorable = state_check()
    assert restorable["ok"] is True and "have no local copy" in str(restorable["detail"])
