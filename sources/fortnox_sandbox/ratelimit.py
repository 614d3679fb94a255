"""Fortnox's rate limit: a sliding window per tenant (25 requests per 5 seconds by default)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime


class SlidingWindowLimiter:
    """Admit at most `limit` requests per tenant in any `window_seconds` long interval.

    A true sliding window (not fixed buckets): Fortnox moved to one in 2022 and it is what
    broke naive per-second client limiters, so the sandbox must reproduce it. Rejected requests
    are not counted, so a client that backs off is admitted as soon as old requests age out.

    Args:
        limit: Requests admitted per window.
        window_seconds: Window length.
        clock: Current time; a test injects a fake one instead of sleeping.
    """

    def __init__(self, limit: int, window_seconds: float, clock: Callable[[], datetime]) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("rate limit needs limit >= 1 and a positive window")
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._admitted: dict[int, deque[float]] = {}

    def admit(self, tenant: int) -> bool:
        """Record a request of `tenant` and say whether it is within the limit."""
        now = self._clock().timestamp()
        with self._lock:
            admitted = self._admitted.setdefault(tenant, deque())
            while admitted and admitted[0] <= now - self.window_seconds:
                admitted.popleft()
            if len(admitted) >= self.limit:
                return False
            admitted.append(now)
            return True
