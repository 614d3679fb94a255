"""Build the dbt project in `sql/` into a warehouse, then report per model and per check.

The order, the materialisations and the checks are dbt's (`dbt build`, one invocation after one
`parse`). What this module adds is what the pipeline's users relied on before dbt: a model whose
raw table was never loaded (and is not `optional` in the sources YAML) is not built, nor is
anything downstream of it, and its old table is dropped; a model that fails or is skipped also
loses its old table, so a stale figure never passes for a current one; the report carries row
counts and the first offending rows of a failed check.
"""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from pipelines.transform.dbt_invocation import SQL_DIR, invoke
from pipelines.transform.report import BuildReport, CheckResult, ModelResult
from pipelines.transform.warehouses import (
    CHECK_SAMPLE_ROWS,
    DuckDBWarehouse,
    Warehouse,
)
from sources.fortnox import settings

DEFAULT_DATASET = settings.DEFAULT_DATASET
DEFAULT_MODELS_SCHEMA = "analytics"
SOURCE_NAME = "fortnox"
# The compiled SELECT of every built model, for `query_model` (written beside dbt's target).
COMPILED_MODELS_FILE = "compiled_models.json"
_BUILT_KINDS = ("model", "seed")


def as_warehouse(warehouse: duckdb.DuckDBPyConnection | Warehouse) -> Warehouse:
    """A DuckDB connection as a `Warehouse`; a `Warehouse` as itself."""
    if isinstance(warehouse, duckdb.DuckDBPyConnection):
        return DuckDBWarehouse(warehouse)
    return warehouse


# Parsed projects of this process, by warehouse kind and project state (see `_parsed_project`).
_MANIFESTS: dict[tuple[str, ...], Any] = {}


def _project_fingerprint(project_dir: Path) -> tuple[str, ...]:
    """Every file of the project with its size and modification time: a change means parse."""
    return tuple(
        f"{path}:{stat.st_size}:{stat.st_mtime_ns}"
        for path in sorted(project_dir.rglob("*"))
        if path.is_file() and (stat := path.stat())
    )


def _parsed_project(target: Warehouse, common: dict[str, Any], models_schema: str) -> Any:
    """The project's manifest: from this process's last parse when nothing it depends on changed.

    dbt's partial parsing keeps its state in the target folder beside each warehouse, and throws
    it away when the connection differs (another warehouse file): a full parse reads every macro
    of dbt itself (seconds). A process that builds several warehouses of the same name (a
    portfolio's companies, the tests) parses once.
    """
    key = (
        *target.manifest_key(),
        models_schema,
        str(common["project_dir"]),
        repr(sorted(common["variables"].items())),
        *_project_fingerprint(common["project_dir"]),
    )
    if key not in _MANIFESTS:
        _MANIFESTS.clear()
        _MANIFESTS[key] = invoke(["parse"], **common).result
    return _MANIFESTS[key]


def _variables(dataset: str) -> dict[str, str]:
    # Only when not the default: a change of --vars makes dbt parse the whole project again.
    return {} if dataset == DEFAULT_DATASET else {"fortnox_dataset": dataset}


def _missing_sources(manifest: Any, warehouse: Warehouse, dataset: str) -> dict[str, str]:
    """Unique id → table name of each non-optional raw table that is not in the warehouse."""
    loaded = set(warehouse.relations(dataset))
    return {
        unique_id: source.name
        for unique_id, source in manifest.sources.items()
        if source.source_name == SOURCE_NAME
        and source.package_name == manifest.metadata.project_name
        and not source.meta.get("optional")
        and source.name not in loaded
    }


def _descendants(manifest: Any, roots: dict[str, str]) -> dict[str, str]:
    """Each node downstream of the roots → the comma-separated roots it depends on."""
    reasons: dict[str, set[str]] = {}
    for root, label in roots.items():
        pending = [root]
        seen = {root}
        while pending:
            for child in manifest.child_map.get(pending.pop(), []):
                if child not in seen:
                    seen.add(child)
                    pending.append(child)
                    reasons.setdefault(child, set()).add(label)
    return {node: ", ".join(sorted(labels)) for node, labels in reasons.items()}


