"""`run --destination postgres`, as a user runs it: the same loopback sandbox company loaded by
the CLI into PostgreSQL and into DuckDB, a first load and a nightly run after sandbox days, must
give the same raw tables.

The SIE tables carry a nested column (each row's objects) that dlt's CSV writer for PostgreSQL
refuses; the run once failed in normalize there while every DuckDB test passed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from pipelines.transform import DEFAULT_DATASET
from tests.cli.conftest import ROOT, logged_in_environment, serving_sandbox
from tests.dbt.postgres_server import LocalPostgres

pytestmark = pytest.mark.timeout(900)  # four runs of the CLI, two servers

psycopg2 = pytest.importorskip(
    "psycopg2", reason="install the postgres extra: pip install -e '.[postgres]'"
)


def _run(environment: dict[str, str], folder: Path, *options: str) -> str:
    """`fortnox-pipeline run OPTIONS` in a child process (a user's command line), JSON output."""
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "-o", "json", *options],
        cwd=folder,
        env={**os.environ, **environment, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _postgres_counts(server: LocalPostgres) -> dict[str, int]:
    with psycopg2.connect(server.url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "select table_name from information_schema.tables where table_schema = %s"
            " and table_name not like '\\_dlt%%'",
            [DEFAULT_DATASET],
        )
        names = [row[0] for row in cursor.fetchall()]
        counts = {}
        for name in names:
            cursor.execute(f'select count(*) from {DEFAULT_DATASET}."{name}"')
            counts[name] = cursor.fetchone()[0]
        return counts


def _duckdb_counts(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as connection:
        names = connection.execute(
            "select table_name from information_schema.tables where table_schema = ?"
            " and table_name not like '\\_dlt%' escape '\\'",
            [DEFAULT_DATASET],
        ).fetchall()
        return {
            name: connection.execute(f'select count(*) from {DEFAULT_DATASET}."{name}"').fetchone()[
                0
            ]
            for (name,) in names
        }


def _load_both(
    server: LocalPostgres, folder: Path, *options: str
) -> tuple[str, str, dict[str, int], dict[str, int], dict[str, int]]:
    """A first load and, three sandbox days later, a nightly run: into DuckDB and PostgreSQL."""
    with serving_sandbox() as url:
        environment = {
            **logged_in_environment(url, folder),
            "DESTINATION__POSTGRES__CREDENTIALS": server.url,
        }
        warehouse = folder / "fortnox.duckdb"
        first = _run(environment, folder, "--destination", "postgres", "--no-models", *options)
        _run(environment, folder, "--duckdb", str(warehouse), "--no-models", *options)
        first_counts = _postgres_counts(server)
        httpx.post(f"{url}/_sandbox/advance", params={"days": "3"}).raise_for_status()
        nightly = _run(environment, folder, "--destination", "postgres", "--no-models", *options)
        _run(environment, folder, "--duckdb", str(warehouse), "--no-models", *options)
        return first, nightly, first_counts, _postgres_counts(server), _duckdb_counts(warehouse)


@pytest.fixture(scope="module")
def loaded(server: LocalPostgres, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The SIE exports (the tables with a nested column) and the company record."""
    folder = tmp_path_factory.mktemp("postgres-run")
    return _load_both(server, folder, "--resources", "sie,company_information")


def test_a_first_load_and_a_nightly_run_into_postgres_complete(loaded: Any) -> None:
    first, nightly, first_counts, _, _ = loaded
    assert '"outcome": "completed"' in first
    assert '"outcome": "completed"' in nightly
    # The SIE tables, nested objects column included, reached PostgreSQL.
    assert first_counts["sie_voucher_rows"] > 1000
    assert first_counts["sie_balances"] > 0


def test_postgres_holds_what_duckdb_holds_after_the_nightly_run(loaded: Any) -> None:
    _, _, _, postgres_counts, duckdb_counts = loaded
    assert postgres_counts == duckdb_counts


def test_the_objects_column_is_the_json_text_duckdb_writes(
    loaded: Any, server: LocalPostgres
) -> None:
    with psycopg2.connect(server.url) as connection, connection.cursor() as cursor:
        cursor.execute(
            f"select objects from {DEFAULT_DATASET}.sie_voucher_rows"
            " where objects is not null and objects <> '[]' limit 1"
        )
        (text,) = cursor.fetchone()
    assert text.startswith('[{"dimension":') and '"object_id":' in text


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_every_resource_into_postgres_equals_duckdb(
    server: LocalPostgres, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Every resource, first load and nightly: the same tables and row counts on both."""
    with psycopg2.connect(server.url) as connection, connection.cursor() as cursor:
        connection.autocommit = True
        cursor.execute(f"drop schema if exists {DEFAULT_DATASET} cascade")
    folder = tmp_path_factory.mktemp("postgres-run-all")
    first, nightly, _, postgres_counts, duckdb_counts = _load_both(server, folder)
    assert '"outcome": "completed"' in first and '"outcome": "completed"' in nightly
    assert postgres_counts == duckdb_counts


def test_another_destinations_working_folder_is_the_callers_not_the_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dbt resolves a relative target path against `sql/`: the folder must be absolute."""
    from pipelines.pipeline import WarehouseTarget

    monkeypatch.chdir(tmp_path)
    folder = WarehouseTarget(duckdb_path=None, destination="postgres").working_dir
    assert folder.is_absolute()
    assert folder.is_relative_to(tmp_path)
