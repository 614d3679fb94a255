"""Progress of a run: a live per-resource table on a terminal, plain log lines in cron and CI.

A first load of a large company takes minutes under Fortnox's rate limit; a user watching a
terminal wants to see it move, and a cron log wants a line now and then, not a screen of
redraws. Both read the same two sources: the client's per-endpoint request counters and the
per-resource row counts the pipeline reports as rows are extracted.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.live import Live
from rich.table import Table

from pipelines.pipeline import resource_of_endpoint
from sources.fortnox.client import FortnoxClient

logger = logging.getLogger("fortnox_pipeline.progress")

LOG_INTERVAL_SECONDS = 15.0


class RunProgress:
    """Per-resource requests and rows of the run in progress.

    Args:
        client: the client whose request counters are shown.
        label: what the run is (shown as the table title and in log lines).
    """

    def __init__(self, client: FortnoxClient, label: str) -> None:
        self.client = client
        self.label = label
        self.rows: dict[str, int] = {}
        self._baseline = {name: dict(stats) for name, stats in client.stats.as_dict().items()}
        self._started = time.monotonic()
        self._lock = threading.Lock()

    def on_rows(self, resource: str, rows: int) -> None:
        """Called by the pipeline with a resource's running row count."""
        with self._lock:
            self.rows[resource] = rows

    def requests(self) -> dict[str, tuple[int, int, int]]:
        """Per resource: (requests, 429s, retries) since the run started."""
        totals: dict[str, list[int]] = {}
        for endpoint, stats in self.client.stats.as_dict().items():
            before = self._baseline.get(endpoint, {})
            entry = totals.setdefault(resource_of_endpoint(endpoint), [0, 0, 0])
            entry[0] += int(stats["requests"]) - int(before.get("requests", 0))
            entry[1] += int(stats["rate_limited"]) - int(before.get("rate_limited", 0))
            entry[2] += int(stats["retries"]) - int(before.get("retries", 0))
        return {name: (a, b, c) for name, (a, b, c) in totals.items()}

    def table(self) -> Table:
        """The live table: one line per resource seen so far."""
        requests = self.requests()
        with self._lock:
            rows = dict(self.rows)
        elapsed = time.monotonic() - self._started
        table = Table(title=f"{self.label} — {elapsed:.0f} s", title_justify="left")
        for column in ("resource", "requests", "rows", "429s", "retries"):
            table.add_column(column, justify="left" if column == "resource" else "right")
        for name in sorted(set(requests) | set(rows)):
            sent, throttled, retried = requests.get(name, (0, 0, 0))
            table.add_row(name, str(sent), f"{rows.get(name, 0):,}", str(throttled), str(retried))
        return table

    def log_line(self) -> str:
        """One plain line: totals so far."""
        requests = self.requests()
        with self._lock:
            rows = sum(self.rows.values())
        sent = sum(entry[0] for entry in requests.values())
        throttled = sum(entry[1] for entry in requests.values())
        elapsed = time.monotonic() - self._started
        return (
            f"{self.label}: {elapsed:.0f} s, {sent} requests ({throttled} throttled), "
            f"{rows:,} rows extracted"
        )


@contextmanager
def show_progress(progress: RunProgress, stream: TextIO | None = None) -> Iterator[RunProgress]:
    """Show a run's progress while the block runs: live on a terminal, logged otherwise."""
    stream = stream or sys.stderr
    if stream.isatty():
        console = Console(file=stream)
        with Live(
            get_renderable=progress.table, console=console, refresh_per_second=4, transient=True
        ):
            yield progress
        return
    stop = threading.Event()

    def report() -> None:
        while not stop.wait(LOG_INTERVAL_SECONDS):
            print(progress.log_line(), file=stream, flush=True)

    reporter = threading.Thread(target=report, name="progress-log", daemon=True)
    reporter.start()
    try:
        yield progress
    finally:
        stop.set()
        reporter.join(timeout=1)
