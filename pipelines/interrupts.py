"""Ctrl-C and SIGTERM: a run stops within 2 s at any point, says what was and was not loaded,
is recorded as `interrupted`, and the process exits 130 (SIGINT) or 143 (SIGTERM).

Unwinding a run on a signal cannot meet that: the main thread may sit in a long DuckDB
statement (Python handlers run only between bytecodes), and dlt's load waits for its job
threads. So the signal is taken by a watcher thread instead, woken through
`signal.set_wakeup_fd` the moment the signal arrives, whatever the main thread is doing. The
watcher freezes nothing and unwinds nothing; it writes each run's journal entry as
`interrupted` (the record: folded into `load_runs` now if it can be done in time, else by the
next run), prints one line per run, and ends the process with `os._exit`. Ending that way is
what a SIGKILL does, which the pipeline survives by design: a package fetched but not loaded is
finished by the next run, which says so on its first line; a package still being fetched was
never committed. A deadline timer ends the process even if recording hangs.

The main thread, meanwhile, stops at its next bytecode (its signal handler waits there), so it
starts no new request, step or load job.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

DEADLINE_SECONDS = 1.8
"""The process has ended by then after the first signal, recorded or not."""
RECORD_SECONDS = 1.2
"""How long recording in `load_runs` may take before it is left to the next run."""

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
SIGNAL_NAMES = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}


@dataclass
class ActiveRun:
    """A run the watcher must account for if a signal arrives."""

    journal_interrupted: Callable[[str], None]
    """Write the run's journal entry as interrupted (fast: one small file)."""
    describe: Callable[[], str]
    """One line: what was and was not loaded, given the step the run is in."""
    record: Callable[[], None]
    """Write the run's `load_runs` row (may be slow; bounded by the watcher)."""
    step: str = "starting"


@dataclass
class Interrupts:
    """The runs in progress in this process, and the watcher that ends them on a signal."""

    runs: list[ActiveRun] = field(default_factory=list)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    @contextlib.contextmanager
    def watching(self, run: ActiveRun) -> Iterator[ActiveRun]:
        """Account for `run` while inside."""
        with self._guard:
            self.runs.append(run)
        try:
            yield run
        finally:
            with self._guard:
                self.runs.remove(run)

    def end_process(self, signum: int) -> None:
        """Record, tell and exit: what the watcher does on the first signal."""
        code = EXIT_CODES.get(signal.Signals(signum), 128 + signum)
        deadline = threading.Timer(DEADLINE_SECONDS, os._exit, (code,))
        deadline.daemon = True
        deadline.start()
        name = SIGNAL_NAMES.get(signal.Signals(signum), f"signal {signum}")
        with self._guard:
            runs = list(self.runs)
        reason = f"interrupted by {name}"
        for run in runs:
            with contextlib.suppress(Exception):
                run.journal_interrupted(reason)
        lines = [f"{reason}: {run.describe()}" for run in runs] or [f"{reason}: nothing loaded"]
        _write_stderr("\n" + "\n".join(lines) + "\n")
        if runs:
            recorder = threading.Thread(target=_record_all, args=(runs,), daemon=True)
            recorder.start()
            recorder.join(RECORD_SECONDS)
        os._exit(code)


def _record_all(runs: list[ActiveRun]) -> None:
    for run in runs:
        with contextlib.suppress(Exception):
            run.record()


def _write_stderr(text: str) -> None:
    """Straight to the file descriptor: no lock a frozen main thread might hold."""
    with contextlib.suppress(OSError):
        os.write(2, text.encode("utf-8", "replace"))


@contextlib.contextmanager
def stop_on_signals(interrupts: Interrupts) -> Iterator[Interrupts]:
    """Handle SIGINT and SIGTERM as this module describes, while inside (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield interrupts
        return
    reader, writer = socket.socketpair()
    reader.setblocking(True)
    writer.setblocking(False)
    received = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        if received.is_set():
            os._exit(EXIT_CODES.get(signal.Signals(signum), 128 + signum))  # asked twice
        received.set()
        threading.Event().wait()  # the main thread goes no further; the watcher ends us

    def watch() -> None:
        while True:
            try:
                data = reader.recv(1)
            except OSError:
                return
            if not data:
                return  # closed: the command is done
            if data[0] in EXIT_CODES:  # the wakeup fd carries every handled signal
                interrupts.end_process(data[0])

    previous = {sig: signal.getsignal(sig) for sig in EXIT_CODES}
    previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    for sig in EXIT_CODES:
        signal.signal(sig, handler)
    watcher = threading.Thread(target=watch, name="signal-watcher", daemon=True)
    watcher.start()
    try:
        yield interrupts
    finally:
        signal.set_wakeup_fd(previous_fd)
        for sig, original in previous.items():
            signal.signal(sig, original)
        with contextlib.suppress(OSError):
            writer.close()  # the watcher's recv returns b"" and it ends
        watcher.join(timeout=1)
        with contextlib.suppress(OSError):
            reader.close()


INTERRUPTS = Interrupts()
"""The runs in progress in this process: signals are the process's, so is this registry."""


def own_signals(pipeline: Any) -> Any:
    """Keep dlt's own signal handling out of the way: it would delay a stop until its load
    jobs drained (34 s measured) and print its own messages."""
    with contextlib.suppress(Exception):
        pipeline.config.runtime.intercept_signals = False
    return pipeline
