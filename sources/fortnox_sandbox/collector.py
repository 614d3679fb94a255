"""A context manager that pauses Python's cyclic garbage collector around bulk work.

Building or reading a large company touches millions of small acyclic records; the cyclic
collector would rescan them again and again (measured: about half of the run time). Reference
counting still frees everything as usual while the collector is paused.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block, then restore its previous state."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
