"""Checks of what a user typed, made before any request is sent or any file is written.

A nightly cron job that misspells a resource or points at a read-only disk should learn it in one
line, with the fix, before it spends Fortnox's rate limit or touches the warehouse (exit 7).
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from pipelines.cli.output import UserError
from pipelines.exit_codes import ExitCode
from sources.fortnox.settings import ENDPOINTS

# Every table the Fortnox source can be asked for: its endpoints, plus the opt-in invoice rows
# (a transformer over invoices with no endpoint of its own).
TRANSFORMER_RESOURCES = ("invoice_rows",)


def resource_names() -> list[str]:
    """The names `run --resources` accepts, in the source's order."""
    return [*ENDPOINTS, *TRANSFORMER_RESOURCES]


def parse_resources(text: str | None) -> list[str] | None:
    """`sie,invoices` as a list of known resource names; None for all.

    Raises:
        UserError: a name is not a resource (exit 7), listing the valid ones.
    """
    if text is None:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise UserError(
            "--resources names no resource",
            ExitCode.BAD_INPUT,
            f"give one or more of: {', '.join(resource_names())}",
        )
    valid = resource_names()
    unknown = [name for name in names if name not in valid]
    if unknown:
        raise UserError(
            f"--resources: unknown resource {', '.join(repr(name) for name in unknown)}",
            ExitCode.BAD_INPUT,
            f"valid resources: {', '.join(valid)}",
        )
    return names


def parse_iso_date(value: str | None, option: str) -> date | None:
    """A `YYYY-MM-DD` option value as a date, or a one-line error naming the option (exit 7)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise UserError(
            f"{option} {value!r} is not a date ({error})",
            ExitCode.BAD_INPUT,
            f"write it as YYYY-MM-DD, e.g. {option} 2024-01-31",
        ) from None


def check_writable_warehouse(path: Path) -> None:
    """Refuse, before any request, a warehouse path a load could not write (exit 7).

    DuckDB would only fail at the first write, after the run has spent requests, with a raw
    `IO Error`. The check tries what the load will do (open the file for writing, or create a file
    beside it) rather than reading permission bits, which say nothing for root or for a
    read-only mount.
    """
    if path.is_dir():
        raise UserError(
            f"--duckdb {path} is a directory, not a DuckDB file",
            ExitCode.BAD_INPUT,
            f"name a file, e.g. --duckdb {path / 'fortnox.duckdb'}",
        )
    try:
        if path.exists():
            with path.open("r+b"):
                pass
            return
        folder = _existing_ancestor(path.parent)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".fortnox-write-probe-"):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise UserError(
            f"the warehouse {path} cannot be written ({reason})",
            ExitCode.BAD_INPUT,
            "choose a writable location with --duckdb, or fix the permissions",
        ) from None


def _existing_ancestor(path: Path) -> Path:
    """The nearest folder of `path` that exists (the one a `mkdir -p` would create into)."""
    current = path.absolute()
    while not current.exists() and current != current.parent:
        current = current.parent
    return current
