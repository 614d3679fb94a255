"""A sandbox served on loopback and a default `run` of its company into a throwaway folder.

The run goes through the command line exactly as a user types it (no `--archive`), so the tests
see what archiving by default really does.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from sources.fortnox.auth import FortnoxAuth

ROOT = Path(__file__).resolve().parents[2]
REDIRECT_URI = "http://127.0.0.1:48721/callback"


def invoke(
    args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[int, str]:
    """Run the CLI in-process from `cwd` (dlt reads `.dlt/` from the working directory)."""
    previous = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, args, env=env)
    finally:
        os.chdir(previous)
    return result.exit_code, result.output


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    """A small sandbox on loopback, as `sandbox serve` starts it (no rate limit: speed)."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipelines.cli",
            "sandbox",
            "serve",
            "--port",
            "0",
            "--rate-limit",
            "off",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"http://[\d.]+:\d+", line)
        assert match, f"sandbox did not announce itself: {line!r}"
        yield match.group(0)
    finally:
        process.terminate()
        process.wait(timeout=10)


def login_environment(sandbox_url: str, token_dir: Path) -> dict[str, str]:
    """Config a user would set, with a profile logged in by authorization code.

    dlt keeps pipeline state in its data dir (`/var/dlt` or `~/.dlt`), shared by every process
    on the machine: each test gets its own, beside its tokens, so no earlier load's state
    (same sandbox seed, same DatabaseNumber) makes a run skip years.
    """
    auth = FortnoxAuth(
        client_id="sandbox-client",
        client_secret="sandbox-secret",
        auth_base_url=sandbox_url,
        token_dir=token_dir,
    )
    url = auth.authorization_url(redirect_uri=REDIRECT_URI, state="s-1")
    consent = httpx.get(url, follow_redirects=False)
    code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
    auth.complete_login(code=code, redirect_uri=REDIRECT_URI)
    auth.close()
    return {
        "SOURCES__FORTNOX__CLIENT_ID": "sandbox-client",
        "SOURCES__FORTNOX__CLIENT_SECRET": "sandbox-secret",
        "SOURCES__FORTNOX__BASE_URL": sandbox_url,
        "SOURCES__FORTNOX__AUTH_BASE_URL": sandbox_url,
        "FORTNOX_TOKEN_DIR": str(token_dir),
        "FORTNOX_PROFILE": "default",
        "RUNTIME__LOG_LEVEL": "ERROR",
        "DLT_DATA_DIR": str(token_dir.parent / "dlt-data"),
    }


@dataclass(frozen=True)
class DefaultRun:
    """A warehouse loaded by a plain `fortnox-pipeline run`, and where it lives."""

    folder: Path
    warehouse: Path
    environment: dict[str, str]
    output: str


@pytest.fixture(scope="session")
def default_run(sandbox_url: str, tmp_path_factory: pytest.TempPathFactory) -> DefaultRun:
    """`fortnox-pipeline run --duckdb fortnox.duckdb` with nothing else, models included."""
    folder = tmp_path_factory.mktemp("default_run")
    environment = login_environment(sandbox_url, folder / "tokens")
    code, output = invoke(["run", "--duckdb", str(folder / "fortnox.duckdb")], environment, folder)
    assert code == 0, output
    return DefaultRun(folder, folder / "fortnox.duckdb", environment, output)
