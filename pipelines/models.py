"""Build the SQL models in `sql/` into DuckDB, in the order their SQL implies, then run the checks.

Each `sql/<layer>/<name>.sql` file is one SELECT; it becomes the table `<models schema>.<name>`.
The SQL names raw tables and other models by bare name: the runner sets DuckDB's `search_path` to
`<models schema>,<dataset>` and derives the dependency graph with sqlglot (a table name that is a
model's file stem is an edge; any other is a raw table). A model whose raw tables are missing (a
warehouse loaded only from SIE files has no `invoices`) is skipped together with its dependents.

Two comment directives are read from a model's header:

* `-- optional: locked_period, ...`: raw tables that may legitimately be absent and then read as
  empty (a warehouse loaded from SIE files alone has no locked period, so every figure is
  provisional rather than missing). The runner stands in an empty table with the columns the model
  names, all VARCHAR, which the model's casts turn into the right types.
* The first line is the grain comment (`-- one row per ...`), kept for documentation.

Checks (`sql/checks/*.sql`) return offending rows: empty means the check holds.

Seeds (`sql/seeds/<name>.csv`) are small tables kept as data, not code (e.g. which BAS groups
make which statement line): each is loaded, every column as text, into `<models schema>.<name>`
before the models that read it, as dbt loads its seeds; the models cast what they need.
"""

from __future__ import annotations

import graphlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import duckdb
import polars as pl
import sqlglot
from sqlglot import exp

from sources.fortnox import settings

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
MODEL_LAYERS = ("staging", "intermediate", "marts")
CHECKS_LAYER = "checks"
SEEDS_LAYER = "seeds"
DEFAULT_DATASET = settings.DEFAULT_DATASET
DEFAULT_MODELS_SCHEMA = "analytics"
# How many offending rows of a failed check are kept for the report.
CHECK_SAMPLE_ROWS = 5
_OPTIONAL_DIRECTIVE = "-- optional:"
_MATERIALIZED_DIRECTIVE = "-- materialized:"
# The DuckDB variable that models read as "today" (`getvariable('as_of_date')`).
AS_OF_VARIABLE = "as_of_date"

ModelStatus = Literal["built", "skipped", "failed"]
CheckStatus = Literal["passed", "failed", "skipped", "error"]
Materialization = Literal["table", "view"]


class ModelCycleError(ValueError):
    """The models depend on each other in a circle, so no build order exists."""

    def __init__(self, cycle: Sequence[str]) -> None:
        super().__init__("SQL models depend on each other in a cycle: " + " -> ".join(cycle))
        self.cycle = list(cycle)


@dataclass(frozen=True)
class SqlUnit:
    """One SQL file: a model (built into a table) or a check (returns offending rows).

    Attributes:
        name: The file stem; for a model also its table name.
        layer: `seeds`, `staging`, `intermediate`, `marts` or `checks`.
        path: Where the SQL lives.
        sql: The SELECT statement, comments included.
        grain: The first-line comment, without the `--`.
        model_inputs: Other models this SQL reads.
        raw_inputs: Raw (loaded) tables this SQL reads.
        optional_raw_inputs: Raw tables that read as empty when they do not exist.
        referenced_columns: Every column name in the SQL, used to shape empty stand-ins.
        materialized: `table` (the default) or `view` (`-- materialized: view`), for models that
            only rename a big table or add a cheap column: no copy of a million rows.
    """

    name: str
    layer: str
    path: Path
    sql: str
    grain: str
    model_inputs: frozenset[str]
    raw_inputs: frozenset[str]
    optional_raw_inputs: frozenset[str]
    referenced_columns: frozenset[str]
    materialized: Materialization = "table"


@dataclass(frozen=True)
class ModelResult:
    """What happened to one model in a build."""

    name: str
    status: ModelStatus
    seconds: float = 0.0
    rows: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class CheckResult:
    """What one check found; `sample` holds a few offending rows as dicts."""

    name: str
    status: CheckStatus
    offending_rows: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""


