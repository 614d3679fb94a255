"""Attachment metadata (voucher and supplier-invoice file connections) and the missing-receipt
model, against the sandbox: what Fortnox says has a file, and which vouchers have none."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dlt
import httpx
import pytest

from pipelines.sandbox_session import (
    REDIRECT_URI,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_URL,
    SandboxSession,
)
from pipelines.transform import build_models
from pipelines.warehouse import open_warehouse
from sources.fortnox import settings
from sources.fortnox.auth import FortnoxAuth
from sources.fortnox_sandbox import attachments
from sources.fortnox_sandbox.model import Company
from tests.pipeline.conftest import LoadedCompany, Loader, api_requests, make_session, query


@dataclass
class Loaded:
    """A sandbox company loaded once, models built."""

    session: SandboxSession
    loader: Loader
    company: Company

    @property
    def path(self) -> Path:
        assert self.loader.duckdb_path is not None
        return self.loader.duckdb_path


@pytest.fixture(scope="module")
def loaded(small_load: LoadedCompany, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    # A first load of the small company: a copy of the worker's (the same books, a sandbox of
    # its own).
    assert small_load.first.outcome == "completed"
    session, loader = small_load.first_load_into(tmp_path_factory.mktemp("attachments"))
    assert loader.duckdb_path is not None
    with open_warehouse(loader.duckdb_path) as connection:
        assert build_models(connection).ok
    yield Loaded(session, loader, session.state.company(session.tenants[0]))
    loader.client.close()


def test_file_connections_are_loaded_as_fortnox_serves_them(loaded: Loaded) -> None:
    vouchers = attachments.voucher_file_connections(loaded.company)
    invoices = attachments.supplier_invoice_file_connections(loaded.company)
    assert vouchers and invoices
    rows = query(
        loaded.path,
        "SELECT financial_year_id, voucher_series, voucher_number, file_id"
        " FROM voucher_file_connections ORDER BY 1, 2, cast(voucher_number AS int)",
    )
    assert rows == [
        (c.voucher_year, c.voucher_series, str(c.voucher_number), c.file_id) for c in vouchers
    ]
    rows = query(
        loaded.path,
        "SELECT supplier_invoice_number, file_id, name FROM supplier_invoice_file_connections"
        " ORDER BY cast(supplier_invoice_number AS int)",
    )
    assert rows == [(str(c.given_number), c.file_id, c.name) for c in invoices]
    # Metadata only: no column can hold a file's bytes.
    columns = {
        name
        for (name,) in query(
            loaded.path,
            "SELECT column_name FROM information_schema.columns WHERE table_name IN"
            " ('voucher_file_connections', 'supplier_invoice_file_connections')",
        )
    }
    assert not columns & {"content", "data", "bytes", "file"}


def test_a_repeat_run_reads_only_the_open_year_and_keeps_every_row(loaded: Loaded) -> None:
    before = api_requests(loaded.session)
    count_before = query(loaded.path, "SELECT count(*) FROM voucher_file_connections")
    assert loaded.loader.run().outcome == "completed"
    asked = api_requests(loaded.session) - before
    assert asked["GET /3/voucherfileconnections"] == 1  # the open year; final years once
    assert asked["GET /3/supplierinvoicefileconnections"] == 1
    assert query(loaded.path, "SELECT count(*) FROM voucher_file_connections") == count_before


def test_the_missing_receipt_model_finds_exactly_the_sandbox_s_undocumented_vouchers(
    loaded: Loaded,
) -> None:
    with open_warehouse(loaded.path) as connection:
        assert build_models(connection).ok
    truth = attachments.vouchers_missing_receipt(loaded.company)
    series = {s for _, s, _ in truth}
    assert series == {"A", "B"}  # both kinds are exercised: manual and supplier invoice
    found = query(
        loaded.path,
        "SELECT financial_year_id, voucher_series, voucher_number"
        " FROM analytics.fct_vouchers_missing_receipt ORDER BY 1, 2, 3",
    )
    assert found == truth
    kinds = query(
        loaded.path,
        "SELECT DISTINCT voucher_series, series_kind FROM analytics.fct_vouchers_missing_receipt"
        " ORDER BY 1",
    )
    assert kinds == [("A", "manual voucher"), ("B", "supplier invoice")]


def test_a_token_without_connectfile_loads_everything_else(tmp_path: Path) -> None:
    session = make_session()
    tenant = session.tenants[0]
    auth = FortnoxAuth(
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
        profile="old-token",
        auth_base_url=SANDBOX_URL,
        token_dir=tmp_path / "tokens",
        transport=session.transport,
    )
    scopes = [scope for scope in settings.DEFAULT_SCOPES if scope != "connectfile"]
    url = auth.authorization_url(
        redirect_uri=REDIRECT_URI, state="s", scopes=scopes, extra_params={"tenant": str(tenant)}
    )
    with httpx.Client(transport=session.transport, follow_redirects=False) as browser:
        location = browser.get(url).headers["location"]
    auth.complete_login(
        code=parse_qs(urlsplit(location).query)["code"][0], redirect_uri=REDIRECT_URI
    )
    auth.close()
    loader = Loader(session, tenant, tmp_path / "w", profile="old-token")
    loader.token_dir.parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "tokens").rename(loader.token_dir)
    summary = loader.run()
    assert summary.outcome == "completed"
    assert summary.resources["voucher_file_connections"].rows == 0
    # Skipped and recorded like any resource the login does not cover.
    assert summary.skipped == {
        "voucher_file_connections": "connectfile",
        "supplier_invoice_file_connections": "connectfile",
    }
    assert loader.duckdb_path is not None
    assert query(loader.duckdb_path, "SELECT count(*) FROM sie_vouchers")[0][0] > 0
    assert loader.duckdb_path is not None
    tables = {name for (name,) in query(loader.duckdb_path, "SHOW TABLES")}
    assert "voucher_file_connections" not in tables
    # No year was marked as read, so a run after `auth login` with the scope reads them all.
    pipeline = dlt.attach(f"fortnox_{tenant}", pipelines_dir=str(loader.target.working_dir))
    resources = pipeline.state["sources"]["fortnox"]["resources"]
    assert not resources.get("voucher_file_connections", {}).get("known")
    loader.client.close()
