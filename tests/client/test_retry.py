"""Backoff grows, is jittered, and is bounded in count and in total time."""

from __future__ import annotations

import random

from sources.fortnox.retry import RetryPolicy


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(backoff_base_seconds=0.5, backoff_cap_seconds=4.0, rng=random.Random(1))
    for retry, step in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)]:
        waits = {policy.backoff_seconds(retry) for _ in range(50)}
        assert all(step / 2 <= wait <= step for wait in waits)
        assert len(waits) > 1  # jittered


def test_retries_stop_at_the_count_or_the_time_budget() -> None:
    policy = RetryPolicy(max_retries=3, max_elapsed_seconds=10.0)
    assert policy.may_retry(3, 1.0)
    assert not policy.may_retry(4, 1.0)
    assert not policy.may_retry(1, 10.0)
