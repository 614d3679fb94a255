"""Per-tenant sliding-window rate limit and deterministic faults on `/3/`."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from sources.fortnox_sandbox.app import create_app
from sources.fortnox_sandbox.faults import Fault, FaultInjector
from sources.fortnox_sandbox.state import SandboxConfig
from sources.fortnox_sandbox.transport import sandbox_async_transport, sandbox_transport
from tests.sandbox_api.conftest import BASE_URL, FakeClock, make_company


def _bearer(app: object, tenant: int) -> dict[str, str]:
    tokens = app.state.sandbox.issue_tokens_for_tests(tenant=tenant)  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def test_more_than_25_in_5_seconds_gets_429_per_tenant(clock: FakeClock) -> None:
    app = create_app(SandboxConfig(clock=clock), companies=[make_company(9001), make_company(9002)])
    first, second = _bearer(app, 9001), _bearer(app, 9002)
    with httpx.Client(transport=sandbox_transport(app), base_url=BASE_URL) as http:
        statuses = []
        for _ in range(26):
            statuses.append(http.get("/3/companyinformation", headers=first).status_code)
            clock.advance(0.1)  # 26 requests inside 2.6 s
        assert statuses[:25] == [200] * 25
        limited = http.get("/3/companyinformation", headers=first)
        assert statuses[25] == 429 and limited.status_code == 429
        assert "retry-after" not in limited.headers

        # Another tenant has its own window.
        assert http.get("/3/companyinformation", headers=second).status_code == 200

        # The window slides: once the first request is 5 s old, one more is admitted.
        clock.advance(5.0 - 2.6 + 0.01)
        assert http.get("/3/companyinformation", headers=first).status_code == 200
        # ... but only one: the second request (t=0.1 s) is still inside the window.
        assert http.get("/3/companyinformation", headers=first).status_code == 429
        clock.advance(0.1)
        assert http.get("/3/companyinformation", headers=first).status_code == 200
        stats = http.get("/_sandbox/stats").json()
    assert stats["rate_limited"] == 3
    assert stats["statuses"]["429"] == 3
    assert stats["requests"]["GET /3/companyinformation"] == 31


def test_oauth_and_sandbox_endpoints_are_not_rate_limited(clock: FakeClock) -> None:
    app = create_app(SandboxConfig(rate_limit=(2, 5.0), clock=clock), companies=[make_company()])
    with httpx.Client(transport=sandbox_transport(app), base_url=BASE_URL) as http:
        assert all(http.get("/_sandbox/stats").status_code == 200 for _ in range(5))


def test_fault_sequence_is_deterministic_from_the_seed() -> None:
    first = FaultInjector(7, 0.3, 0)
    second = FaultInjector(7, 0.3, 0)
    other = FaultInjector(8, 0.3, 0)
    sequence = [first.next_fault() for _ in range(200)]
    assert sequence == [second.next_fault() for _ in range(200)]
    assert sequence != [other.next_fault() for _ in range(200)]
    kinds = Counter(sequence)
    assert 30 <= sum(n for fault, n in kinds.items() if fault is not Fault.NONE) <= 90
    assert set(kinds) == set(Fault)  # every kind of trouble occurs
    assert FaultInjector(7, 0.0, 0).next_fault() is Fault.NONE


def test_faults_reach_the_client_as_5xx_or_transport_errors(clock: FakeClock) -> None:
    app = create_app(
        SandboxConfig(rate_limit=None, fault_rate=0.5, seed=3, clock=clock),
        companies=[make_company()],
    )
    headers = _bearer(app, 9001)
    outcomes: Counter[str] = Counter()
    with httpx.Client(transport=sandbox_transport(app), base_url=BASE_URL) as http:
        for _ in range(80):
            try:
                outcomes[str(http.get("/3/invoices", headers=headers).status_code)] += 1
            except httpx.RemoteProtocolError:
                outcomes["drop"] += 1
        # OAuth and the sandbox controls are never faulted.
        assert all(http.get("/_sandbox/stats").status_code == 200 for _ in range(20))
        stats = http.get("/_sandbox/stats").json()
    assert {"200", "500", "502", "503", "drop"} <= set(outcomes)
    assert stats["faults"] == {key: outcomes[key] for key in ("500", "502", "503", "drop")}
    assert outcomes["200"] + sum(stats["faults"].values()) == 80


@pytest.mark.anyio
async def test_async_transport_drops_like_loopback(clock: FakeClock) -> None:
    app = create_app(
        SandboxConfig(rate_limit=None, fault_rate=1.0, seed=3, clock=clock),
        companies=[make_company()],
    )
    headers = _bearer(app, 9001)
    drops = 0
    async with httpx.AsyncClient(transport=sandbox_async_transport(app), base_url=BASE_URL) as http:
        for _ in range(20):
            try:
                response = await http.get("/3/invoices", headers=headers)
                assert response.status_code in (500, 502, 503)
            except httpx.RemoteProtocolError:
                drops += 1
    assert drops > 0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
