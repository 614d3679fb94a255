"""The sliding window: 25 per window, slots held while in flight, freed a window after the reply."""

from __future__ import annotations

import threading
import time

from sources.fortnox.pacing import SlidingWindowLimiter, shared_limiter


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_the_26th_request_waits_until_the_first_reply_is_a_window_old() -> None:
    clock = _Clock()
    limiter = SlidingWindowLimiter(25, 5.0, margin_seconds=0.05, clock=clock, sleep=clock.sleep)
    for _ in range(25):
        with limiter.slot():
            clock.now += 0.01  # each reply takes 10 ms
    assert clock.sleeps == []
    first_reply = 1000.01
    with limiter.slot():
        pass
    assert len(clock.sleeps) == 1
    assert abs(clock.now - (first_reply + 5.05)) < 1e-9
    assert abs(limiter.waited_seconds - clock.sleeps[0]) < 1e-9


def test_over_many_windows_no_window_holds_more_than_the_limit() -> None:
    clock = _Clock()
    limiter = SlidingWindowLimiter(25, 5.0, margin_seconds=0.0, clock=clock, sleep=clock.sleep)
    sent: list[float] = []
    for _ in range(300):
        with limiter.slot():
            sent.append(clock.now)
            clock.now += 0.02
    for index, start in enumerate(sent):
        in_window = [t for t in sent[index:] if t < start + 5.0]
        assert len(in_window) <= 25
    sustained = (300 - 25) / (sent[-1] - sent[0])
    assert sustained >= 0.95 * 5.0


def test_requests_in_flight_hold_their_slots() -> None:
    limiter = SlidingWindowLimiter(2, 0.05, margin_seconds=0.0)
    first, second = limiter.acquire(), limiter.acquire()
    assert limiter.in_window() == 2
    got_third = threading.Event()

    def third() -> None:
        limiter.release(limiter.acquire())
        got_third.set()

    worker = threading.Thread(target=third)
    worker.start()
    time.sleep(0.15)  # three windows pass, but nothing has come back yet
    assert not got_third.is_set()
    limiter.release(first)
    assert got_third.wait(2.0)
    limiter.release(second)
    worker.join()


def test_saturate_holds_everything_for_a_full_window() -> None:
    clock = _Clock()
    limiter = SlidingWindowLimiter(25, 5.0, margin_seconds=0.0, clock=clock, sleep=clock.sleep)
    limiter.saturate()
    assert limiter.in_window() == 25
    with limiter.slot():
        pass
    assert clock.sleeps == [5.0]


def test_one_limiter_per_tenant_and_rate_in_the_process() -> None:
    first = shared_limiter(("https://api", 1), 25, 5.0)
    assert shared_limiter(("https://api", 1), 25, 5.0) is first
    assert shared_limiter(("https://api", 2), 25, 5.0) is not first
    assert shared_limiter(("https://api", 1), 50, 5.0) is not first
