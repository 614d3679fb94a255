"""An accounting firm's portfolio of client companies: a few large, most small.

A firm's nightly run is dominated by its few large clients while most of its companies are
small; a sandbox whose tenants are all alike would hide both effects (the large ones bound the
wall time, the small ones show the per-company overhead). `portfolio_sizes` is the one place
that says how a `sandbox serve --companies N` portfolio is made up.
"""

from __future__ import annotations

import math
from typing import Final

SMALL_SIZES: Final[tuple[int, ...]] = (300, 150, 600, 200, 450)
"""Vouchers per year of the small clients, in turn (a sole trader to a small shop)."""

LARGE_SHARE: Final = 0.1
"""The share of large clients in a portfolio (at least one)."""


def portfolio_sizes(companies: int, largest: int) -> tuple[int, ...]:
    """Vouchers per year of each tenant: the first tenth (at least one) `largest`, the rest small.

    Args:
        companies: number of tenants.
        largest: vouchers per year of the large clients (a small client is never larger).

    Returns:
        One size per tenant, the large ones first, so tenant order says which is which.
    """
    if companies < 1:
        raise ValueError("a portfolio needs at least one company")
    large = max(1, math.ceil(companies * LARGE_SHARE)) if companies > 1 else 1
    small = [
        min(largest, SMALL_SIZES[index % len(SMALL_SIZES)]) for index in range(companies - large)
    ]
    return (largest,) * large + tuple(small)
