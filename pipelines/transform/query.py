"""Evaluate one model for another as-of date, from the models already built, changing nothing.

This is how `reconcile --as-of` (and the MCP server, the close report, the audit pack) answer for
a date the models were not built for. The models read "today" from a session setting
(`as_of_date()` in `sql/macros/`), not from their compiled SQL, so the SELECTs dbt compiled at
the last build serve any date: the model, and every input of it whose rows depend on the as-of
date, are evaluated into temporary tables of this connection only; the other inputs are read as
built.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipelines.transform.build import COMPILED_MODELS_FILE, DEFAULT_DATASET, DEFAULT_MODELS_SCHEMA
from pipelines.transform.dbt_invocation import SQL_DIR
from pipelines.transform.warehouses import DuckDBWarehouse, quote

# The session setting the models read as "today" (DuckDB's `getvariable('as_of_date')`).
AS_OF_VARIABLE = "as_of_date"
_AS_OF_MARKER = f"getvariable('{AS_OF_VARIABLE}')"


def _compiled_models(connection: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    path = DuckDBWarehouse(connection).work_dir() / COMPILED_MODELS_FILE
    try:
        return dict(json.loads(path.read_text("utf-8")))
    except FileNotFoundError:
        return {"models": {}}


def _ancestors(models: dict[str, Any], name: str) -> set[str]:
    seen: set[str] = set()
    pending = [name]
    while pending:
        for parent in models.get(pending.pop(), {}).get("parents", []):
            if parent not in seen:
                seen.add(parent)
                pending.append(parent)
    return seen


def _as_of_sensitive(models: dict[str, Any]) -> set[str]:
    """Models whose rows depend on the as-of date, directly or through an input (build order)."""
    sensitive: set[str] = set()
    for name, model in models.items():
        if _AS_OF_MARKER in model["sql"] or sensitive.intersection(model["parents"]):
            sensitive.add(name)
    return sensitive


def query_model(
    connection: duckdb.DuckDBPyConnection,
    name: str,
    *,
    dataset: str = DEFAULT_DATASET,
    models_schema: str = DEFAULT_MODELS_SCHEMA,
    sql_dir: Path = SQL_DIR,
    as_of: date | None = None,
) -> pl.DataFrame:
    """Evaluate one model as of a date, from already-built inputs, without changing the warehouse.

    Args:
        connection: An open DuckDB connection to the warehouse file (read-only is enough).
        name: The model's name.
        dataset: The raw tables' schema (kept for callers; the compiled SQL names it).
        models_schema: The schema the inputs were built into.
        sql_dir: The dbt project (kept for callers; the compiled SQL of the last build is used).
        as_of: The date the model treats as today; None means each company's latest data date.

    Returns:
        The model's rows.

    Raises:
        KeyError: No model has that name.
        LookupError: The model or an input of it is not in the warehouse (run `models` first).
    """
    del dataset, sql_dir
    compiled = _compiled_models(connection)
    models: dict[str, Any] = compiled.get("models", {})
    project_models = {path.stem for path in (SQL_DIR / "models").rglob("*.sql")}
    if name not in models:
        if name in project_models:
            raise LookupError(f"{name} is not built (run `fortnox-pipeline models` first)")
        raise KeyError(name)
    upstream = _ancestors(models, name)
    sensitive = _as_of_sensitive(models)
    evaluated = [model for model in models if model == name or model in upstream & sensitive]
    built = set(DuckDBWarehouse(connection).relations(models_schema))
    missing = sorted(upstream - built - set(evaluated))
    if missing:
        raise LookupError(f"{name} needs models that are not built ({', '.join(missing)})")
    database_row = connection.execute("select current_database()").fetchone()
    database = quote(str(database_row[0]) if database_row else "memory")
    _set_as_of(connection, as_of)
    try:
        for model in evaluated:
            sql = models[model]["sql"]
            for parent, relation in models[model]["parent_relations"].items():
                replacement = (
                    f"temp.main.{quote(parent)}"
                    if parent in evaluated
                    else f"{database}.{quote(models_schema)}.{quote(parent)}"
                )
                sql = sql.replace(relation, replacement)
            try:
                connection.execute(f"create or replace temp table {quote(model)} as\n{sql}")
            except duckdb.CatalogException as error:
                raise LookupError(f"{model} cannot be evaluated: {error}") from error
        return connection.execute(f"select * from temp.main.{quote(name)}").pl()
    finally:
        for model in evaluated:
            connection.execute(f"drop table if exists temp.main.{quote(model)}")


def _set_as_of(connection: duckdb.DuckDBPyConnection, as_of: date | None) -> None:
    if as_of is None:
        connection.execute(f"reset variable {AS_OF_VARIABLE}")
    else:
        connection.execute(f"set variable {AS_OF_VARIABLE} = ?::date", [as_of.isoformat()])
