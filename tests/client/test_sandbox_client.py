"""Issue 3 acceptance on the sandbox: pacing under the rate limit, and paging through faults."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sources.fortnox.client import FortnoxClient
from sources.fortnox.pacing import SlidingWindowLimiter
from sources.fortnox.retry import RetryPolicy
from sources.fortnox_sandbox.app import create_app
from sources.fortnox_sandbox.state import SandboxConfig
from sources.fortnox_sandbox.transport import sandbox_transport
from tests.client.conftest import login_without_browser, loopback, sandbox_auth

SANDBOX = "http://sandbox"


def _burst(client: FortnoxClient, requests: int, workers: int) -> tuple[float, list[float]]:
    """Send `requests` GETs from `workers` threads sharing one client; (elapsed, send times)."""
    remaining = iter(range(requests))
    lock = threading.Lock()
    sent: list[float] = []

    def work() -> None:
        while True:
            with lock:
                if next(remaining, None) is None:
                    return
                sent.append(time.monotonic())
            client.get_json("companyinformation")

    threads = [threading.Thread(target=work) for _ in range(workers)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started, sorted(sent)


def _measure(
    client: FortnoxClient, requests: int, workers: int, limit: int, window: float
) -> dict[str, float]:
    elapsed, _ = _burst(client, requests, workers)
    allowed = limit / window
    # The first window's worth goes out at once; what is sustained is the rest over the time.
    sustained = (requests - limit) / elapsed
    return {"elapsed": elapsed, "sustained": sustained, "share": sustained / allowed}


@pytest.fixture
def paced_sandbox(tmp_path: Path) -> Iterator[tuple[object, FortnoxClient]]:
    app = create_app(SandboxConfig(rate_limit=(25, 1.0)))
    transport = sandbox_transport(app)
    auth = sandbox_auth(SANDBOX, tmp_path / "tokens", transport)
    login_without_browser(auth, transport)
    # The default margin is 1 % of Fortnox's 5 s window; keep that proportion on a 1 s window.
    limiter = SlidingWindowLimiter(25, 1.0, margin_seconds=0.01)
    client = FortnoxClient(auth, base_url=SANDBOX, transport=transport, limiter=limiter)
    yield app, client
    client.close()
    transport.close()


def test_a_burst_against_25_per_second_sees_no_429_and_sustains_the_rate(
    paced_sandbox: tuple[object, FortnoxClient],
) -> None:
    app, client = paced_sandbox
    figures = _measure(client, requests=125, workers=4, limit=25, window=1.0)
    stats = app.state.sandbox.stats  # type: ignore[attr-defined]
    assert stats.rate_limited == 0 and client.stats.total_rate_limited == 0
    assert stats.requests["GET /3/companyinformation"] == 125
    assert figures["share"] >= 0.90, figures
    print(f"\n25/1s burst of 125 over 4 threads: {figures}")


@pytest.mark.slow
def test_a_burst_of_300_against_25_per_5_seconds_on_loopback(tmp_path: Path) -> None:
    app = create_app(SandboxConfig(rate_limit=(25, 5.0)))
    with loopback(app) as base_url:
        auth = sandbox_auth(base_url, tmp_path / "tokens")
        login_without_browser(auth)
        client = FortnoxClient(auth, base_url=base_url, limiter=SlidingWindowLimiter(25, 5.0))
        figures = _measure(client, requests=300, workers=4, limit=25, window=5.0)
        client.close()
    stats = app.state.sandbox.stats
    assert stats.rate_limited == 0 and client.stats.total_rate_limited == 0
    assert stats.requests["GET /3/companyinformation"] == 300
    assert figures["share"] >= 0.90, figures
    print(f"\n25/5s burst of 300 over 4 threads on loopback: {figures}")


def test_with_10_percent_faults_500_paged_requests_all_succeed(tmp_path: Path) -> None:
    def build(fault_rate: float) -> tuple[object, object, FortnoxClient]:
        app = create_app(
            SandboxConfig(seed=5, rate_limit=None, fault_rate=fault_rate, vouchers_per_year=250)
        )
        transport = sandbox_transport(app)
        auth = sandbox_auth(SANDBOX, tmp_path / f"tokens-{fault_rate}", transport)
        login_without_browser(auth, transport)
        policy = RetryPolicy(
            max_retries=8,
            backoff_base_seconds=0.002,
            backoff_cap_seconds=0.01,
            rng=random.Random(1),
        )
        client = FortnoxClient(
            auth,
            base_url=SANDBOX,
            transport=transport,
            retry=policy,
            limiter=SlidingWindowLimiter(10_000, 0.01),
        )
        return app, transport, client

    def vouchers(client: FortnoxClient) -> list[tuple[str, int, int]]:
        years = [year["Id"] for year in client.get_json("financialyears")["FinancialYears"]]
        keys = []
        for year in years[:2]:
            for page in client.paginate(
                "vouchers", "Vouchers", {"financialyear": year, "limit": 1}
            ):
                keys += [(v["VoucherSeries"], v["VoucherNumber"], v["Year"]) for v in page]
        return keys

    app, transport, client = build(0.1)
    faulty = vouchers(client)
    _, clean_transport, clean_client = build(0.0)
    clean = vouchers(clean_client)

    assert len(clean) >= 500 and len(set(clean)) == len(clean)  # one voucher per page
    assert faulty == clean  # every page, in order, no gap, no duplicate
    stats = app.state.sandbox.stats  # type: ignore[attr-defined]
    faults = sum(stats.faults.values())
    assert faults >= 25  # about 10 % of ~600 attempts
    assert client.stats.total_retries == faults
    assert client.stats.total_requests == len(clean) + 1 + faults  # pages + financialyears
    for closing in (client, clean_client):
        closing.close()
    transport.close()  # type: ignore[attr-defined]
    clean_transport.close()  # type: ignore[attr-defined]
