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

from pipelines.pipeline import ResourceMetrics, requests_since
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
        self._baseline = client.stats.as_dict()
        self._started = time.monotonic()
        self._lock = threading.Lock()

    def on_rows(self, resource: str, rows: int) -> None:
        """Called by the pipeline with a resource's running row count."""
        with self._lock:
            self.rows[resource] = rows

    def requests(self) -> dict[str, ResourceMetrics]:
        """Per resource: requests, 429s and retries since the run started."""
        return requests_since(self.client, self._baseline)

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
            metrics = requests.get(name, ResourceMetrics())
            table.add_row(
                name,
                str(metrics.requests),
                f"{rows.get(name, 0):,}",
                str(metrics.throttled),
                str(metrics.retries),
            )
        return table

    def log_line(self) -> str:
        """One plain line: totals so far."""
        requests = self.requests()
        with self._lock:
            rows = sum(self.rows.values())
        sent = sum(metrics.requests for metrics in requests.values())
        throttled = sum(metrics.throttled for metrics in requests.values())
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
