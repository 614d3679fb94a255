"""Resources a company's licence (or the token's scopes) does not cover: skipped, not fatal.

A firm-held company without the order module answers 403 for `/3/orders`. That says nothing
about the rest of its books, so the resource is skipped with one warning naming the scope, and
the run records it (`load_runs.skipped`, `--metrics-json`); `run --strict` makes the same 403 fail
the run (exit 9) before anything is loaded.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from typing import Any

from sources.fortnox.errors import ScopeMissing

logger = logging.getLogger("sources.fortnox")

ResourceFunction = Callable[..., Iterator[Any]]


def skipping_unlicensed(
    skipped: dict[str, str], *, strict: bool
) -> Callable[..., ResourceFunction]:
    """A decorator for resource functions: a 403 for a missing scope ends the resource quietly
    and is noted in `skipped` (resource -> scope); with `strict` it propagates.

    The wrapper keeps the function's signature (`functools.wraps`), so dlt still injects
    incremental arguments.
    """

    def decorate(function: ResourceFunction, name: str | None = None) -> ResourceFunction:
        resource_name = name or function.__name__

        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from function(*args, **kwargs)
            except ScopeMissing as error:
                if strict:
                    raise
                if resource_name not in skipped:
                    logger.warning(
                        "skipped %s: Fortnox refused scope `%s` (the company's licence or the"
                        " login lacks it) — the run goes on; `run --strict` fails instead",
                        resource_name,
                        error.scope,
                    )
                skipped[resource_name] = error.scope

        return guarded

    return decorate
