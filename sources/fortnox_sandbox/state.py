"""The sandbox's configuration and its mutable state: companies, tokens, counters and the clock.

One `SandboxState` lives on `app.state.sandbox`. Route handlers, the OAuth endpoints and tests
all reach the books and the token registry through it, so a test can inspect or steer the
sandbox (issue tokens, move the clock, read counters) without an HTTP round trip.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sources.fortnox_sandbox.faults import FaultInjector
from sources.fortnox_sandbox.model import Company
from sources.fortnox_sandbox.oauth import TokenRegistry
from sources.fortnox_sandbox.ratelimit import SlidingWindowLimiter

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def stockholm_now() -> datetime:
    """Fortnox keeps local Swedish time; the sandbox clock does too unless a test injects one."""
    return datetime.now(STOCKHOLM)


@dataclass
class SandboxConfig:
    """How a sandbox is built and how strict it is.

    Attributes:
        seed: Seed of the book generator and of the fault sequence (same seed, same sandbox).
        scale: Book size, `small`, `medium` or `large`.
        vouchers_per_year: Explicit voucher count per financial year (overrides `scale`).
        companies: Number of tenants.
        legal_form: The tenants' legal form: `ab` (aktiebolag), `hb` (handelsbolag) or
            `enskild` (enskild firma); their equity and tax are booked accordingly.
        fiscal_years: `calendar`, or `split` (an 18-month first year, then May-April years).
        sizes: Vouchers per year of each tenant (a portfolio of large and small companies,
            see `portfolio.py`); overrides `scale`, `vouchers_per_year` and `companies`.
        rate_limit: `(requests, seconds)` of the per-tenant sliding window; None switches it off.
        access_token_ttl: Access-token lifetime in seconds (Fortnox: 3600).
        latency_ms: Added to every `/3/` response.
        fault_rate: Share of `/3/` requests answered with a 5xx or a dropped connection.
        clock: Current time; inject a fake one to expire tokens or free the rate window in tests.
        unlicensed: Scopes whose module the companies do not hold (a firm-held company without
            orders): Fortnox answers 403 for them whatever the token's scopes.
    """

    seed: int = 1
    scale: str = "small"
    vouchers_per_year: int | None = None
    companies: int = 1
    legal_form: str = "ab"
    fiscal_years: str = "calendar"
    sizes: tuple[int, ...] | None = None
    rate_limit: tuple[int, float] | None = (25, 5.0)
    access_token_ttl: int = 3600
    latency_ms: int = 0
    fault_rate: float = 0.0
    clock: Callable[[], datetime] = stockholm_now
    unlicensed: frozenset[str] = frozenset()


@dataclass
class SandboxStats:
    """Counters behind `/_sandbox/stats`, so tests and benchmarks can see how a client behaved."""

    requests: Counter[str] = field(default_factory=Counter)  # "GET /3/invoices/{DocumentNumber}"
    statuses: Counter[int] = field(default_factory=Counter)
    rate_limited: int = 0
    faults: Counter[str] = field(default_factory=Counter)  # "500", "502", "503", "drop"
    token_requests: Counter[str] = field(default_factory=Counter)  # per grant_type
    refresh_rejected: int = 0

    def as_json(self) -> dict[str, Any]:
        """The JSON body of `/_sandbox/stats`."""
        return {
            "requests": dict(sorted(self.requests.items())),
            "statuses": {str(status): n for status, n in sorted(self.statuses.items())},
            "rate_limited": self.rate_limited,
            "faults": dict(sorted(self.faults.items())),
            "token_requests": dict(sorted(self.token_requests.items())),
            "refresh_rejected": self.refresh_rejected,
        }


class SandboxState:
    """Everything a running sandbox holds; shared by all requests, guarded by one lock.

    Args:
        config: The sandbox configuration.
        companies: The books, in tenant order; the first is the default tenant.
    """

    def __init__(self, config: SandboxConfig, companies: list[Company]) -> None:
        if not companies:
            raise ValueError("a sandbox needs at least one company")
        self.config = config
        self.clock = config.clock
        self.lock = threading.RLock()
        self.companies: dict[int, Company] = {c.database_number: c for c in companies}
        from sources.fortnox_sandbox.registers import ensure_registers

        for company in companies:
            ensure_registers(company, config.seed)
        self.stats = SandboxStats()
        self.tokens = TokenRegistry(
            clock=config.clock,
            access_token_ttl=config.access_token_ttl,
            known_tenants=set(self.companies),
            default_tenant=companies[0].database_number,
            stats=self.stats,
        )
        self.rate_limiter = (
            SlidingWindowLimiter(config.rate_limit[0], config.rate_limit[1], config.clock)
            if config.rate_limit is not None
            else None
        )
        self.faults = FaultInjector(config.seed, config.fault_rate, config.latency_ms)
        self.advances = 0
        # Derived figures (account balances, payment indexes) per tenant; cleared by `touch`.
        self.caches: dict[int, dict[str, Any]] = {}

    @property
    def default_tenant(self) -> int:
        """The DatabaseNumber of the first company, used when a request names none."""
        return next(iter(self.companies))

    def company(self, tenant: int | None = None) -> Company:
        """The company of a tenant id (DatabaseNumber), or the default one.

        Raises:
            KeyError: No company has that DatabaseNumber.
        """
        return self.companies[self.default_tenant if tenant is None else tenant]

    def cache(self, tenant: int) -> dict[str, Any]:
        """A per-tenant memo for figures derived from the books; valid until the next `touch`."""
        return self.caches.setdefault(tenant, {})

    def touch(self, tenant: int | None = None) -> None:
        """Forget derived figures after the books changed (advance)."""
        if tenant is None:
            self.caches.clear()
        else:
            self.caches.pop(tenant, None)

    def issue_tokens_for_tests(
        self, tenant: int | None = None, scopes: list[str] | None = None
    ) -> dict[str, Any]:
        """A token response exactly as `/oauth-v1/token` would give after consent.

        Saves tests and the demo the authorize/redirect dance; the tokens are real registry
        entries (they expire, rotate and are rate limited like any other).

        Args:
            tenant: DatabaseNumber of the company; the first company when None.
            scopes: Granted scopes; every scope the sandbox knows when None.
        """
        return self.tokens.issue(
            tenant=self.default_tenant if tenant is None else tenant,
            scopes=scopes,
            with_refresh=True,
        )

    def mark_service_account(self, tenant: int | None = None) -> None:
        """Record a sysadmin consent with `account_type=service` (enables client credentials)."""
        self.tokens.mark_service_account(self.default_tenant if tenant is None else tenant)
