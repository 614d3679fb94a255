"""The sandbox ASGI app: Fortnox's `/3/` read API, its OAuth server and `/_sandbox/` controls.

Every `/3/` request passes the same guard, in Fortnox's order: bearer token (401), per-tenant
rate limit (429), injected faults, method (405), scope (403), then the resource handler in
`resources.py` (404 for unknown records, 400 for bad parameters). Responses carry Fortnox's
headers.
"""

from __future__ import annotations

import asyncio
import inspect
import secrets
import time
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from sources.fortnox_sandbox.controls import (
    sandbox_advance,
    sandbox_revoke,
    sandbox_stats,
    sandbox_stats_reset,
    sandbox_truth,
)
from sources.fortnox_sandbox.faults import Fault, fault_response
from sources.fortnox_sandbox.listing import ApiError, json_response, lower_query
from sources.fortnox_sandbox.model import Company
from sources.fortnox_sandbox.oauth import AccessToken, authorize, token
from sources.fortnox_sandbox.resources import API_ROUTES, ApiRequest, Handler
from sources.fortnox_sandbox.resources_registers import REGISTER_ROUTES
from sources.fortnox_sandbox.state import SandboxConfig, SandboxState

FORTNOX_BUILD = "sandbox-3.0"
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
UNAUTHORIZED_BODY = {"message": "unauthorized"}


# -- the guard every /3/ request passes -------------------------------------------------------
def _fortnox_headers(response: Response, started: float) -> Response:
    response.headers["Server"] = "Fortnox"
    response.headers["X-Uid"] = secrets.token_hex(4)
    response.headers["X-Build"] = FORTNOX_BUILD
    response.headers["X-Rack-Responsetime"] = str(round((time.perf_counter() - started) * 1000))
    return response


def _bearer_token(request: Request, state: SandboxState) -> AccessToken | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value:
        return None
    return state.tokens.authenticate(value.strip())


def _guarded(template: str, scope: str | None, handler: Handler) -> Callable[..., Any]:
    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        state: SandboxState = request.app.state.sandbox
        response = await _answer(request, state, template, scope, handler)
        with state.lock:
            state.stats.statuses[response.status_code] += 1
        return _fortnox_headers(response, started)

    return endpoint


async def _answer(
    request: Request, state: SandboxState, template: str, scope: str | None, handler: Handler
) -> Response:
    with state.lock:
        state.stats.requests[f"{request.method} {template}"] += 1
    access = _bearer_token(request, state)
    if access is None:
        return JSONResponse(UNAUTHORIZED_BODY, status_code=401)
    if state.rate_limiter is not None and not state.rate_limiter.admit(access.tenant):
        with state.lock:
            state.stats.rate_limited += 1
        # Fortnox sends no Retry-After; clients must pace themselves.
        return JSONResponse({"message": "Too many requests"}, status_code=429)
    if state.faults.latency_seconds:
        await asyncio.sleep(state.faults.latency_seconds)
    fault = state.faults.next_fault()
    if fault is not Fault.NONE:
        with state.lock:
            state.stats.faults[fault.value] += 1
        return fault_response(fault)
    if request.method not in ("GET", "HEAD"):
        body = {
            "ErrorInformation": {
                "error": 1,
                "message": "Metoden är inte tillåten: sandboxen är skrivskyddad.",
                "code": 2000588,
            }
        }
        return json_response(body, 405)
    if scope is not None and scope not in access.scopes:
        body = {
            "ErrorInformation": {
                "error": 1,
                "message": f"Behörighet saknas för scope {scope}.",
                "code": 2000663,
            }
        }
        return json_response(body, 403)
    if scope is not None and scope in state.config.unlicensed:
        body = {
            "ErrorInformation": {
                "error": 1,
                "message": "Det finns ingen aktiv licens för önskat scope.",
                "code": 2001101,
            }
        }
        return json_response(body, 403)
    api = ApiRequest(
        request=request,
        state=state,
        company=state.company(access.tenant),
        query=lower_query(request.query_params.multi_items()),
        base=str(request.base_url).rstrip("/") + "/3",
    )
    try:
        if inspect.iscoroutinefunction(handler):
            # Async handlers (SIE) take the lock themselves, off the event loop.
            response: Response = await handler(api)
            return response
        # Sync handlers read the books under the lock so an `advance` never shows half-done.
        with state.lock:
            result = handler(api)
        assert isinstance(result, Response)
        return result
    except ApiError as error:
        return error.response


# -- the app --------------------------------------------------------------------------------
class _TrailingSlashTolerant:
    """`/3/invoices/` is `/3/invoices` (Fortnox's own docs write the slash), not a 404."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith("/3/") and path.endswith("/"):
            trimmed = path.rstrip("/")
            scope = {**scope, "path": trimmed, "raw_path": trimmed.encode("utf-8")}
        await self.app(scope, receive, send)


def build_companies(config: SandboxConfig) -> list[Company]:
    """Generate the configured books (deterministic from the seed)."""
    from sources.fortnox_sandbox.books import generate_books

    return generate_books(
        seed=config.seed,
        scale=config.scale,
        vouchers_per_year=config.vouchers_per_year,
        companies=config.companies,
        legal_form=config.legal_form,
        fiscal_years=config.fiscal_years,
        sizes=config.sizes,
    )


def create_app(
    config: SandboxConfig | None = None, companies: list[Company] | None = None
) -> Starlette:
    """The sandbox as an ASGI app; `app.state.sandbox` is its `SandboxState`.

    Args:
        config: Sandbox settings; defaults are Fortnox's (rate limit on, 1 h tokens).
        companies: Ready-made books (tests with hand-made fixtures); generated from
            `config` when None.
    """
    config = config or SandboxConfig()
    routes = [
        Route("/oauth-v1/auth", authorize, methods=["GET"]),
        Route("/oauth-v1/token", token, methods=["POST"]),
        Route("/_sandbox/truth", sandbox_truth, methods=["GET"]),
        Route("/_sandbox/stats", sandbox_stats, methods=["GET"]),
        Route("/_sandbox/stats/reset", sandbox_stats_reset, methods=["POST"]),
        Route("/_sandbox/advance", sandbox_advance, methods=["POST"]),
        Route("/_sandbox/revoke", sandbox_revoke, methods=["POST"]),
    ]
    # Every method reaches the guard, so writes get Fortnox's 405 body, not Starlette's.
    # The registers' routes go before the catch-all (`/3/{rest:path}`, the last of API_ROUTES).
    api_routes = [*API_ROUTES[:-1], *REGISTER_ROUTES, API_ROUTES[-1]]
    routes += [
        Route(path, _guarded(path, scope, handler), methods=ALL_METHODS)
        for path, scope, handler in api_routes
    ]
    app = Starlette(routes=routes, middleware=[Middleware(_TrailingSlashTolerant)])
    app.state.sandbox = SandboxState(
        config, companies if companies is not None else build_companies(config)
    )
    return app
