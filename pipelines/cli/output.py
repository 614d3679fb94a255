"""How every command prints: one error style, and `-o table|json` written once.

A cron operator reads one line per error (`error: what was wrong — what to do`) and acts on the
exit code (`pipelines/exit_codes.py`); a script reads JSON. Commands raise `UserError` (or let
`errors_as_exit_codes` translate a known exception) and hand their results to `emit`, so the
style and the JSON rules (exact decimals as strings, ISO dates) are the same everywhere.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from pipelines.exit_codes import ExitCode

try:  # the click typer parses with: its own copy in recent typer, else the click package
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older typer
    from click import exceptions as click_errors  # type: ignore[no-redef]

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


class OutputFormat(StrEnum):
    """What a command prints its results as."""

    table = "table"
    json = "json"


OutputOption = Annotated[
    OutputFormat | None,
    typer.Option(
        "--output",
        "-o",
        help="table or json; default: a table on a terminal, JSON when piped.",
        case_sensitive=False,
    ),
]


def resolve_format(chosen: OutputFormat | None) -> OutputFormat:
    """The format asked for, else a table on a terminal and JSON when stdout is piped."""
    if chosen is not None:
        return chosen
    return OutputFormat.table if sys.stdout.isatty() else OutputFormat.json


class UserError(Exception):
    """A mistake or condition the user can act on: one line, a fix, and an exit code."""

    def __init__(self, message: str, exit_code: ExitCode, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.fix = fix

    def line(self) -> str:
        """The one line printed for this error."""
        return error_line(self.message, self.fix)


def error_line(message: str, fix: str | None = None) -> str:
    """`error: <what was wrong> — <what to do>`, on one line whatever the message held."""
    text = " ".join(str(message).split())
    if fix:
        text = f"{text} — {' '.join(fix.split())}"
    return f"error: {text}"


def print_error(message: str, fix: str | None = None) -> None:
    """Print one error line on stderr, never interpreting brackets in it as markup."""
    stderr.print(error_line(message, fix), markup=False)


def fail(message: str, exit_code: ExitCode, fix: str | None = None) -> typer.Exit:
    """Print the error line and return the `typer.Exit` to raise (`raise fail(...)`)."""
    print_error(message, fix)
    return typer.Exit(int(exit_code))


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a `UserError` raised inside into its line and exit code."""
    try:
        yield
    except UserError as error:
        stderr.print(error.line(), markup=False)
        raise typer.Exit(int(error.exit_code)) from None


def json_default(value: Any) -> Any:
    """JSON for the values our results hold: exact decimals as strings, dates in ISO 8601."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(document: Any) -> str:
    """The stable JSON text of a command's result (keys in the order the command built them)."""
    return json.dumps(document, default=json_default, ensure_ascii=False, indent=2)


def emit(
    document: Mapping[str, Any] | Sequence[Any],
    output: OutputFormat | None,
    render_table: Callable[[], None],
) -> OutputFormat:
    """Print a result as JSON or by the command's own table renderer; returns what was used."""
    chosen = resolve_format(output)
    if chosen is OutputFormat.json:
        sys.stdout.write(dumps(document) + "\n")
        sys.stdout.flush()
    else:
        render_table()
    return chosen


class OneLineErrorsGroup(TyperGroup):
    """The root command group: click's usage errors (an unknown option, a missing value, a bad
    choice) get the same one line as every other error, with the usage exit code (2), instead
    of typer's boxed panel."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_errors.NoArgsIsHelpError as error:
            error.show()  # the help text itself, as without this class
            sys.exit(error.exit_code)
        except click_errors.UsageError as error:
            command = error.ctx.command_path if error.ctx is not None else "fortnox-pipeline"
            print_error(error.format_message().rstrip("."), f"see '{command} --help'")
            sys.exit(error.exit_code)
        except click_errors.ClickException as error:
            print_error(error.format_message())
            sys.exit(error.exit_code)
        except typer.Abort:
            print_error("aborted")
            sys.exit(1)
        # Not standalone, click returns an explicit exit's code, or the command's own value.
        sys.exit(result if isinstance(result, int) else 0)