@dataclass
class BuildReport:
    """The outcome of `build_models`: per-model and per-check results, and the wall time."""

    models: list[ModelResult] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0

    def model(self, name: str) -> ModelResult:
        """The result for one model, by name."""
        return next(result for result in self.models if result.name == name)

    def check(self, name: str) -> CheckResult:
        """The result for one check, by name."""
        return next(result for result in self.checks if result.name == name)

    @property
    def failed_models(self) -> list[ModelResult]:
        """Models whose SQL raised an error."""
        return [result for result in self.models if result.status == "failed"]

    @property
    def failed_checks(self) -> list[CheckResult]:
        """Checks that returned offending rows or could not run."""
        return [result for result in self.checks if result.status in ("failed", "error")]

    @property
    def ok(self) -> bool:
        """True when every model that could be built was built and every check held."""
        return not self.failed_models and not self.failed_checks


def _strip_header_comments(sql: str) -> list[str]:
    lines: list[str] = []
    for line in sql.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("--"):
            break
        lines.append(stripped)
    return lines


def parse_sql_unit(path: Path, layer: str, model_names: Iterable[str]) -> SqlUnit:
    """Read one SQL file and find what it reads.

    Args:
        path: The `.sql` file.
        layer: The folder it lives in.
        model_names: Stems of every model file: table names among them are model edges.

    Returns:
        The parsed unit.

    Raises:
        ValueError: The file does not hold exactly one statement, or lacks its grain comment.
    """
    sql = path.read_text(encoding="utf-8")
    header = _strip_header_comments(sql)
    if not header:
        raise ValueError(f"{path}: the first line must be a comment giving the model's grain")
    statements = [statement for statement in sqlglot.parse(sql, read="duckdb") if statement]
    if len(statements) != 1:
        raise ValueError(f"{path}: expected one SELECT statement, found {len(statements)}")

    tree = statements[0]
    cte_names = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    known_models = set(model_names)
    table_names = {
        table.name
        for table in tree.find_all(exp.Table)
        if isinstance(table.this, exp.Identifier) and table.name not in cte_names
    }
    optional: set[str] = set()
    materialized: Materialization = "table"
    for line in header:
        if line.lower().startswith(_MATERIALIZED_DIRECTIVE):
            kind = line[len(_MATERIALIZED_DIRECTIVE) :].strip().lower()
            if kind not in ("table", "view"):
                raise ValueError(f"{path}: materialized must be table or view, not {kind!r}")
            materialized = "view" if kind == "view" else "table"
        if line.lower().startswith(_OPTIONAL_DIRECTIVE):
            optional.update(
                name.strip() for name in line[len(_OPTIONAL_DIRECTIVE) :].split(",") if name.strip()
            )
    if optional and materialized == "view":
        raise ValueError(f"{path}: a view cannot read optional raw tables (their stand-ins go)")
    columns = frozenset(column.name for column in tree.find_all(exp.Column) if column.name)
    raw_inputs = frozenset(table_names - known_models)
    return SqlUnit(
        name=path.stem,
        layer=layer,
        path=path,
        sql=sql,
        grain=header[0].removeprefix("--").strip(),
        model_inputs=frozenset(table_names & known_models - {path.stem}),
        raw_inputs=raw_inputs,
        optional_raw_inputs=frozenset(optional & raw_inputs),
        referenced_columns=columns,
        materialized=materialized,
    )


def seed_unit(path: Path) -> SqlUnit:
    """A seed CSV as a model with no inputs: every column read as text, header on line one."""
    literal = "'" + str(path).replace("'", "''") + "'"
    return SqlUnit(
        name=path.stem,
        layer=SEEDS_LAYER,
        path=path,
        sql=f"select * from read_csv({literal}, header = true, all_varchar = true)",
        grain=f"one row per line of {path.name}",
        model_inputs=frozenset(),
        raw_inputs=frozenset(),
        optional_raw_inputs=frozenset(),
        referenced_columns=frozenset(),
    )


