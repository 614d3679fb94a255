"""The portfolio's small parts: the exit-code order, the sandbox's portfolio, the options."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pipelines.exit_codes import ExitCode
from pipelines.portfolio import most_severe
from sources.fortnox_sandbox.app import create_app
from sources.fortnox_sandbox.portfolio import portfolio_sizes
from sources.fortnox_sandbox.state import SandboxConfig
from sources.fortnox_sandbox.transport import sandbox_transport
from tests.portfolio.conftest import invoke


def test_the_exit_code_is_zero_only_when_every_company_completed() -> None:
    assert most_severe([0, 0, 0]) == 0
    assert most_severe([0, ExitCode.API_UNAVAILABLE, 0]) == ExitCode.API_UNAVAILABLE
    assert most_severe([ExitCode.API_UNAVAILABLE, ExitCode.AUTH_NEEDED]) == ExitCode.AUTH_NEEDED
    assert most_severe([ExitCode.AUTH_NEEDED, ExitCode.WAREHOUSE_BUSY]) == ExitCode.WAREHOUSE_BUSY
    assert most_severe([ExitCode.WAREHOUSE_BUSY, ExitCode.ERROR, 0]) == ExitCode.ERROR
    assert most_severe([]) == 0


def test_a_portfolio_is_a_few_large_companies_and_many_small() -> None:
    sizes = portfolio_sizes(50, 20_000)
    assert len(sizes) == 50
    assert sizes[:5] == (20_000,) * 5
    assert all(size <= 600 for size in sizes[5:])
    assert len(set(sizes[5:])) > 1, "the small ones vary"
    assert portfolio_sizes(1, 5_000) == (5_000,)
    assert portfolio_sizes(3, 300)[0] == 300 and max(portfolio_sizes(3, 300)) == 300


def test_the_sandbox_serves_a_portfolio_lists_its_tenants_and_revokes_one() -> None:
    app = create_app(SandboxConfig(sizes=(400, 120, 150), rate_limit=None))
    state = app.state.sandbox
    tenants = list(state.companies)
    assert len(tenants) == 3
    voucher_counts = {
        sum(len(vouchers) for vouchers in company.vouchers.values())
        for company in state.companies.values()
    }
    assert len(voucher_counts) == 3, "three sizes"
    with httpx.Client(transport=sandbox_transport(app), base_url="http://sandbox") as http:
        assert http.get("/_sandbox/truth").json()["tenants"] == tenants
        assert http.get("/_sandbox/truth", params={"tenant": tenants[2]}).json()["tenants"] == (
            tenants
        )
        token = state.issue_tokens_for_tests(tenants[1])["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert http.get("/3/companyinformation", headers=headers).status_code == 200
        answer = http.post("/_sandbox/revoke", params={"tenant": tenants[1]}).json()
        assert answer == {"tenant": tenants[1], "revoked": 2}
        assert http.get("/3/companyinformation", headers=headers).status_code == 401
        assert http.post("/_sandbox/revoke", params={"tenant": "1"}).status_code == 404
        assert http.post("/_sandbox/revoke").status_code == 400


def test_portfolio_options_are_checked_before_any_request(tmp_path: Path) -> None:
    environment = {"FORTNOX_TOKEN_DIR": str(tmp_path / "tokens"), "DLT_DATA_DIR": str(tmp_path)}
    warehouse = str(tmp_path / "w.duckdb")
    code, output = invoke(["run", "--all", "--duckdb", warehouse], environment, tmp_path)
    assert code == ExitCode.NOT_FOUND
    assert "error: no profile has tokens in" in output and "auth login --profile" in output
    code, output = invoke(
        ["run", "--all", "--profile", "a,b", "--duckdb", warehouse], environment, tmp_path
    )
    assert code == ExitCode.BAD_INPUT and "--all and --profile both given" in output
    code, output = invoke(
        ["run", "--profile", "a,b", "--plan", "--duckdb", warehouse], environment, tmp_path
    )
    assert code == ExitCode.BAD_INPUT and "--plan shows one company" in output
    code, output = invoke(
        ["run", "--profile", "a,../b", "--duckdb", warehouse], environment, tmp_path
    )
    assert code == ExitCode.BAD_INPUT
    code, output = invoke(["run", "--all", "--parallel", "0"], environment, tmp_path)
    assert code == ExitCode.USAGE
    assert not (tmp_path / "w.duckdb").exists()


def test_every_run_option_reaches_each_company_of_a_portfolio(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run --all --strict` once loaded every company as if --strict were not given."""
    seen: dict[str, object] = {}

    def run_all(**options: object) -> None:
        seen.update(options)

    monkeypatch.setattr("pipelines.cli.portfolio.run_all", run_all)
    environment = {"FORTNOX_TOKEN_DIR": str(tmp_path / "tokens"), "DLT_DATA_DIR": str(tmp_path)}
    code, output = invoke(
        [
            *("run", "--profile", "a,b", "--strict", "--document-rows", "--invoice-rows"),
            *("--resources", "sie,invoices", "--full-refresh", "--start-date", "2024-01-01"),
            *("--duckdb", str(tmp_path / "w.duckdb")),
        ],
        environment,
        tmp_path,
    )
    assert code == 0, output
    assert seen["profiles"] == ["a", "b"]
    assert seen["strict"] is True and seen["document_rows"] is True
    assert seen["invoice_rows"] is True and seen["full_refresh"] is True
    assert seen["start_date"] == "2024-01-01"
    assert list(seen["resources"]) == ["sie", "invoices"]  # type: ignore[call-overload]
