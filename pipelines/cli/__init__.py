"""The `fortnox-pipeline` command line: one typer app, each command group in its own module.

The commands only parse options and print; the work they start lives in `pipelines/` (the
pipeline wiring, the plan, the warehouse helpers), so it can be called without a terminal.
"""

from __future__ import annotations

import os

import typer

from pipelines.cli import (
    audit,
    auth,
    doctor,
    init,
    models,
    profiles,
    run,
    sandbox,
    sie,
    sie_export,
)

app = typer.Typer(
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


for module in (run, auth, profiles, doctor, init, sie, sie_export, models, audit, sandbox):
    module.register(app)


def main() -> None:
    """Console-script entry point."""
    # dlt warns about things this project handles on purpose (the `fortnox` catalog and dataset
    # of fortnox.duckdb, nullable hints of Arrow tables); a user sees errors, not that noise.
    # An explicit RUNTIME__LOG_LEVEL (or .dlt/config.toml) still wins.
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")
    app()