def load_project(sql_dir: Path = SQL_DIR) -> tuple[list[SqlUnit], list[SqlUnit]]:
    """Read every seed, model and check under `sql_dir`.

    Returns:
        The seeds and models (in build order) and the checks (by name).

    Raises:
        ModelCycleError: The models' dependencies form a cycle.
        ValueError: Two model files share a name, or a file is malformed.
    """
    seeds = [seed_unit(path) for path in sorted((sql_dir / SEEDS_LAYER).glob("*.csv"))]
    model_paths = [
        (layer, path) for layer in MODEL_LAYERS for path in sorted((sql_dir / layer).glob("*.sql"))
    ]
    names = [seed.name for seed in seeds] + [path.stem for _, path in model_paths]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"model names must be unique across layers: {', '.join(duplicates)}")
    models = seeds + [parse_sql_unit(path, layer, names) for layer, path in model_paths]
    checks = [
        parse_sql_unit(path, CHECKS_LAYER, names)
        for path in sorted((sql_dir / CHECKS_LAYER).glob("*.sql"))
    ]
    return build_order(models), checks


def build_order(models: Sequence[SqlUnit]) -> list[SqlUnit]:
    """Order models so that each comes after the models it reads (ties broken by name).

    Raises:
        ModelCycleError: Naming the models that form the cycle.
    """
    by_name = {model.name: model for model in models}
    sorter = graphlib.TopologicalSorter(
        {model.name: set(model.model_inputs) for model in sorted(models, key=lambda m: m.name)}
    )
    try:
        sorter.prepare()
    except graphlib.CycleError as error:
        raise ModelCycleError(error.args[1]) from None
    ordered: list[SqlUnit] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        ordered.extend(by_name[name] for name in ready)
        sorter.done(*ready)
    return ordered


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _existing_tables(connection: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    rows = connection.execute(
        "select table_name from information_schema.tables "
        "where table_schema = ? and table_catalog = current_database()",
        [schema],
    ).fetchall()
    return {row[0] for row in rows}


def _current_database(connection: duckdb.DuckDBPyConnection) -> str:
    row = connection.execute("select current_database()").fetchone()
    return str(row[0]) if row else "memory"


def _stand_ins_schema(models_schema: str) -> str:
    return f"{models_schema}_empty_inputs"


class _Session:
    """Connection settings for one build: schemas, search path, the as-of date."""

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        dataset: str,
        models_schema: str,
        as_of: date | None,
    ) -> None:
        self.connection = connection
        self.dataset = dataset
        self.models_schema = models_schema
        self.database = _current_database(connection)
        # Qualified with the catalog: a file named like the dataset (fortnox.duckdb holding the
        # schema fortnox) would otherwise make every bare `fortnox` ambiguous.
        self.models = f"{_quote(self.database)}.{_quote(models_schema)}"
        self.stand_ins = f"{_quote(self.database)}.{_quote(_stand_ins_schema(models_schema))}"
        connection.execute(f"create schema if not exists {self.models}")
        connection.execute(f"drop schema if exists {self.stand_ins} cascade")
        connection.execute(f"create schema {self.stand_ins}")
        dataset_exists = connection.execute(
            "select count(*) from duckdb_schemas() "
            "where database_name = current_database() and schema_name = ?",
            [dataset],
        ).fetchone()
        # An empty warehouse has no dataset schema yet: every raw input is then missing.
        path = [self.models, f"{_quote(self.database)}.{_quote(dataset)}", self.stand_ins]
        if not (dataset_exists and dataset_exists[0]):
            del path[1]
        connection.execute("set search_path = ?", [",".join(path)])
        _set_as_of(connection, as_of)
        self.raw_tables = _existing_tables(connection, dataset)

    def missing_inputs(self, unit: SqlUnit) -> list[str]:
        """Raw tables the unit needs that are neither loaded nor optional."""
        return sorted(unit.raw_inputs - self.raw_tables - unit.optional_raw_inputs)

    def stand_in_for_optional(self, unit: SqlUnit) -> None:
        """Create empty stand-ins for the unit's optional raw tables that are not loaded."""
        for table in sorted(unit.optional_raw_inputs - self.raw_tables):
            columns = sorted(unit.referenced_columns | {"company_id"})
            column_list = ", ".join(f"{_quote(column)} varchar" for column in columns)
            self.connection.execute(
                f"create or replace table {self.stand_ins}.{_quote(table)} ({column_list})"
            )

    def close(self) -> None:
        """Remove the stand-ins so that analysts never see them."""
        self.connection.execute("set search_path = ''")
        self.connection.execute(f"drop schema if exists {self.stand_ins} cascade")


