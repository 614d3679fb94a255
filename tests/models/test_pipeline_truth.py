"""End to end: the real pipeline loads two sandbox companies into one warehouse, then the models
must reproduce each company's ground truth (issue 6 acceptance, through issue 5's code path)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.pipeline import WarehouseTarget, run_company
from pipelines.sandbox_session import SandboxSession
from pipelines.transform import build_models
from sources.fortnox_sandbox.books import ground_truth
from sources.fortnox_sandbox.state import SandboxConfig
from tests.models.statement_invariants import assert_statements_hold

# About 10 s on 2 cores (two OAuth logins and two full loads through dlt); the same checks
# run in the default suite on tables built without HTTP (test_sandbox_truth.py).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def loaded(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, str, dict[str, dict[str, Any]]]:
    """Two companies of seed 5 loaded by `run_company`; returns the warehouse and their truths."""
    directory = tmp_path_factory.mktemp("pipeline_truth")
    session = SandboxSession(SandboxConfig(seed=5, scale="small", companies=2, rate_limit=None))
    target = WarehouseTarget(duckdb_path=directory / "fortnox.duckdb")
    truths: dict[str, dict[str, Any]] = {}
    for tenant in session.tenants:
        with session.client(
            tenant=tenant, token_dir=directory / "tokens", profile=str(tenant)
        ) as client:
            run_company(client, company_id=str(tenant), profile=str(tenant), target=target)
        truths[str(tenant)] = ground_truth(session.state.company(tenant))
    return directory / "fortnox.duckdb", target.dataset, truths


def test_models_reproduce_each_companys_ground_truth(
    loaded: tuple[Path, str, dict[str, dict[str, Any]]],
) -> None:
    path, dataset, truths = loaded
    business_date = {truth["business_date"] for truth in truths.values()}
    assert len(business_date) == 1
    with duckdb.connect(str(path)) as connection:
        report = build_models(
            connection, dataset=dataset, as_of=date.fromisoformat(business_date.pop())
        )
        assert report.ok, (report.failed_models, report.failed_checks)
        # Both companies' statements: Σ lines = result = −Σ RES(0), balanced month ends.
        assert assert_statements_hold(connection, dataset=dataset) == 2 * 3
        for company_id, truth in truths.items():
            for year in truth["financial_years"]:
                rows = connection.execute(
                    "select account_number, closing_balance from analytics.fct_trial_balance"
                    " where company_id = ? and financial_year_id = ?",
                    [company_id, year["id"]],
                ).fetchall()
                assert {str(account): amount for account, amount in rows if amount} == {
                    account: Decimal(amount)
                    for account, amount in year["closing_balances"].items()
                    if Decimal(amount)
                }, (company_id, year["id"])
            for side, sign in (("ar", 1), ("ap", -1)):
                rows = connection.execute(
                    "select reconciliation_date, ledger_balance, subledger_balance, difference,"
                    " unexplained_difference, status"
                    f" from analytics.fct_{side}_reconciliation where company_id = ?",
                    [company_id],
                ).fetchall()
                assert len(rows) == len(truth[f"open_{side}_by_month_end"])
                deliberate = [
                    item
                    for item in truth["deliberate_differences"]
                    if item["ledger"] == side.upper()
                ]
                for day, ledger, subledger, difference, unexplained, status in rows:
                    key = day.isoformat()
                    assert ledger == sign * Decimal(truth[f"ledger_{side}_by_month_end"][key])
                    assert subledger == sign * Decimal(truth[f"open_{side}_by_month_end"][key])
                    assert difference == sum(
                        (
                            Decimal(item["amount"])
                            for item in deliberate
                            if item["voucher_date"] <= key
                        ),
                        Decimal(0),
                    ), (company_id, side, key)
                    assert unexplained == 0, (company_id, side, key)
                    locked = truth["locked_through"]
                    assert status == ("final" if locked and key <= locked else "provisional")
