"""Issue 5: several companies load into one warehouse; each keeps its own rows and state."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import dlt
import pytest

from pipelines.sandbox_session import SandboxSession
from tests.pipeline.conftest import Loader, make_session, query, snapshot, trial_balance


@dataclass
class TwoCompanies:
    session: SandboxSession
    first: Loader
    second: Loader
    path: Path


@pytest.fixture(scope="module")
def two_companies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoCompanies]:
    session = make_session(companies=2)
    workdir = tmp_path_factory.mktemp("two_companies")
    first_tenant, second_tenant = session.tenants
    # One warehouse file and one dlt working dir; a token profile per company.
    first = Loader(session, first_tenant, workdir, profile="first")
    second = Loader(session, second_tenant, workdir, profile="second")
    assert first.run().outcome == "completed"
    assert second.run().outcome == "completed"
    assert first.duckdb_path is not None
    yield TwoCompanies(session, first, second, first.duckdb_path)


def test_each_company_has_exactly_its_own_books(two_companies: TwoCompanies) -> None:
    session, path = two_companies.session, two_companies.path
    for tenant in session.tenants:
        company = session.state.companies[tenant]
        invoices = query(path, "SELECT count(*) FROM invoices WHERE company_id = ?", [str(tenant)])
        assert invoices == [(len(company.invoices),)]
        for year in session.truth(tenant)["financial_years"]:
            expected = {
                account: Decimal(amount)
                for account, amount in year["closing_balances"].items()
                if Decimal(amount) != 0
            }
            assert trial_balance(path, str(tenant), year["id"]) == expected


def test_each_company_has_its_own_pipeline_state(two_companies: TwoCompanies) -> None:
    for loader in (two_companies.first, two_companies.second):
        pipeline = dlt.attach(
            pipeline_name=f"fortnox_{loader.tenant}",
            pipelines_dir=str(loader.target.working_dir),
        )
        resources = pipeline.state["sources"]["fortnox"]["resources"]
        company = two_companies.session.state.companies[loader.tenant]
        assert resources["supplier_invoices"]["known"] == len(company.supplier_invoices)
        assert resources["supplier_invoice_payments"]["known"] == len(
            company.supplier_invoice_payments
        )
        assert len(resources["sie"]["years"]) == len(company.financial_years)


def test_rerunning_one_company_leaves_the_other_untouched(two_companies: TwoCompanies) -> None:
    first, second, path = two_companies.first, two_companies.second, two_companies.path
    second_before = snapshot(path, company_id=str(second.tenant))
    second_load_ids = query(
        path,
        "SELECT DISTINCT _dlt_load_id FROM invoices WHERE company_id = ?",
        [str(second.tenant)],
    )
    two_companies.session.advance(2)  # both companies do business; only the first is loaded

    rerun = first.run()

    assert rerun.outcome == "completed"
    assert rerun.resources["invoices"].rows > 0
    assert snapshot(path, company_id=str(second.tenant)) == second_before
    assert (
        query(
            path,
            "SELECT DISTINCT _dlt_load_id FROM invoices WHERE company_id = ?",
            [str(second.tenant)],
        )
        == second_load_ids
    )
    first_company = two_companies.session.state.companies[first.tenant]
    assert query(
        path, "SELECT count(*) FROM invoices WHERE company_id = ?", [str(first.tenant)]
    ) == [(len(first_company.invoices),)]