def _qualified_sql(session: _Session, model: SqlUnit) -> str:
    """The model's SELECT with every table named by catalog and schema.

    A view keeps its SQL text and is bound when queried, by analysts with no search path set:
    its tables must be fully named.
    """
    tree = sqlglot.parse_one(model.sql, read="duckdb")
    cte_names = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier) or table.name in cte_names or table.db:
            continue
        schema = session.models_schema if table.name in model.model_inputs else session.dataset
        table.set("db", exp.to_identifier(schema, quoted=True))
        table.set("catalog", exp.to_identifier(session.database, quoted=True))
    return tree.sql(dialect="duckdb")


def _drop_relation(connection: duckdb.DuckDBPyConnection, schema: str, name: str) -> None:
    """Drop a model's table or view, whichever it is now (a model may change materialization)."""
    found = connection.execute(
        "select 'table' from duckdb_tables() where database_name = current_database()"
        " and schema_name = ? and table_name = ?"
        " union all select 'view' from duckdb_views() where database_name = current_database()"
        " and schema_name = ? and view_name = ?",
        [schema, name, schema, name],
    ).fetchall()
    for (kind,) in found:
        database = _quote(_current_database(connection))
        connection.execute(f"drop {kind} if exists {database}.{_quote(schema)}.{_quote(name)}")


def _build_one(session: _Session, model: SqlUnit) -> ModelResult:
    target = f"{session.models}.{_quote(model.name)}"
    started = time.perf_counter()
    session.stand_in_for_optional(model)
    try:
        _drop_relation(session.connection, session.models_schema, model.name)
        if model.materialized == "view":
            session.connection.execute(f"create view {target} as\n{_qualified_sql(session, model)}")
            rows = None
        else:
            # DuckDB answers CREATE TABLE AS with the number of rows it wrote.
            written = session.connection.execute(
                f"create table {target} as\n{model.sql}"
            ).fetchone()
            rows = int(written[0]) if written else 0
    except duckdb.Error as error:
        _drop_relation(session.connection, session.models_schema, model.name)
        return ModelResult(model.name, "failed", time.perf_counter() - started, reason=str(error))
    return ModelResult(model.name, "built", time.perf_counter() - started, rows=rows)


def _run_check(session: _Session, check: SqlUnit) -> CheckResult:
    session.stand_in_for_optional(check)
    body = check.sql
    try:
        offending = session.connection.execute(f"select count(*) from (\n{body}\n)").fetchone()
        count = int(offending[0]) if offending else 0
        sample: list[dict[str, Any]] = []
        if count:
            cursor = session.connection.execute(
                f"select * from (\n{body}\n) limit {CHECK_SAMPLE_ROWS}"
            )
            names = [column[0] for column in cursor.description or []]
            sample = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    except duckdb.Error as error:
        return CheckResult(check.name, "error", reason=str(error))
    return CheckResult(check.name, "failed" if count else "passed", count, sample)


def build_models(
    connection: duckdb.DuckDBPyConnection,
    *,
    dataset: str = DEFAULT_DATASET,
    models_schema: str = DEFAULT_MODELS_SCHEMA,
    sql_dir: Path = SQL_DIR,
    as_of: date | None = None,
    run_checks: bool = True,
) -> BuildReport:
    """Build every model into `models_schema`, in dependency order, then run the checks.

    Models whose raw tables are missing are skipped with their dependents (their old tables are
    dropped, so a stale figure never passes for a current one); a model whose SQL fails is
    reported and its dependents are skipped, the rest still build.

    Args:
        connection: An open, writable DuckDB connection to the warehouse.
        dataset: The schema the raw tables were loaded into (the dlt dataset name).
        models_schema: The schema the models are built into.
        sql_dir: The folder holding `staging/`, `intermediate/`, `marts/` and `checks/`.
        as_of: The "today" of the models that look at a single date (aging, the reconciliation's
            current row); None means each company's latest date in its books.
        run_checks: Run `checks/*.sql` after the models.

    Returns:
        Per-model and per-check results.

    Raises:
        ModelCycleError: The models depend on each other in a cycle.
    """
    started = time.perf_counter()
    models, checks = load_project(sql_dir)
    report = BuildReport()
    session = _Session(connection, dataset, models_schema, as_of)
    unavailable: dict[str, str] = {}
    try:
        for model in models:
            reason = _unavailable_reason(session, model, unavailable)
            if reason:
                unavailable[model.name] = reason
                _drop_relation(connection, models_schema, model.name)
                report.models.append(ModelResult(model.name, "skipped", reason=reason))
                continue
            result = _build_one(session, model)
            if result.status == "failed":
                unavailable[model.name] = "failed"
            report.models.append(result)
        if run_checks:
            for check in checks:
                reason = _unavailable_reason(session, check, unavailable)
                if reason:
                    report.checks.append(CheckResult(check.name, "skipped", reason=reason))
                else:
                    report.checks.append(_run_check(session, check))
    finally:
        session.close()
    report.seconds = time.perf_counter() - started
    return report


