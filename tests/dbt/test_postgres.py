"""The models on PostgreSQL: the same sandbox company, loaded with dlt's `postgres` destination,
builds every model there, and every model equals the DuckDB build row for row.

A real local server is started (PostgreSQL 15 here; `.ci/run` installs it when missing); without
one the test is skipped with what to install.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import dlt
import duckdb
import pytest

from pipelines.transform import (
    DEFAULT_DATASET,
    DEFAULT_MODELS_SCHEMA,
    PostgresWarehouse,
    build_models,
)
from tests.conftest import SandboxWarehouse
from tests.dbt.postgres_server import LocalPostgres

pytest.importorskip("psycopg2", reason="install the postgres extra: pip install -e '.[postgres]'")
pytest.importorskip(
    "dbt.adapters.postgres", reason="install the postgres extra: pip install -e '.[postgres]'"
)

_NESTED_TYPES = ("STRUCT", "MAP", "JSON", "[]", "UNION")


def _raw_tables(connection: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Each raw table as Arrow; nested columns as JSON text (as dlt's postgres loader wants)."""
    tables: dict[str, Any] = {}
    names = connection.execute(
        "select table_name from information_schema.tables where table_schema = ?",
        [DEFAULT_DATASET],
    ).fetchall()
    for (name,) in names:
        columns = connection.execute(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = ? and table_name = ? order by ordinal_position",
            [DEFAULT_DATASET, name],
        ).fetchall()
        select = ", ".join(
            f'cast(to_json("{column}") as varchar) as "{column}"'
            if any(marker in kind for marker in _NESTED_TYPES)
            else f'"{column}"'
            for column, kind in columns
        )
        tables[name] = (
            connection.execute(f'select {select} from {DEFAULT_DATASET}."{name}"')
            .arrow()
            .read_all()
        )
    return tables


def _rows(cursor: Any, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor.execute(sql)
    names = [column[0] for column in cursor.description]
    return names, [tuple(_comparable(value) for value in row) for row in cursor.fetchall()]


def _comparable(value: Any) -> Any:
    """Values as both databases' drivers give them, made comparable: instants in UTC, and the
    one floating-point column DuckDB has (`money_quotient` in sql/macros) as the decimal it
    prints as."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((value is None, str(type(value)), str(value)) for value in row)


@pytest.fixture(scope="module")
def built(
    server: LocalPostgres,
    tmp_path_factory: pytest.TempPathFactory,
    seed3_warehouse: Callable[[bool], SandboxWarehouse],
) -> Iterator[Any]:
    """One sandbox company loaded into DuckDB and, with dlt, into PostgreSQL; both built.

    The DuckDB side is the seed-3 warehouse of the model tests (built once per worker,
    read-only here): its raw tables are what dlt loads into PostgreSQL."""
    logging.getLogger("dlt").setLevel(logging.ERROR)
    folder = tmp_path_factory.mktemp("postgres")
    company = seed3_warehouse(True)
    duck = duckdb.connect(str(company.path), read_only=True)
    pipeline = dlt.pipeline(
        pipeline_name="fortnox_postgres_test",
        pipelines_dir=str(folder / "dlt"),
        destination=dlt.destinations.postgres(credentials=server.url),
        dataset_name=DEFAULT_DATASET,
    )
    for name, table in _raw_tables(duck).items():
        pipeline.run(table, table_name=name, write_disposition="replace")
    postgres = PostgresWarehouse(
        host=server.host,
        port=server.port,
        user=server.user,
        password=server.password,
        database=server.database,
        work_folder=folder / "postgres-work",
    )
    postgres_report = build_models(postgres, as_of=company.business_date)
    yield duck, server, company.report, postgres_report
    duck.close()


def test_every_model_builds_and_every_check_holds_on_postgres(built: Any) -> None:
    _, _, duckdb_report, postgres_report = built
    assert duckdb_report.ok, (duckdb_report.failed_models, duckdb_report.failed_checks)
    assert postgres_report.ok, (postgres_report.failed_models, postgres_report.failed_checks)
    assert [(m.name, m.status) for m in postgres_report.models] == [
        (m.name, m.status) for m in duckdb_report.models
    ]
    # The sandbox tables hold no customer or supplier register: those staging models skip.
    assert sum(m.status == "built" for m in postgres_report.models) >= 45
    assert {c.name for c in postgres_report.checks} == {c.name for c in duckdb_report.checks}


def test_every_model_equals_the_duckdb_build_row_for_row(built: Any) -> None:
    import psycopg2

    duck, server, duckdb_report, _ = built
    models = [model for model in duckdb_report.models if model.status == "built"]
    compared = 0
    with psycopg2.connect(server.url) as connection, connection.cursor() as cursor:
        for model in models:
            relation = f'{DEFAULT_MODELS_SCHEMA}."{model.name}"'
            names, postgres_rows = _rows(cursor, f"select * from {relation}")
            duck_cursor = duck.cursor()
            duck_names, duckdb_rows = _rows(duck_cursor, f"select * from {relation}")
            assert names == duck_names, model.name
            assert sorted(postgres_rows, key=_sort_key) == sorted(duckdb_rows, key=_sort_key), (
                model.name
            )
            compared += 1
    assert compared == len(models) >= 45
