"""The SQL models (the dbt project in `sql/`): build them into the warehouse, read them back.

`build_models` runs dbt in this process against the warehouse dlt loaded (DuckDB, or
PostgreSQL through `PostgresWarehouse`); `query_model` evaluates one model for another as-of date
from what the last build compiled.
"""

from pipelines.transform.build import (
    DEFAULT_DATASET,
    DEFAULT_MODELS_SCHEMA,
    build_models,
)
from pipelines.transform.dbt_invocation import SQL_DIR, DbtError
from pipelines.transform.project_files import ProjectFile, load_project
from pipelines.transform.query import query_model
from pipelines.transform.report import BuildReport, CheckResult, ModelResult
from pipelines.transform.warehouses import DuckDBWarehouse, PostgresWarehouse

MODELS_DIR = SQL_DIR / "models"

__all__ = [
    "DEFAULT_DATASET",
    "DEFAULT_MODELS_SCHEMA",
    "MODELS_DIR",
    "SQL_DIR",
    "BuildReport",
    "CheckResult",
    "DbtError",
    "DuckDBWarehouse",
    "ModelResult",
    "PostgresWarehouse",
    "ProjectFile",
    "build_models",
    "load_project",
    "query_model",
]