def build_models(
    warehouse: duckdb.DuckDBPyConnection | Warehouse,
    *,
    dataset: str = DEFAULT_DATASET,
    models_schema: str = DEFAULT_MODELS_SCHEMA,
    sql_dir: Path = SQL_DIR,
    as_of: date | None = None,
    run_checks: bool = True,
) -> BuildReport:
    """Build every seed and model into `models_schema` with dbt, then run the checks.

    Args:
        warehouse: An open, writable connection to a DuckDB warehouse file, or a
            `PostgresWarehouse`.
        dataset: The schema the raw tables were loaded into (the dlt dataset name).
        models_schema: The schema the models are built into.
        sql_dir: The dbt project.
        as_of: The "today" of the models that look at a single date (aging, the reconciliation's
            current row); None means each company's latest date in its books.
        run_checks: Run the checks (dbt tests) too.

    Returns:
        Per-model and per-check results.

    Raises:
        DbtError: dbt could not run (a project or connection error).
        ValueError: The DuckDB connection is to an in-memory database.
    """
    started = time.perf_counter()
    target = as_warehouse(warehouse)
    work_dir = target.work_dir()
    common: dict[str, Any] = {
        "project_dir": sql_dir,
        "work_dir": work_dir,
        "target": target.target,
        "environment": target.profile_environment(models_schema)
        | {"FORTNOX_AS_OF_DATE": as_of.isoformat() if as_of else ""},
        "variables": _variables(dataset),
    }
    manifest = _parsed_project(target, common, models_schema)
    missing = _missing_sources(manifest, target, dataset)
    not_loaded = _descendants(manifest, missing)
    command = ["build"]
    for table in sorted(missing.values()):
        command += ["--exclude", f"source:{SOURCE_NAME}.{table}+"]
    if not run_checks:
        command += ["--exclude-resource-type", "test"]
    outcome = invoke(command, manifest=manifest, **common)
    report = _report(manifest, outcome.result, not_loaded, target, models_schema, run_checks)
    _drop_not_built(report, target, models_schema)
    _write_compiled(work_dir, manifest, outcome.result, models_schema)
    report.seconds = time.perf_counter() - started
    return report


def _report(
    manifest: Any,
    execution: Any,
    not_loaded: dict[str, str],
    warehouse: Warehouse,
    models_schema: str,
    run_checks: bool,
) -> BuildReport:
    """Per-node results in build order; nodes dbt did not run are skipped with the reason."""
    report = BuildReport()
    results = {result.node.unique_id: result for result in execution.results} if execution else {}
    not_built: set[str] = set()
    relations = warehouse.relations(models_schema)
    for unique_id in _build_order(manifest):
        node = manifest.nodes[unique_id]
        result = results.get(unique_id)
        if node.resource_type in _BUILT_KINDS:
            model = _model_result(node, result, not_loaded, not_built, manifest)
            if model.status != "built":
                not_built.add(unique_id)
            elif node.config.materialized != "view" and node.name in relations:
                model = ModelResult(
                    model.name,
                    "built",
                    model.seconds,
                    warehouse.count_rows(models_schema, node.name),
                )
            report.models.append(model)
        elif node.resource_type == "test" and run_checks:
            report.checks.append(_check_result(node, result, not_loaded, not_built, warehouse))
    return report


def _parents(node: Any) -> list[str]:
    """The nodes a node reads (a seed reads none: its `depends_on` lists only macros)."""
    return list(getattr(node.depends_on, "nodes", []))


