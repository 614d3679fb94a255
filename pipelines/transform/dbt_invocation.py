"""Running dbt in this process (dbt's `dbtRunner`), quietly, against one warehouse.

In-process rather than the `dbt` command: a `dbt` subprocess pays Python's and dbt's start-up
(about 5 s here) on every build, and DuckDB allows one writing process per file, so a subprocess
could not write the warehouse a caller holds open; in-process, dbt-duckdb shares the caller's
database instance. dlt's dbt runner (`dlt.helpers.dbt`) runs dbt the same way but wants a
dbt package layout and credentials of its own making; calling `dbtRunner` directly keeps the
profile in `sql/profiles.yml`, one `parse` whose manifest the `build` reuses, and partial
parsing in a target folder beside the warehouse (never inside the installed package).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SQL_DIR = Path(__file__).resolve().parent.parent.parent / "sql"
PROFILES_DIR = SQL_DIR


class DbtError(RuntimeError):
    """dbt could not run at all (a project, profile or connection error), as opposed to a model
    or check that failed."""


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the length of one dbt invocation, then restore them.

    `sql/profiles.yml` reads the warehouse from the environment, so credentials never land in a
    file of ours.
    """
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _release_duckdb() -> None:
    """Close dbt-duckdb's handle on the database, so that the caller alone holds the file.

    dbt-duckdb keeps one environment per process for reuse; left open, it would keep the file
    open in read-write mode after the build, and a later read-only open in this process would be
    refused as a different configuration.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # dbt-duckdb not installed: nothing to release
        return
    environment = DuckDBConnectionManager._ENV
    DuckDBConnectionManager._ENV = None
    if environment is not None:
        environment.close()


def invoke(
    command: Sequence[str],
    *,
    project_dir: Path,
    work_dir: Path,
    target: str,
    environment: Mapping[str, str],
    variables: Mapping[str, Any] | None = None,
    manifest: Any = None,
) -> Any:
    """Run one dbt command in this process and return dbt's result object.

    Args:
        command: The dbt command and its own arguments, e.g. `["build", "--exclude", ...]`.
        project_dir: The dbt project (`sql/`).
        work_dir: The target folder (partial parsing state, compiled SQL) and logs go here.
        target: The output of `sql/profiles.yml`.
        environment: Variables the profile reads (the warehouse and its credentials).
        variables: dbt `--vars`; changing them makes dbt parse the project again.
        manifest: A manifest from an earlier `parse`, so that this command does not parse.

    Raises:
        DbtError: dbt failed before running any node.
    """
    from dbt.cli.main import dbtRunner

    # dbt reads a relative target or log path against the project folder, not ours.
    work_dir = work_dir.resolve()
    arguments = [
        *command,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(PROFILES_DIR),
        "--target",
        target,
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
        "--log-level",
        "none",
        "--log-level-file",
        os.environ.get("FORTNOX_DBT_LOG_LEVEL", "none"),
        "--no-write-json",
        "--no-version-check",
        "--no-send-anonymous-usage-stats",
        "--partial-parse",
    ]
    if variables:
        arguments += ["--vars", json.dumps(dict(variables))]
    work_dir.mkdir(parents=True, exist_ok=True)
    with _environment(environment):
        try:
            result = dbtRunner(manifest=manifest).invoke(arguments)
        finally:
            _release_duckdb()
    if result.exception is not None:
        raise DbtError(f"dbt {command[0]} failed: {result.exception} — see {work_dir / 'logs'}")
    return result
