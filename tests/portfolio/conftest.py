"""A firm's portfolio as a user runs it: a sandbox of several companies served on loopback, one
logged-in profile per company, and `fortnox-pipeline run --all` through the real command line.

The reference for every comparison is a separate `run --profile NAME` of each company into a
warehouse of its own: what the firm's cron loop did before `run --all` existed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from sources.fortnox.auth import FortnoxAuth
from tests.cli.conftest import serving_sandbox
from tests.pipeline.conftest import snapshot

ROOT = Path(__file__).resolve().parents[2]
REDIRECT_URI = "http://127.0.0.1:48721/callback"
PROFILES = ("acme", "bolaget", "cafe")


@dataclass
class Portfolio:
    """A served sandbox of several companies."""

    url: str
    tenants: list[int]

    def control(self, method: str, path: str, **params: Any) -> Any:
        """Call a sandbox-only endpoint."""
        response = httpx.request(method, f"{self.url}{path}", params=params, timeout=60)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="package")
def portfolio() -> Iterator[Portfolio]:
    """`sandbox serve --companies 3` on loopback, Fortnox's rate limit on."""
    with serving_sandbox("--companies", str(len(PROFILES))) as url:
        tenants = httpx.get(f"{url}/_sandbox/truth", timeout=60).json()["tenants"]
        yield Portfolio(url=url, tenants=tenants)


def login(portfolio: Portfolio, token_dir: Path, profile: str, tenant: int) -> None:
    """Log a profile in to one company of the sandbox by authorization code."""
    auth = FortnoxAuth(
        client_id="sandbox-client",
        client_secret="sandbox-secret",
        auth_base_url=portfolio.url,
        token_dir=token_dir,
        profile=profile,
    )
    url = auth.authorization_url(
        redirect_uri=REDIRECT_URI, state="s-1", extra_params={"tenant": str(tenant)}
    )
    consent = httpx.get(url, follow_redirects=False)
    code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
    auth.complete_login(code=code, redirect_uri=REDIRECT_URI)
    auth.close()


def firm_environment(
    portfolio: Portfolio, directory: Path, profiles: Sequence[str] = PROFILES
) -> dict[str, str]:
    """A firm's environment: one profile per company, logged in, dlt's folders in `directory`."""
    token_dir = directory / "tokens"
    for profile, tenant in zip(profiles, portfolio.tenants, strict=True):
        login(portfolio, token_dir, profile, tenant)
    return {
        "SOURCES__FORTNOX__CLIENT_ID": "sandbox-client",
        "SOURCES__FORTNOX__CLIENT_SECRET": "sandbox-secret",
        "SOURCES__FORTNOX__BASE_URL": portfolio.url,
        "SOURCES__FORTNOX__AUTH_BASE_URL": portfolio.url,
        "FORTNOX_TOKEN_DIR": str(token_dir),
        # dlt's working folders of this test only (never the machine's shared default).
        "DLT_DATA_DIR": str(directory / "dlt"),
        "RUNTIME__LOG_LEVEL": "CRITICAL",
    }


def invoke(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Run the CLI in-process from `cwd`; returns the exit code and stdout + stderr."""
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, args, env=env)  # sets os.environ while it runs
    finally:
        os.chdir(previous)
    return result.exit_code, result.output


@dataclass
class SeparateLoads:
    """Each company loaded by its own `run --profile NAME` into a warehouse of its own."""

    environment: dict[str, str]
    directory: Path
    warehouses: dict[str, Path]
    company_ids: dict[str, str]

    def snapshot(self, profile: str) -> dict[str, Any]:
        """The company's rows in its own warehouse."""
        return snapshot(self.warehouses[profile], self.company_ids[profile])


@pytest.fixture(scope="package")
def separate_loads(portfolio: Portfolio, tmp_path_factory: pytest.TempPathFactory) -> SeparateLoads:
    """The reference: three separate runs, one per company, as the old cron loop made them."""
    directory = tmp_path_factory.mktemp("separate")
    environment = firm_environment(portfolio, directory)
    warehouses: dict[str, Path] = {}
    company_ids: dict[str, str] = {}
    for profile, tenant in zip(PROFILES, portfolio.tenants, strict=True):
        warehouses[profile] = directory / f"{profile}.duckdb"
        code, output = invoke(
            ["run", "--profile", profile, "--duckdb", str(warehouses[profile]), "--no-models"],
            environment,
            directory,
        )
        assert code == 0, output
        company_ids[profile] = str(tenant)
    return SeparateLoads(environment, directory, warehouses, company_ids)
