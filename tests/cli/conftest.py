"""The CLI as a user runs it: a sandbox on loopback, real config, a logged-in profile."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from sources.fortnox.auth import FortnoxAuth

ROOT = Path(__file__).resolve().parents[2]
REDIRECT_URI = "http://127.0.0.1:48721/callback"


@contextlib.contextmanager
def serving_sandbox(*options: str) -> Iterator[str]:
    """`sandbox serve --port 0 OPTIONS` in a child process, until the block ends: its base URL.

    The one way the tests start a loopback sandbox (CLI, audit and portfolio suites), so they
    see the command a user runs, announcement line included.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "sandbox", "serve", "--port", "0", *options],
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


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    """A small sandbox on loopback, rate limit on, as `sandbox serve` starts it."""
    with serving_sandbox() as url:
        yield url


@pytest.fixture
def environment(sandbox_url: str, tmp_path: Path) -> dict[str, str]:
    """Config a user would set, with a logged-in profile (by authorization code)."""
    return logged_in_environment(sandbox_url, tmp_path)


def logged_in_environment(sandbox_url: str, directory: Path) -> dict[str, str]:
    """The environment of a user whose `default` profile logged in to the sandbox."""
    token_dir = directory / "tokens"
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
    }


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
