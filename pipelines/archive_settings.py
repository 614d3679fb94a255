"""Where raw SIE files are archived, decided once for every command that fetches or reads SIE.

Archiving is on by default: an auditor must be able to get back the exact export a warehouse's
rows came from, and a file not kept when it was fetched can never be recovered. The archive
lives beside the DuckDB warehouse (`<warehouse folder>/sie-archive/`) unless `.dlt/config.toml`
says otherwise:

    [sie_archive]
    enabled = true            # false: no command archives unless --archive DIR is given
    dir = "/srv/books/sie"    # default: sie-archive/ beside the warehouse

A command's `--archive DIR` wins over the configuration, and `--no-archive` turns it off for that
run (the run record in `load_runs` then says archiving was off).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer

DEFAULT_ARCHIVE_FOLDER = "sie-archive"
CONFIG_SECTION = "sie_archive"

ArchiveOption = Annotated[
    Path | None,
    typer.Option(
        "--archive",
        help="Archive folder for the raw SIE files (content-addressed, never rewritten);"
        " default: [sie_archive] dir in .dlt/config.toml, else sie-archive/ beside the warehouse.",
    ),
]
NoArchiveOption = Annotated[
    bool,
    typer.Option(
        "--no-archive",
        help="Do not keep the raw SIE files (the run record says archiving was off).",
    ),
]


def _config(key: str) -> Any:
    """`[sie_archive] <key>` as dlt resolves it: the environment (`SIE_ARCHIVE__<KEY>`), then
    `.dlt/secrets.toml` and `.dlt/config.toml` of the current folder, then those of `~/.dlt`.

    Read here without dlt when that is all there is: importing dlt for two settings cost
    `sie load` about a second. With any `DLT_*` variable set (project or data folder moved,
    say), dlt itself resolves it.
    """
    environment_name = f"{CONFIG_SECTION}__{key}".upper()
    if environment_name in os.environ:
        return os.environ[environment_name]
    if any(name.startswith("DLT_") for name in os.environ):
        import dlt

        return dlt.config.get(f"{CONFIG_SECTION}.{key}")
    for folder in (Path(".dlt"), Path.home() / ".dlt"):
        for name in ("secrets.toml", "config.toml"):
            path = folder / name
            if not path.is_file():
                continue
            with path.open("rb") as handle:
                section = tomllib.load(handle).get(CONFIG_SECTION)
            if isinstance(section, dict) and key in section:
                return section[key]
    return None


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in {"false", "0", "no", "off", ""}
    return bool(value)


def configured_archive_dir(duckdb_path: Path | None) -> Path:
    """The archive folder when no `--archive` is given: the configured one, else beside the
    warehouse (the current folder for a warehouse that is not a file)."""
    configured = _config("dir")
    if configured:
        return Path(str(configured)).expanduser()
    base = duckdb_path.parent if duckdb_path is not None else Path()
    return base / DEFAULT_ARCHIVE_FOLDER


def resolve_archive_dir(
    option: Path | None, *, no_archive: bool, duckdb_path: Path | None
) -> Path | None:
    """The archive folder a command uses, None when archiving is off.

    Args:
        option: the command's `--archive DIR`, None when not given.
        no_archive: the command's `--no-archive`.
        duckdb_path: the DuckDB warehouse file, None for another destination.

    Raises:
        typer.BadParameter: both `--archive` and `--no-archive` were given.
    """
    if no_archive and option is not None:
        raise typer.BadParameter("give either --archive DIR or --no-archive, not both")
    if no_archive:
        return None
    if option is not None:
        return option
    enabled = _config("enabled")
    if enabled is not None and not _as_bool(enabled):
        return None
    return configured_archive_dir(duckdb_path)
