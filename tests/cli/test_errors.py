"""Mistakes a cron operator makes: one line naming what was wrong and the fix, the documented exit
code, no request spent and the warehouse untouched (byte for byte).
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from pathlib import Path

import duckdb
import httpx
import pytest

from pipelines.exit_codes import ExitCode
from tests.cli.conftest import invoke, logged_in_environment
from tests.client.conftest import cli, sandbox_env


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _requests_sent(sandbox_url: str) -> int:
    stats = httpx.get(f"{sandbox_url}/_sandbox/stats").json()
    return sum(stats["requests"].values())


@pytest.fixture(scope="module")
def loaded_warehouse(
    sandbox_url: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, str]]:
    """A warehouse after one complete run, and the environment that loaded it."""
    directory = tmp_path_factory.mktemp("loaded")
    env = logged_in_environment(sandbox_url, directory)
    warehouse = directory / "fortnox.duckdb"
    code, output = invoke(["run", "--duckdb", str(warehouse), "--no-models"], env, directory)
    assert code == 0, output
    return warehouse, env


def _one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("error: ") and " — " in lines[0], lines[0]
    assert "Traceback" not in output
    return lines[0]


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (
            ["--resources", "sie,invoces"],
            "error: --resources: unknown resource 'invoces' — valid resources: "
            "company_information, financial_years,",
        ),
        (
            ["--start-date", "2024-13-01"],
            "error: --start-date '2024-13-01' is not a date (month must be in 1..12) — "
            "write it as YYYY-MM-DD",
        ),
        (["--resources", " , "], "error: --resources names no resource — give one or more of:"),
    ],
)
def test_bad_options_exit_7_before_any_request(
    loaded_warehouse: tuple[Path, dict[str, str]],
    sandbox_url: str,
    arguments: list[str],
    expected: str,
) -> None:
    warehouse, env = loaded_warehouse
    before, sent = _digest(warehouse), _requests_sent(sandbox_url)
    code, output = invoke(["run", "--duckdb", str(warehouse), *arguments], env, warehouse.parent)
    assert code == ExitCode.BAD_INPUT
    assert _one_error_line(output).startswith(expected)
    assert _requests_sent(sandbox_url) == sent
    assert _digest(warehouse) == before


@pytest.mark.parametrize(
    ("make_target", "expected"),
    [
        (lambda tmp: tmp, "is a directory, not a DuckDB file — name a file, e.g. --duckdb"),
        # Not even root may create a file in /proc: a read-only location on every Linux.
        (lambda tmp: Path("/proc/fortnox.duckdb"), "cannot be written"),
        (lambda tmp: tmp / "plain-file" / "w.duckdb", "cannot be written (Not a directory)"),
    ],
)
def test_an_unwritable_warehouse_exits_7_before_any_request(
    loaded_warehouse: tuple[Path, dict[str, str]],
    sandbox_url: str,
    tmp_path: Path,
    make_target: Callable[[Path], Path],
    expected: str,
) -> None:
    _, env = loaded_warehouse
    (tmp_path / "plain-file").write_text("not a folder")
    sent = _requests_sent(sandbox_url)
    target = make_target(tmp_path)
    code, output = invoke(["run", "--duckdb", str(target)], env, tmp_path)
    assert code == ExitCode.BAD_INPUT
    assert expected in _one_error_line(output)
    assert _requests_sent(sandbox_url) == sent
    assert not list(tmp_path.glob("*.duckdb"))


def _business_tables(warehouse: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every raw table's rows but the run records (a refused run is recorded: issue 10)."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        names = [
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables where table_schema = "
                "'fortnox_raw' and table_name not in ('load_runs') and table_name not like '_dlt%'"
            ).fetchall()
        ]
        return {
            name: sorted(
                connection.execute(f"select * from fortnox_raw.{name}").fetchall(), key=repr
            )
            for name in names
        }


def test_missing_client_secret_names_the_config_section(
    loaded_warehouse: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    warehouse, env = loaded_warehouse
    before = _business_tables(warehouse)
    without_secret = {**env, "SOURCES__FORTNOX__CLIENT_SECRET": ""}
    code, output = invoke(["run", "--duckdb", str(warehouse)], without_secret, tmp_path)
    assert code == ExitCode.BAD_INPUT
    line = _one_error_line(output)
    assert "[sources.fortnox] client_id / client_secret in .dlt/secrets.toml" in line
    # No business row changed; the run that could not start is in the audit trail.
    assert _business_tables(warehouse) == before
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        outcomes = connection.execute(
            "select outcome, error from fortnox_raw.load_runs order by started_at"
        ).fetchall()
    assert outcomes[-1][0] == "refused" and "client id and secret" in outcomes[-1][1]


def test_run_accepts_token_dir_like_every_command_that_reads_tokens(
    loaded_warehouse: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    warehouse, env = loaded_warehouse
    token_dir = env["FORTNOX_TOKEN_DIR"]
    without = {key: value for key, value in env.items() if key != "FORTNOX_TOKEN_DIR"}
    without["FORTNOX_TOKEN_DIR"] = str(tmp_path / "nothing-here")
    code, output = invoke(
        ["run", "--plan", "--duckdb", str(warehouse), "--token-dir", token_dir, "-o", "json"],
        without,
        tmp_path,
    )
    assert code == 0, output
    code, output = invoke(
        ["auth", "status", "--token-dir", token_dir, "-o", "table"], without, tmp_path
    )
    assert code == 0 and "profile default" in output


def test_a_wrong_client_secret_shows_the_cli_error_on_the_consent_page(
    sandbox_url: str, tmp_path: Path
) -> None:
    env = sandbox_env(sandbox_url, tmp_path / "tokens")
    env["SOURCES__FORTNOX__CLIENT_SECRET"] = "not-the-secret"
    login = subprocess.Popen(
        [*cli(), "auth", "login", "--no-browser", "--profile", "wrong", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert login.stdout is not None
    consent_url = next(line.strip() for line in login.stdout if line.startswith("http"))
    with httpx.Client(follow_redirects=True, timeout=60) as browser:
        landing = browser.get(consent_url)
    _, errors = login.communicate(timeout=60)
    assert login.returncode == ExitCode.BAD_INPUT
    printed = [line for line in errors.splitlines() if line.startswith("error: ")]
    assert len(printed) == 1, errors
    assert landing.status_code == 400
    assert "consent received" not in landing.text
    assert landing.text.strip() == f"fortnox-pipeline: {printed[0]}"
    assert "not-the-secret" not in landing.text + errors


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["run", "--bogus"], "error: No such option: --bogus — see 'fortnox-pipeline run --help'"),
        (["run", "--duckdb"], "error: Option '--duckdb' requires an argument — see"),
        (["report", "nosuch"], "error: No such command 'nosuch' — see"),
        (["run", "--all", "--parallel", "0"], "error: Invalid value for '--parallel':"),
    ],
)
def test_a_usage_error_is_one_error_line_too(
    tmp_path: Path, arguments: list[str], expected: str
) -> None:
    """click's own usage errors (exit 2) in the same style as every other error, no panel."""
    code, output = invoke(arguments, {}, tmp_path)
    assert code == ExitCode.USAGE
    assert _one_error_line(output).startswith(expected)
    assert not list(tmp_path.iterdir())
