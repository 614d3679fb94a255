"""The warehouse the models are built in, as dbt sees it (a profile) and as we read it back.

dbt builds the models; a few questions it does not answer are asked here directly: which raw
tables exist (a model whose raw table is absent is not built), how many rows a model has, the
first offending rows of a failed check, and dropping a model that was not built this time (so a
stale figure never passes for a current one). DuckDB is read through the caller's connection
(dbt, in the same process, shares its database instance); PostgreSQL through psycopg2.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import duckdb

from pipelines.warehouse import working_dir_beside

# How many offending rows of a failed check are kept for the report.
CHECK_SAMPLE_ROWS = 5


def quote(identifier: str) -> str:
    """An SQL identifier in double quotes (both DuckDB and PostgreSQL)."""
    return '"' + identifier.replace('"', '""') + '"'


class Warehouse(Protocol):
    """What the build asks of a warehouse besides dbt itself."""

    @property
    def target(self) -> str:
        """The output of `sql/profiles.yml` to use: `duckdb` or `postgres`."""
        ...

    def profile_environment(self, models_schema: str) -> dict[str, str]:
        """The environment variables `sql/profiles.yml` reads for this warehouse."""
        ...

    def work_dir(self) -> Path:
        """dbt's target folder (partial parsing state, compiled SQL, logs) for this warehouse."""
        ...

    def manifest_key(self) -> tuple[str, ...]:
        """What a parsed project depends on here: warehouses with equal keys share a manifest."""
        ...

    def relations(self, schema: str) -> dict[str, str]:
        """Table and view names in a schema, each with its kind (`table` or `view`)."""
        ...

    def count_rows(self, schema: str, name: str) -> int:
        """The number of rows of a relation."""
        ...

    def sample(self, sql: str, limit: int) -> list[dict[str, Any]]:
        """The first rows of a query, as dicts."""
        ...

    def drop(self, schema: str, name: str, kind: str) -> None:
        """Drop a table or view if it exists."""
        ...


@dataclass
class DuckDBWarehouse:
    """A DuckDB file, read through an open connection of the caller."""

    connection: duckdb.DuckDBPyConnection
    target: str = "duckdb"

    @property
    def path(self) -> Path:
        """The database file of the connection.

        Raises:
            ValueError: The connection is to an in-memory database, which dbt (a connection of
                its own) cannot see.
        """
        row = self.connection.execute(
            "select path from duckdb_databases() where database_name = current_database()"
        ).fetchone()
        if not row or not row[0] or str(row[0]) == ":memory:":
            raise ValueError(
                "the models need a warehouse file, not an in-memory database — "
                "connect to a .duckdb file"
            )
        return Path(str(row[0])).resolve()

    def profile_environment(self, models_schema: str) -> dict[str, str]:
        return {"FORTNOX_DUCKDB": str(self.path), "FORTNOX_MODELS_SCHEMA": models_schema}

    def work_dir(self) -> Path:
        return working_dir_beside(self.path) / "dbt"

    def manifest_key(self) -> tuple[str, ...]:
        # dbt-duckdb names the database after the file: relations are "<stem>"."schema"."name".
        return (self.target, self.path.stem)

    def relations(self, schema: str) -> dict[str, str]:
        rows = self.connection.execute(
            "select table_name, table_type from information_schema.tables"
            " where table_catalog = current_database() and table_schema = ?",
            [schema],
        ).fetchall()
        return {name: "view" if kind == "VIEW" else "table" for name, kind in rows}

    def _qualified(self, schema: str, name: str) -> str:
        row = self.connection.execute("select current_database()").fetchone()
        database = str(row[0]) if row else "memory"
        return f"{quote(database)}.{quote(schema)}.{quote(name)}"

    def count_rows(self, schema: str, name: str) -> int:
        row = self.connection.execute(f"select count(*) from {self._qualified(schema, name)}")
        found = row.fetchone()
        return int(found[0]) if found else 0

    def sample(self, sql: str, limit: int) -> list[dict[str, Any]]:
        cursor = self.connection.execute(f"select * from (\n{sql}\n) as offending limit {limit}")
        names = [column[0] for column in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def drop(self, schema: str, name: str, kind: str) -> None:
        self.connection.execute(f"drop {kind} if exists {self._qualified(schema, name)}")


@dataclass(frozen=True)
class PostgresWarehouse:
    """A PostgreSQL database, as dlt's `postgres` destination loads it.

    Attributes:
        host, port, user, password, database: The connection, as in dlt's credentials.
        work_folder: Where dbt's target folder goes (beside the pipeline's working folder).
    """

    host: str
    port: int
    user: str
    password: str
    database: str
    work_folder: Path
    target: str = "postgres"

    @classmethod
    def from_dlt_credentials(cls, credentials: Any, work_folder: Path) -> PostgresWarehouse:
        """From dlt's `PostgresCredentials` (what `pipeline.destination_client()` holds)."""
        return cls(
            host=str(credentials.host),
            port=int(credentials.port or 5432),
            user=str(credentials.username),
            password=str(credentials.password or ""),
            database=str(credentials.database),
            work_folder=work_folder,
        )

    def profile_environment(self, models_schema: str) -> dict[str, str]:
        return {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": self.database,
            "FORTNOX_MODELS_SCHEMA": models_schema,
        }

    def work_dir(self) -> Path:
        return self.work_folder / "dbt"

    def manifest_key(self) -> tuple[str, ...]:
        return (self.target, self.host, str(self.port), self.database)

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        import psycopg2

        connection = psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=self.database,
        )
        try:
            with connection, connection.cursor() as cursor:
                yield cursor
        finally:
            connection.close()

    def relations(self, schema: str) -> dict[str, str]:
        with self._cursor() as cursor:
            cursor.execute(
                "select table_name, table_type from information_schema.tables"
                " where table_schema = %s",
                [schema],
            )
            return {name: "view" if kind == "VIEW" else "table" for name, kind in cursor}

    def count_rows(self, schema: str, name: str) -> int:
        with self._cursor() as cursor:
            cursor.execute(f"select count(*) from {quote(schema)}.{quote(name)}")
            return int(cursor.fetchone()[0])

    def sample(self, sql: str, limit: int) -> list[dict[str, Any]]:
        with self._cursor() as cursor:
            cursor.execute(f"select * from (\n{sql}\n) as offending limit {limit}")
            names = [column[0] for column in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def drop(self, schema: str, name: str, kind: str) -> None:
        with self._cursor() as cursor:
            cursor.execute(f"drop {kind} if exists {quote(schema)}.{quote(name)} cascade")
