"""The API double over generated books: consistent with the SIE export and the generator.

The pipeline takes voucher rows from SIE and voucher metadata from the API, so the two must
describe the same vouchers; and the API must not alter a single row the generator booked.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from starlette.applications import Starlette

from sources.fortnox_sandbox.app import create_app
from sources.fortnox_sandbox.state import STOCKHOLM, SandboxConfig
from sources.fortnox_sandbox.transport import sandbox_transport
from tests.sandbox_api.conftest import BASE_URL, FakeClock

books = pytest.importorskip("sources.fortnox_sandbox.books")
sie_writer = pytest.importorskip("sources.fortnox_sandbox.sie_writer")


@pytest.fixture(scope="module")
def generated_clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 20, 18, 0, tzinfo=STOCKHOLM))


@pytest.fixture(scope="module")
def generated_app(generated_clock: FakeClock) -> Starlette:
    return create_app(
        SandboxConfig(rate_limit=None, seed=11, vouchers_per_year=150, clock=generated_clock)
    )


@pytest.fixture(scope="module")
def http(generated_app: Starlette) -> Iterator[httpx.Client]:
    tokens = generated_app.state.sandbox.issue_tokens_for_tests()
    with httpx.Client(
        transport=sandbox_transport(generated_app),
        base_url=BASE_URL,
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ) as client:
        yield client


def _all_pages(http: httpx.Client, path: str, envelope: str, **params: str) -> list[dict]:
    records: list[dict] = []
    page = 1
    while True:
        body = http.get(path, params={**params, "page": str(page), "limit": "100"}).json()
        records += body[envelope]
        if page >= body["MetaInformation"]["@TotalPages"]:
            return records
        page += 1


def test_sie_voucher_count_equals_total_resources_every_year(http: httpx.Client) -> None:
    years = http.get("/3/financialyears").json()["FinancialYears"]
    assert len(years) == 3
    for year in years:
        sie = http.get("/3/sie/4", params={"financialyear": year["Id"]})
        assert sie.status_code == 200
        assert sie.headers["content-type"] == "application/octet-stream"
        text = sie.content.decode("cp437")
        assert "\r\n" in text and "#FORMAT PC8" in text
        sie_vouchers = sum(1 for line in text.split("\r\n") if line.startswith("#VER "))
        listed = http.get("/3/vouchers", params={"financialyear": year["Id"]}).json()
        assert sie_vouchers > 50
        assert sie_vouchers == listed["MetaInformation"]["@TotalResources"], year["Id"]


def test_sie_types_and_bytes_match_the_writer(http: httpx.Client, generated_app: Starlette) -> None:
    company = generated_app.state.sandbox.company()
    year_id = company.financial_years[-1].id
    for sie_type in (1, 2, 3, 4):
        body = http.get(f"/3/sie/{sie_type}", params={"financialyear": year_id}).content
        assert body == sie_writer.write_sie(company, year_id, sie_type)
    assert http.get("/3/sie/5").status_code == 404


def test_voucher_detail_rows_equal_the_generators_rows(
    http: httpx.Client, generated_app: Starlette
) -> None:
    company = generated_app.state.sandbox.company()
    checked_rows = 0
    for year_id, vouchers in company.vouchers.items():
        listed = _all_pages(http, "/3/vouchers", "Vouchers", financialyear=str(year_id))
        assert [(v["VoucherSeries"], v["VoucherNumber"]) for v in listed] == [
            (v.series, v.number) for v in vouchers
        ]
        for voucher in vouchers[::7]:  # every 7th voucher: all series, all kinds of rows
            detail = http.get(
                f"/3/vouchers/{voucher.series}/{voucher.number}",
                params={"financialyear": year_id},
            ).json()["Voucher"]
            assert detail["TransactionDate"] == voucher.transaction_date.isoformat()
            assert detail["ReferenceType"] == voucher.reference_type
            assert [
                (
                    r["Account"],
                    round(Decimal(str(r["Debit"])) * 100),
                    round(Decimal(str(r["Credit"])) * 100),
                    r["Removed"],
                    r["CostCenter"],
                    r["Project"],
                    r["TransactionInformation"],
                )
                for r in detail["VoucherRows"]
            ] == [
                (
                    row.account,
                    row.debit,
                    row.credit,
                    row.removed,
                    row.cost_center,
                    row.project,
                    row.description,
                )
                for row in voucher.rows
            ]
            checked_rows += len(voucher.rows)
    assert checked_rows > 100


def test_invoice_balances_equal_total_minus_payments(http: httpx.Client) -> None:
    invoices = _all_pages(http, "/3/invoices", "Invoices")
    payments = _all_pages(http, "/3/invoicepayments", "InvoicePayments")
    assert len(invoices) > 20 and len(payments) > 10
    paid: dict[int, Decimal] = {}
    for payment in payments:
        detail = http.get(f"/3/invoicepayments/{payment['Number']}").json()["InvoicePayment"]
        paid[payment["InvoiceNumber"]] = paid.get(payment["InvoiceNumber"], Decimal(0)) + Decimal(
            str(detail["AmountCurrency"])
        )
    for invoice in invoices:
        if invoice["Cancelled"]:
            continue
        expected = Decimal(str(invoice["Total"])) - paid.get(int(invoice["DocumentNumber"]), 0)
        assert Decimal(str(invoice["Balance"])) == expected, invoice["DocumentNumber"]


def test_truth_advance_and_lastmodified(
    http: httpx.Client, generated_app: Starlette, generated_clock: FakeClock
) -> None:
    truth = http.get("/_sandbox/truth").json()
    assert truth  # the generator's ground truth, served as JSON
    tenant = generated_app.state.sandbox.default_tenant
    assert http.get("/_sandbox/truth", params={"tenant": str(tenant)}).json() == truth
    assert http.get("/_sandbox/truth", params={"tenant": "1"}).status_code == 404

    before = http.get("/3/invoices").json()["MetaInformation"]["@TotalResources"]
    generated_clock.advance(24 * 3600)
    assert http.get("/3/invoices").status_code == 401  # a day later the access token is dead
    fresh = generated_app.state.sandbox.issue_tokens_for_tests()
    http.headers["Authorization"] = f"Bearer {fresh['access_token']}"
    since = (generated_clock() - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M")
    assert http.get("/3/invoices", params={"lastmodified": since}).json()["Invoices"] == []

    advanced = http.post("/_sandbox/advance", params={"days": "1"})
    assert advanced.status_code == 200
    summary = advanced.json()[str(tenant)][0]
    assert summary["new_invoices"] >= 1

    after = http.get("/3/invoices").json()["MetaInformation"]["@TotalResources"]
    assert after == before + summary["new_invoices"]
    changed = http.get("/3/invoices", params={"lastmodified": since}).json()
    assert changed["MetaInformation"]["@TotalResources"] >= summary["new_invoices"] + 1
    assert http.post("/_sandbox/advance", params={"days": "0"}).status_code == 400


def test_stats_count_and_reset(http: httpx.Client) -> None:
    http.get("/3/financialyears")
    stats = http.get("/_sandbox/stats").json()
    assert stats["requests"]["GET /3/financialyears"] >= 1
    reset = http.post("/_sandbox/stats/reset").json()
    assert reset["requests"] == {} and reset["rate_limited"] == 0
