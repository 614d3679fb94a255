"""Sandbox-only controls under `/_sandbox/`: ground truth, request statistics, one more day.

No token needed: these are for tests, benchmarks and the demo, never part of Fortnox's API.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sources.fortnox_sandbox.listing import ApiError
from sources.fortnox_sandbox.state import SandboxState


def _tenant_param(request: Request, state: SandboxState) -> int | None:
    raw = request.query_params.get("tenant")
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) not in state.companies:
        raise ApiError(JSONResponse({"error": f"unknown tenant {raw}"}, status_code=404))
    return int(raw)


async def sandbox_truth(request: Request) -> Response:
    """`GET /_sandbox/truth[?tenant=]`: the generator's ground truth for one company (the
    first without `tenant`), and under `tenants` every tenant's DatabaseNumber, in order, so a
    client of a portfolio sandbox can find its companies."""
    state: SandboxState = request.app.state.sandbox
    try:
        tenant = _tenant_param(request, state)
    except ApiError as error:
        return error.response
    from sources.fortnox_sandbox.books import ground_truth

    with state.lock:
        truth = ground_truth(state.company(tenant))
        tenants = list(state.companies)
    return JSONResponse({**truth, "tenants": tenants})


async def sandbox_stats(request: Request) -> Response:
    """`GET /_sandbox/stats`: what clients did (requests, 429s, faults, token grants)."""
    state: SandboxState = request.app.state.sandbox
    with state.lock:
        return JSONResponse(state.stats.as_json())


async def sandbox_stats_reset(request: Request) -> Response:
    """`POST /_sandbox/stats/reset`: zero the counters (between benchmark phases)."""
    state: SandboxState = request.app.state.sandbox
    with state.lock:
        state.stats.requests.clear()
        state.stats.statuses.clear()
        state.stats.faults.clear()
        state.stats.token_requests.clear()
        state.stats.rate_limited = 0
        state.stats.refresh_rejected = 0
        return JSONResponse(state.stats.as_json())


async def sandbox_revoke(request: Request) -> Response:
    """`POST /_sandbox/revoke?tenant=N`: revoke the tenant's tokens (the integration removed in
    Fortnox), so the next request and the next refresh are refused."""
    state: SandboxState = request.app.state.sandbox
    if request.query_params.get("tenant") is None:
        return JSONResponse({"error": "tenant is required"}, status_code=400)
    try:
        tenant = _tenant_param(request, state)
    except ApiError as error:
        return error.response
    assert tenant is not None
    return JSONResponse({"tenant": tenant, "revoked": state.tokens.revoke(tenant)})


def _summary(summary: Any) -> Any:
    return asdict(summary) if is_dataclass(summary) and not isinstance(summary, type) else summary


async def sandbox_advance(request: Request) -> Response:
    """`POST /_sandbox/advance?days=N`: N more business days in every company."""
    state: SandboxState = request.app.state.sandbox
    raw = request.query_params.get("days", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 366:
        return JSONResponse({"error": "days must be an integer from 1 to 366"}, status_code=400)
    from sources.fortnox_sandbox import daily
    from sources.fortnox_sandbox.books import advance_business_day

    def advance() -> dict[str, list[Any]]:
        summaries: dict[str, list[Any]] = {}
        with state.lock:
            for _ in range(int(raw)):
                state.advances += 1
                for tenant, company in state.companies.items():
                    # Yesterday's deletable records go before the day's bookkeeping, so no
                    # voucher of the books ever refers to them (see `daily.py`).
                    deleted = daily.retire(company, state.config.seed)
                    # The generator derives each day's randomness from (seed, company, day).
                    summary = advance_business_day(company, state.config.seed, state.clock)
                    registers = daily.grow(company, state.config.seed, state.clock)
                    day = {**_summary(summary), "deleted": deleted, "registers": registers}
                    # The draft the registers' day opens is a new invoice too.
                    day["new_invoices"] += registers["new_draft_invoices"]
                    summaries.setdefault(str(tenant), []).append(day)
            state.touch()
        return summaries

    summaries = await run_in_threadpool(advance)
    return JSONResponse(_jsonable(summaries))


def _jsonable(value: Any) -> Any:
    """Dates and datetimes as ISO strings (advance summaries may carry them)."""
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
