"""A sandbox served on loopback and a default `run` of its company into a throwaway folder.

The run goes through the command line exactly as a user types it (no `--archive`), so the tests
see what archiving by default really does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.conftest import invoke, logged_in_environment, serving_sandbox

ROOT = Path(__file__).resolve().parents[2]
REDIRECT_URI = "http://127.0.0.1:48721/callback"


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    """A small sandbox on loopback, as `sandbox serve` starts it (no rate limit: speed)."""
    with serving_sandbox("--rate-limit", "off") as url:
        yield url


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
