"""The `fortnox-pipeline` command line: one typer app, each command group in its own module.

The commands only parse options and print; the work they start lives in `pipelines/` (the
pipeline wiring, the plan, the warehouse helpers), so it can be called without a terminal.

The app is built on first use (`app`, `main`). `sie load` and `sie check` build an app with
the `sie` group alone: the other groups import dlt and the Fortnox source, about a second of
a `sie load` that needs neither.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer

# Commands whose app needs only `pipelines.cli.sie` (their help and options are the same).
_SIE_ONLY_COMMANDS = frozenset({"load", "check"})
# polars' allocator (jemalloc) keeps freed pages for 10 s by default, so a file read chunk by
# chunk kept many chunks' pages: `sie load` of a 200 MB file peaked at 594 MB; with pages kept
# 1 s (and 2 MB chunks) at 453 MB. Returning them at once (0 s) cost 40 % more CPU. Since the
# load got faster (more chunks a second), 1 s peaked at 468-517 MB and 0.5 s at 466 MB for the
# same CPU. Read when polars is first imported, which `sie load | check` do only after this is
# set; an explicit setting wins.
_ALLOCATOR_SETTING = ("_RJEM_MALLOC_CONF", "dirty_decay_ms:500,muzzy_decay_ms:0")


def build_app(*, sie_only: bool = False) -> typer.Typer:
    """The typer app with every command group, or with `sie load | check` only."""
    from pipelines.cli.output import OneLineErrorsGroup

    app = typer.Typer(
        cls=OneLineErrorsGroup,
        name="fortnox-pipeline",
        help="Read-only extraction of Fortnox books into a warehouse.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )

    @app.command()
    def version() -> None:
        """Print the installed version."""
        from importlib.metadata import version as installed_version

        typer.echo(installed_version("fortnox-pipeline"))

    if sie_only:
        from pipelines.cli import sie

        sie.register(app)
        return app
    from pipelines.cli import (
        audit,
        auth,
        doctor,
        init,
        mcp,
        models,
        profiles,
        run,
        sandbox,
        sie,
        sie_export,
    )

    for module in (run, auth, profiles, doctor, init, sie, sie_export, models, audit, sandbox, mcp):
        module.register(app)
    return app


_full_app: typer.Typer | None = None


def __getattr__(name: str) -> Any:
    """`pipelines.cli.app`: the full app, built once on first access."""
    global _full_app
    if name == "app":
        if _full_app is None:
            _full_app = build_app()
        return _full_app
    raise AttributeError(name)


def _wants_sie_only(arguments: list[str]) -> bool:
    return len(arguments) >= 2 and arguments[0] == "sie" and arguments[1] in _SIE_ONLY_COMMANDS


def main() -> None:
    """Console-script entry point."""
    # dlt warns about things this project handles on purpose (the `fortnox` catalog and dataset
    # of fortnox.duckdb, nullable hints of Arrow tables); a user sees errors, not that noise.
    # An explicit RUNTIME__LOG_LEVEL (or .dlt/config.toml) still wins.
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")
    if not _wants_sie_only(sys.argv[1:]):
        from pipelines.dlt_settings import apply_dlt_defaults

        apply_dlt_defaults()
    if _wants_sie_only(sys.argv[1:]):
        os.environ.setdefault(*_ALLOCATOR_SETTING)
        build_app(sie_only=True)()
        return
    __getattr__("app")()
