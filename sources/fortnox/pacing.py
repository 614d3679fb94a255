"""Client-side pacing under Fortnox's sliding-window rate limit (25 requests per 5 s per tenant).

Fortnox counts requests per client id and tenant in a sliding window and answers 429 (with no
Retry-After) past the limit. A naive "N per second" limiter still trips it, so we keep the same
kind of window the server keeps, shared by every thread of the process for one tenant.

Each request holds a *slot* from the moment it is sent until its response is back, and the slot
is stamped with the time the response came back. A slot frees one window after that stamp.
Since a request reaches the server before its response reaches us, the server's window can never
hold more requests than ours, whatever the latency, which is why a normal run sees no 429.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sources.fortnox import settings


@dataclass(slots=True)
class _Slot:
    """One request in the window; `completed_at` is None while the request is in flight."""

    completed_at: float | None = None


class SlidingWindowLimiter:
    """At most `max_requests` requests in any `window_seconds`, counted from response times.

    Thread-safe: every thread of the process that talks to one tenant shares one instance
    (see `shared_limiter`).

    Args:
        max_requests: requests allowed per window (Fortnox: 25).
        window_seconds: the window length (Fortnox: 5 s).
        margin_seconds: slack added to the window for the server's clock granularity.
        clock: monotonic clock in seconds; injectable for tests.
        sleep: how to wait; injectable for tests.
    """

    def __init__(
        self,
        max_requests: int,
        window_seconds: float,
        *,
        margin_seconds: float = settings.RATE_LIMIT_MARGIN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_requests < 1 or window_seconds <= 0:
            raise ValueError("a rate limit needs at least one request per positive window")
        self.max_requests = max_requests
        self.window_seconds = window_seconds
        self.margin_seconds = margin_seconds
        self._clock = clock
        self._sleep = sleep
        self._slots: list[_Slot] = []
        self._condition = threading.Condition()
        self.waited_seconds = 0.0

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a slot for the duration of one request (send until response read)."""
        taken = self.acquire()
        try:
            yield
        finally:
            self.release(taken)

    def acquire(self) -> _Slot:
        """Block until the window has room, then take a slot for a request about to be sent."""
        while True:
            with self._condition:
                now = self._clock()
                self._evict(now)
                if len(self._slots) < self.max_requests:
                    taken = _Slot()
                    self._slots.append(taken)
                    return taken
                wait = self._time_until_a_slot_frees(now)
                if wait is None:
                    # Every slot is in flight: the first response back frees the way.
                    self._condition.wait()
                    continue
            started = self._clock()
            self._sleep(wait)
            with self._condition:
                self.waited_seconds += max(0.0, self._clock() - started)

    def release(self, taken: _Slot) -> None:
        """Stamp a slot with the time its response came back; it frees one window later."""
        with self._condition:
            taken.completed_at = self._clock()
            self._condition.notify_all()

    def saturate(self) -> None:
        """Treat the window as full from now on, after a 429 the server sent anyway.

        The server evidently counts more requests than we do (another process on the same
        tenant, or a clock skew), so the only safe move is to send nothing for a full window.
        """
        with self._condition:
            now = self._clock()
            for existing in self._slots:
                if existing.completed_at is not None:
                    existing.completed_at = max(existing.completed_at, now)
            while len(self._slots) < self.max_requests:
                self._slots.append(_Slot(completed_at=now))

    def in_window(self) -> int:
        """How many slots the window holds right now (in flight or not yet freed)."""
        with self._condition:
            self._evict(self._clock())
            return len(self._slots)

    def _evict(self, now: float) -> None:
        horizon = self.window_seconds + self.margin_seconds
        self._slots = [
            kept
            for kept in self._slots
            if kept.completed_at is None or kept.completed_at + horizon > now
        ]

    def _time_until_a_slot_frees(self, now: float) -> float | None:
        completed = [kept.completed_at for kept in self._slots if kept.completed_at is not None]
        if not completed:
            return None
        return max(0.0, min(completed) + self.window_seconds + self.margin_seconds - now)


_registry: dict[Hashable, SlidingWindowLimiter] = {}
_registry_lock = threading.Lock()


def shared_limiter(key: Hashable, max_requests: int, window_seconds: float) -> SlidingWindowLimiter:
    """The process-wide limiter for one tenant, created on first use.

    Args:
        key: identifies the tenant at one API, e.g. `(base_url, tenant_id)`. The rate is part
            of the key, so two clients configured with different rates do not share a window.
        max_requests: requests allowed per window.
        window_seconds: the window length.

    Returns:
        The same limiter for every caller with the same key and rate.
    """
    full_key = (key, max_requests, window_seconds)
    with _registry_lock:
        limiter = _registry.get(full_key)
        if limiter is None:
            limiter = SlidingWindowLimiter(max_requests, window_seconds)
            _registry[full_key] = limiter
        return limiter
