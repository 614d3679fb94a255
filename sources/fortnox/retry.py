"""When and how long the client waits before retrying a failed GET.

Only failures that a later attempt can fix are retried: 429 (after the pacing window frees),
5xx, timeouts and dropped connections. The wait grows exponentially with jitter so that many
workers that failed together do not retry together, and the total is bounded so that a run
that cannot succeed ends with a clear error instead of hanging.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sources.fortnox import settings

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds and pace of retries.

    Args:
        max_retries: retries after the first attempt (so `max_retries + 1` attempts at most).
        backoff_base_seconds: the first backoff; doubles with every retry.
        backoff_cap_seconds: no single backoff is longer than this.
        max_elapsed_seconds: no retry starts after this long since the first attempt.
        rng: source of jitter; seeded in tests for determinism.
    """

    max_retries: int = settings.DEFAULT_MAX_RETRIES
    backoff_base_seconds: float = settings.RETRY_BACKOFF_BASE_SECONDS
    backoff_cap_seconds: float = settings.RETRY_BACKOFF_CAP_SECONDS
    max_elapsed_seconds: float = settings.RETRY_MAX_ELAPSED_SECONDS
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def backoff_seconds(self, retry: int) -> float:
        """The wait before retry number `retry` (1-based): "equal jitter" exponential backoff.

        Half of the exponential step is fixed, the other half random, so a retry never comes
        immediately yet retries of parallel workers spread out.
        """
        step = min(self.backoff_cap_seconds, self.backoff_base_seconds * 2 ** (retry - 1))
        return step / 2 + self.rng.uniform(0, step / 2)

    def may_retry(self, retry: int, elapsed_seconds: float) -> bool:
        """Whether retry number `retry` may still start, `elapsed_seconds` after the first try."""
        return retry <= self.max_retries and elapsed_seconds < self.max_elapsed_seconds
