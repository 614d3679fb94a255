"""The `query` tool: one read-only SELECT, checked by DuckDB's own parser, capped and timed out.

Three layers, each enough on its own for writes:

1. The guard (`check_select`) refuses anything but a single SELECT before it runs: the first
   keyword must be SELECT, WITH, FROM or VALUES (PRAGMA and SHOW are rewritten to SELECTs by
   DuckDB, so the type alone is not enough), DuckDB's parser must see exactly one statement of
   type SELECT, and the parsed tree may name only the warehouse's `analytics` and `fortnox_raw`
   relations (no other catalog, no table function that reads files or runs other SQL).
2. The session is in memory with the warehouse attached read-only and file access disabled and
   locked, so an INSERT or COPY that got past the guard would still fail.
3. The relations the agent sees are views over the warehouse without personal columns, unless
   personal data was granted for this call.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb

from pipelines.mcp_server.privacy import is_personal_column

QUERY_SCHEMAS = ("analytics", "fortnox_raw")
"""The warehouse schemas an agent may query (models, then raw tables)."""

_READ_ONLY_SCHEMAS = frozenset({*QUERY_SCHEMAS, "information_schema", "pg_catalog", "main"})
_FIRST_KEYWORDS = frozenset({"select", "with", "from", "values", "("})
_TABLE_FUNCTIONS = frozenset(
    {
        "range",
        "generate_series",
        "unnest",
        "duckdb_tables",
        "duckdb_columns",
        "duckdb_views",
        "duckdb_schemas",
        "duckdb_types",
        "duckdb_functions",
    }
)
MAX_SQL_CHARS = 20_000


class QueryRefused(ValueError):
    """The SQL is not a single read-only SELECT over the warehouse."""


@dataclass(frozen=True)
class QueryResult:
    """Rows of one query, at most `row_cap`, with whether more were there."""

    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool


def _first_keyword(connection: duckdb.DuckDBPyConnection, sql: str) -> str:
    """The statement's first token, lower case, by DuckDB's tokenizer (comments skipped)."""
    tokens = duckdb.tokenize(sql)
    if not tokens:
        raise QueryRefused("the query is empty")
    start = tokens[0][0]
    end = tokens[1][0] if len(tokens) > 1 else len(sql)
    return sql[start:end].strip().lower()


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def check_select(connection: duckdb.DuckDBPyConnection, sql: str) -> str:
    """Refuse anything but one SELECT over the warehouse's analytics and raw relations.

    Args:
        connection: Any DuckDB connection (only its parser is used).
        sql: The agent's SQL.

    Returns:
        The statement as DuckDB split it off (no trailing `;` or comment).

    Raises:
        QueryRefused: With the reason, in words an agent can act on.
    """
    if len(sql) > MAX_SQL_CHARS:
        raise QueryRefused(f"the query is longer than {MAX_SQL_CHARS} characters")
    try:
        statements = connection.extract_statements(sql)
    except duckdb.Error as error:
        raise QueryRefused(f"the query does not parse: {error}") from None
    if len(statements) != 1:
        raise QueryRefused(
            f"send exactly one statement (got {len(statements)}); no ';'-separated batches"
        )
    keyword = _first_keyword(connection, sql)
    if keyword not in _FIRST_KEYWORDS or statements[0].type != duckdb.StatementType.SELECT:
        raise QueryRefused(
            f"only a read-only SELECT is allowed, not {keyword.upper()}: the warehouse is "
            "read-only and this tool runs SELECT, WITH ... SELECT, FROM ... and VALUES"
        )
    serialized = connection.execute("select json_serialize_sql(?)", [sql]).fetchone()
    tree: dict[str, Any] = json.loads(serialized[0]) if serialized else {"error": True}
    if tree.get("error") or len(tree.get("statements", [])) != 1:
        raise QueryRefused(
            "only a single plain SELECT is allowed: "
            + str(tree.get("error_message", "the statement could not be analysed"))
        )
    nodes = list(_walk(tree["statements"][0]))
    common_table_expressions = {
        entry.get("key", "").lower()
        for node in nodes
        for entry in (node.get("cte_map") or {}).get("map", [])
    }
    for node in nodes:
        kind = node.get("type")
        if kind == "BASE_TABLE":
            catalog = node.get("catalog_name") or ""
            schema = node.get("schema_name") or ""
            table = node.get("table_name") or ""
            name = ".".join(part for part in (catalog, schema, table) if part)
            if catalog or (schema and schema.lower() not in _READ_ONLY_SCHEMAS):
                raise QueryRefused(
                    f"{name}: query the schemas {', '.join(QUERY_SCHEMAS)} "
                    "(e.g. analytics.fct_trial_balance), not other catalogs or schemas"
                )
            # An unknown bare name would be tried as a file ('/etc/passwd', 'x.csv').
            if not schema and table.lower() not in common_table_expressions:
                raise QueryRefused(
                    f"{table}: name tables with their schema, e.g. analytics.{table} or "
                    "fortnox_raw.invoices (bare names are for WITH queries)"
                )
        elif kind == "TABLE_FUNCTION":
            function = node.get("function", {}).get("function_name", "")
            if function.lower() not in _TABLE_FUNCTIONS:
                raise QueryRefused(
                    f"the table function {function}() is not allowed: read the warehouse's "
                    "tables; allowed table functions are " + ", ".join(sorted(_TABLE_FUNCTIONS))
                )
    return str(statements[0].query)


def _views(connection: duckdb.DuckDBPyConnection, catalog: str, *, personal: bool) -> None:
    """The warehouse's relations as same-named views, personal columns left out unless granted.

    The views live in the session's in-memory catalog, so `analytics.x` in the agent's SQL
    resolves to the view, never to the attached table behind it.
    """
    columns = connection.execute(
        "select table_schema, table_name, column_name from information_schema.columns"
        " where table_catalog = ? and table_schema in ? and not starts_with(table_name, '_dlt')"
        " order by table_schema, table_name, ordinal_position",
        [catalog, list(QUERY_SCHEMAS)],
    ).fetchall()
    relations: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in columns:
        relations.setdefault((schema, table), []).append(column)
    for schema in QUERY_SCHEMAS:
        connection.execute(f'create schema if not exists memory."{schema}"')
    for (schema, table), names in relations.items():
        kept = [name for name in names if personal or not is_personal_column(name)]
        select_list = ", ".join(f'"{name}"' for name in kept) or "null as no_columns"
        connection.execute(
            f'create view memory."{schema}"."{table}" as select {select_list}'
            f' from "{catalog}"."{schema}"."{table}"'
        )


def run_query(
    connection: duckdb.DuckDBPyConnection,
    sql: str,
    *,
    catalog: str,
    row_cap: int,
    timeout_seconds: float,
    personal: bool,
) -> QueryResult:
    """Check and run one SELECT on a bare session (see `WarehouseReader.bare_session`).

    Args:
        connection: An in-memory session with the warehouse attached read-only.
        catalog: The name the warehouse is attached under.
        sql: The agent's SQL.
        row_cap: At most this many rows come back; `truncated` says whether more matched.
        timeout_seconds: The query is interrupted after this long.
        personal: Whether personal columns are visible (granted for this call).

    Raises:
        QueryRefused: Not a single read-only SELECT, or it ran past the timeout.
    """
    body = check_select(connection, sql)
    _views(connection, catalog, personal=personal)
    connection.execute("set lock_configuration = true")
    capped = f"select * from (\n{body}\n) as agent_query limit {int(row_cap) + 1}"
    timer = threading.Timer(timeout_seconds, connection.interrupt)
    timer.start()
    try:
        result = connection.execute(capped)
        rows = result.fetchall()
        description = result.description or []
    except duckdb.InterruptException:
        raise QueryRefused(
            f"the query ran longer than {timeout_seconds:g} s and was stopped: filter by "
            "company and period, or aggregate"
        ) from None
    except duckdb.Error as error:
        raise QueryRefused(f"the query failed: {error}") from None
    finally:
        timer.cancel()
    return QueryResult(
        columns=[column[0] for column in description],
        types=[str(column[1]) for column in description],
        rows=rows[:row_cap],
        truncated=len(rows) > row_cap,
    )
