"""`read_ahead`: the same items in the same order, errors where they happened, and a producer
that stops when the consumer does (a refused file must not leave a thread parsing on)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from sources.sie.prefetch import read_ahead


def test_items_arrive_in_order() -> None:
    assert list(read_ahead(iter(range(1000)), depth=2)) == list(range(1000))


def test_an_error_is_raised_after_the_items_before_it() -> None:
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("books.se line 3: bad")

    seen = []
    with pytest.raises(ValueError, match="line 3"):
        for item in read_ahead(source()):
            seen.append(item)
    assert seen == [1, 2]


def test_closing_early_stops_the_producer() -> None:
    produced = []

    def source() -> Iterator[int]:
        for number in range(10_000):
            produced.append(number)
            yield number

    items = read_ahead(source(), depth=1)
    assert next(items) == 0
    items.close()
    assert not any(t.name == "sie-read-ahead" for t in threading.enumerate())
    assert len(produced) <= 3
