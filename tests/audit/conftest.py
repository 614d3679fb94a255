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

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from tests.cli.conftest import logged_in_environment

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
    """Config a user would set, with a profile logged in by authorization code (tokens in
    `token_dir`, a folder named `tokens`: the CLI tests' own login, shared)."""
    assert token_dir.name == "tokens", token_dir
    return logged_in_environment(sandbox_url, token_dir.parent)


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
