"""One company whether its books came by the API or by SIE: one `company_key` in every table.

The sandbox company is loaded by the API (its subledgers), its own SIE exports by `sie load`,
and then everything else by the API, its `sie` resource included: three ways in, two `company_id`s
(DatabaseNumber, org number), one `company_key`. `--company` by org number, in any writing,
and by DatabaseNumber then names the same company and gives the same report.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import duckdb
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from sources.fortnox.client import FortnoxClient
from sources.fortnox.company import CompanyIdentity
from sources.fortnox.errors import ScopeMissing
from sources.sie.reader import normalise_org_number
from tests.pipeline.conftest import Loader, make_session

DATASET = "fortnox_raw"
API_ONLY = [
    "company_information",
    "financial_years",
    "locked_period",
    "accounts",
    "predefined_accounts",
    "customers",
    "invoices",
    "invoice_payments",
    "suppliers",
    "supplier_invoices",
    "supplier_invoice_payments",
]
"""A first load without the `sie` resource: the SIE rows come from `sie load` first."""


@dataclass
class BothWays:
    warehouse: Path
    database_number: str
    org_number: str


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"RUNTIME__LOG_LEVEL": "ERROR"})
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def both_ways(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BothWays]:
    session = make_session()
    tenant = session.tenants[0]
    workdir = tmp_path_factory.mktemp("company_key")
    loader = Loader(session, tenant, workdir)
    loader.run(resources=API_ONLY)
    warehouse = loader.duckdb_path
    assert warehouse is not None
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        [(org_number,)] = connection.execute(
            f"select organization_number from {DATASET}.company_information"
        ).fetchall()
        years = [
            row[0]
            for row in connection.execute(f"select id from {DATASET}.financial_years").fetchall()
        ]
    exports = workdir / "exports"
    exports.mkdir()
    for year in years:
        content = loader.client.get_bytes("sie/4", {"financialyear": year})
        (exports / f"export_{year}.se").write_bytes(content)
    files = sorted(str(path) for path in exports.iterdir())
    code, output = cli("sie", "load", "--duckdb", str(warehouse), "--no-archive", *files)
    assert code == 0, output
    loader.run()  # the rest, `sie` included: the org number now comes from the warehouse
    yield BothWays(warehouse, str(tenant), normalise_org_number(org_number) or "")
    loader.client.close()


def test_every_table_of_both_sources_carries_one_company_key(both_ways: BothWays) -> None:
    with duckdb.connect(str(both_ways.warehouse), read_only=True) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.columns where table_schema = ?"
                " and column_name = 'company_id' and table_name not like '\\_dlt%' escape '\\'"
                " and table_name <> 'load_runs' order by 1",
                [DATASET],
            ).fetchall()
        ]
        assert {"sie_voucher_rows", "invoices", "company_information", "articles"} <= set(tables)
        assert any("__" in table for table in tables)  # nested tables too
        ids: set[str] = set()
        for table in tables:
            rows = connection.execute(
                f'select company_key, company_id, count(*) from {DATASET}."{table}" group by all'
            ).fetchall()
            assert {key for key, _, _ in rows} <= {both_ways.org_number}, table
            ids.update(str(company_id) for _, company_id, _ in rows)
    # The API's rows keep the DatabaseNumber, the hand-loaded files the org number.
    assert ids == {both_ways.database_number, both_ways.org_number}


@pytest.fixture(scope="module")
def built(both_ways: BothWays) -> BothWays:
    code, output = cli("models", "--duckdb", str(both_ways.warehouse))
    assert code in (0, 5), output  # 5: a data check's finding, not a failed build
    return both_ways


def test_company_by_org_number_or_database_number_gives_the_same_report(built: BothWays) -> None:
    digits = built.org_number.replace("-", "")
    reports = {}
    for given in (built.org_number, digits, f"16{digits}", built.database_number):
        code, output = cli(
            "report",
            "income-statement",
            "--duckdb",
            str(built.warehouse),
            "--company",
            given,
            "-o",
            "json",
        )
        assert code == 0, output
        reports[given] = json.loads(output)
    assert len({json.dumps(report, sort_keys=True) for report in reports.values()}) == 1
    # The Fortnox id is preferred: its books come with the subledgers and locked period.
    assert reports[built.org_number]["company_id"] == built.database_number


def test_unknown_company_is_a_clear_error_listing_the_companies(built: BothWays) -> None:
    code, output = cli(
        "report", "income-statement", "--duckdb", str(built.warehouse), "--company", "999"
    )
    assert code == 8
    line = output.strip().splitlines()[-1]
    assert line.startswith("error: no company '999' in the warehouse — ")
    assert built.org_number in line and built.database_number in line


def test_dim_companies_has_the_company_once_with_both_ids(built: BothWays) -> None:
    with duckdb.connect(str(built.warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select company_key, company_ids, sources from analytics.dim_companies"
        ).fetchall()
    assert len(rows) == 1
    key, company_ids, sources = rows[0]
    assert key == built.org_number
    assert sorted(company_ids) == sorted([built.database_number, built.org_number])
    assert sorted(sources) == ["fortnox", "sie"]


@pytest.fixture(autouse=True)
def _own_cwd(tmp_path: Path) -> Iterator[None]:
    """The CLI reads `.dlt/` from the working directory: the tests' own, empty one."""
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield
    finally:
        os.chdir(previous)


class _CompanyInformation:
    """A client that answers `companyinformation` only, counting the requests."""

    def __init__(self, organisation_number: str | None, *, refuse: bool = False) -> None:
        self.organisation_number = organisation_number
        self.refuse = refuse
        self.requests = 0

    def get_json(self, path: str) -> dict[str, Any]:
        self.requests += 1
        if self.refuse:
            raise ScopeMissing("GET /3/companyinformation", 403, "companyinformation")
        return {"CompanyInformation": {"OrganizationNumber": self.organisation_number}}


def test_the_key_is_read_once_per_run_and_never_when_known() -> None:
    client = _CompanyInformation("5566778899")
    identity = CompanyIdentity(cast(FortnoxClient, client))
    rows = [
        identity.stamp({"company_id": "7", "Name": "x", "Rows": [{"company_id": "7"}]})
        for _ in range(3)
    ]
    assert identity.information()["OrganizationNumber"] == "5566778899"
    assert client.requests == 1
    assert list(rows[0]) == ["company_id", "company_key", "Name", "Rows"]
    assert rows[0]["company_key"] == rows[0]["Rows"][0]["company_key"] == "556677-8899"
    known = _CompanyInformation(None)
    stamped = CompanyIdentity(cast(FortnoxClient, known), "16556677-8899").stamp(
        pa.table({"company_id": ["7"], "amount": [1]})
    )
    assert stamped.column_names == ["company_id", "company_key", "amount"]
    assert stamped["company_key"].to_pylist() == ["556677-8899"] and known.requests == 0


def test_a_token_without_the_scope_leaves_the_key_null_and_asks_once() -> None:
    client = _CompanyInformation(None, refuse=True)
    identity = CompanyIdentity(cast(FortnoxClient, client))
    assert identity.stamp({"company_id": "7"}) == {"company_id": "7", "company_key": None}
    assert identity.stamp({"company_id": "7"})["company_key"] is None
    with pytest.raises(ScopeMissing):
        identity.information()  # the company_information resource is skipped for it
    assert client.requests == 1
    # An SIE export names its company itself: kept when Fortnox would not say.
    table = pa.table({"company_id": ["7"], "company_key": ["556677-8899"]})
    assert identity.stamp(table)["company_key"].to_pylist() == ["556677-8899"]