def _unavailable_reason(session: _Session, unit: SqlUnit, unavailable: dict[str, str]) -> str:
    missing_raw = session.missing_inputs(unit)
    if missing_raw:
        return "raw tables not loaded: " + ", ".join(missing_raw)
    missing_models = sorted(unit.model_inputs & unavailable.keys())
    if missing_models:
        return "depends on models not built: " + ", ".join(missing_models)
    return ""


def _as_of_sensitive(models: Sequence[SqlUnit]) -> set[str]:
    """Models whose rows depend on the as-of date, directly or through an input."""
    sensitive: set[str] = set()
    for model in models:
        if AS_OF_VARIABLE in model.sql or model.model_inputs & sensitive:
            sensitive.add(model.name)
    return sensitive


def _ancestors(models: Sequence[SqlUnit], name: str) -> set[str]:
    by_name = {model.name: model for model in models}
    seen: set[str] = set()
    pending = [name]
    while pending:
        for parent in by_name[pending.pop()].model_inputs:
            if parent not in seen:
                seen.add(parent)
                pending.append(parent)
    return seen


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

    This is how `reconcile --as-of` answers for another date: the model, and every input of it
    whose rows depend on the as-of date, are evaluated into temporary tables that shadow the
    built ones for this connection only; the other inputs are read as built by `build_models`.

    Args:
        connection: An open DuckDB connection (read-only is enough).
        name: The model's name.
        dataset: The raw tables' schema.
        models_schema: The schema the inputs were built into.
        sql_dir: The models' folder.
        as_of: The date the model treats as today; None means each company's latest data date.

    Returns:
        The model's rows.

    Raises:
        KeyError: No model has that name.
        LookupError: An input of the model is not in the warehouse (run `models` first).
    """
    models, _ = load_project(sql_dir)
    if name not in {model.name for model in models}:
        raise KeyError(name)
    upstream = _ancestors(models, name)
    sensitive = _as_of_sensitive(models)
    evaluated = [
        model for model in models if model.name == name or model.name in upstream & sensitive
    ]
    built = _existing_tables(connection, models_schema)
    missing = sorted(upstream - built - {model.name for model in evaluated})
    if missing:
        raise LookupError(f"{name} needs models that are not built ({', '.join(missing)})")
    database = _quote(_current_database(connection))
    search_path = f"temp.main,{database}.{_quote(models_schema)},{database}.{_quote(dataset)}"
    connection.execute("set search_path = ?", [search_path])
    _set_as_of(connection, as_of)
    try:
        for model in evaluated:
            try:
                connection.execute(
                    f"create or replace temp table {_quote(model.name)} as\n{model.sql}"
                )
            except duckdb.CatalogException as error:
                raise LookupError(f"{model.name} cannot be evaluated: {error}") from error
        return connection.execute(f"select * from temp.main.{_quote(name)}").pl()
    finally:
        for model in evaluated:
            connection.execute(f"drop table if exists temp.main.{_quote(model.name)}")
        connection.execute("set search_path = ''")


def _set_as_of(connection: duckdb.DuckDBPyConnection, as_of: date | None) -> None:
    if as_of is None:
        connection.execute(f"reset variable {AS_OF_VARIABLE}")
    else:
        connection.execute(f"set variable {AS_OF_VARIABLE} = ?::date", [as_of.isoformat()])