def _build_order(manifest: Any) -> list[str]:
    """Seeds, models and tests of this project, each after its parents (ties by name)."""
    project = manifest.metadata.project_name
    wanted = {
        unique_id
        for unique_id, node in manifest.nodes.items()
        if node.package_name == project and node.resource_type in (*_BUILT_KINDS, "test")
    }
    ordered: list[str] = []
    placed: set[str] = set()
    remaining = sorted(wanted, key=lambda unique_id: manifest.nodes[unique_id].name)
    while remaining:
        ready = [
            unique_id
            for unique_id in remaining
            if all(
                parent in placed or parent not in wanted
                for parent in _parents(manifest.nodes[unique_id])
            )
        ]
        ordered += ready
        placed.update(ready)
        remaining = [unique_id for unique_id in remaining if unique_id not in placed]
    return ordered


def _unbuilt_parents(node: Any, not_built: set[str], manifest: Any) -> str:
    names = sorted(manifest.nodes[parent].name for parent in _parents(node) if parent in not_built)
    return ", ".join(names)


def _model_result(
    node: Any, result: Any, not_loaded: dict[str, str], not_built: set[str], manifest: Any
) -> ModelResult:
    if node.unique_id in not_loaded:
        return ModelResult(
            node.name, "skipped", reason="raw tables not loaded: " + not_loaded[node.unique_id]
        )
    if result is None or str(result.status) == "skipped":
        parents = _unbuilt_parents(node, not_built, manifest)
        reason = f"depends on models not built: {parents}" if parents else "not run"
        return ModelResult(node.name, "skipped", reason=reason)
    seconds = float(result.execution_time or 0.0)
    if str(result.status) == "error":
        return ModelResult(node.name, "failed", seconds, reason=str(result.message or ""))
    return ModelResult(node.name, "built", seconds)


def _check_result(
    node: Any, result: Any, not_loaded: dict[str, str], not_built: set[str], warehouse: Warehouse
) -> CheckResult:
    name = node.name
    if node.unique_id in not_loaded:
        return CheckResult(
            name, "skipped", reason="raw tables not loaded: " + not_loaded[node.unique_id]
        )
    if result is None or str(result.status) == "skipped":
        return CheckResult(name, "skipped", reason="depends on models not built")
    status = str(result.status)
    if status == "error":
        return CheckResult(name, "error", reason=str(result.message or ""))
    offending = int(result.failures or 0)
    if status == "pass" or not offending:
        return CheckResult(name, "passed")
    compiled = getattr(result.node, "compiled_code", None)
    sample = warehouse.sample(compiled, CHECK_SAMPLE_ROWS) if compiled else []
    return CheckResult(name, "failed", offending, sample)


def _drop_not_built(report: BuildReport, warehouse: Warehouse, models_schema: str) -> None:
    """Drop the old table of every model not built this time: a stale figure is worse than none."""
    existing = warehouse.relations(models_schema)
    for model in report.models:
        if model.status != "built" and model.name in existing:
            warehouse.drop(models_schema, model.name, existing[model.name])


def _write_compiled(work_dir: Path, manifest: Any, execution: Any, models_schema: str) -> None:
    """Keep each built model's compiled SELECT, parents and relation, in build order.

    `query_model` evaluates models for another as-of date from these, without parsing the
    project again (which costs seconds) and without a dbt connection of its own.
    """
    compiled: dict[str, Any] = {}
    for result in execution.results if execution else []:
        node = result.node
        if node.resource_type != "model" or str(result.status) != "success":
            continue
        compiled[node.name] = {
            "relation": node.relation_name,
            "sql": node.compiled_code,
            "parents": [
                manifest.nodes[parent].name for parent in _parents(node) if parent in manifest.nodes
            ],
            "parent_relations": {
                manifest.nodes[parent].name: manifest.nodes[parent].relation_name
                for parent in _parents(node)
                if parent in manifest.nodes
            },
        }
    path = work_dir / COMPILED_MODELS_FILE
    path.write_text(json.dumps({"models_schema": models_schema, "models": compiled}), "utf-8")
