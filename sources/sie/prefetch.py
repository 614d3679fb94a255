"""Run an iterator one item ahead in a thread, so parsing overlaps the writing it feeds.

`sie load` parses a chunk (polars) and DuckDB writes the previous one; both release the GIL, so
on two cores the two overlap instead of taking turns. At most `depth` items wait between the
two, which keeps memory bounded by a few chunks. An exception in the producer is raised in the
consumer, at the item where it happened.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

Item = TypeVar("Item")

_DONE = object()
_POLL_SECONDS = 0.1


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def read_ahead(source: Iterator[Item], *, depth: int = 1) -> Iterator[Item]:
    """Yield what `source` yields, produced in a background thread up to `depth` items ahead.

    Closing the returned generator early (an error downstream) stops the producer at its next
    item; it is a daemon thread, so it never keeps the process alive.
    """
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    stopped = threading.Event()

    def put(value: object) -> bool:
        while not stopped.is_set():
            try:
                handoff.put(value, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in source:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as error:  # handed to the consumer, raised there
            put(_Failure(error))

    producer = threading.Thread(target=produce, name="sie-read-ahead", daemon=True)
    producer.start()
    try:
        while True:
            value = handoff.get()
            if value is _DONE:
                return
            if isinstance(value, _Failure):
                raise value.error
            yield value  # type: ignore[misc]
    finally:
        stopped.set()
        producer.join()
