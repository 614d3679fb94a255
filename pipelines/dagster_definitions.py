"""Dagster definitions: one partition per company, each running the same unit as `run`.

For firms that already schedule their data work in Dagster: every Fortnox table is an asset
(named by `dagster-dlt`'s translator, `dlt_fortnox_<table>`), partitioned by company (one
partition per token profile), and materialising a partition runs `run_company`, the very code
`fortnox-pipeline run --profile NAME` runs: the same client and rate limit, the same state
taken from the warehouse, the same `load_runs` record. Install the extra and point Dagster at
this module:

    pip install -e '.[dagster]'
    FORTNOX_PROFILES=acme,bolaget FORTNOX_DUCKDB=/srv/books/fortnox.duckdb \\
        dagster dev -m pipelines.dagster_definitions

Profiles come from `FORTNOX_PROFILES` (comma separated), else every profile with tokens in
the token directory (`FORTNOX_TOKEN_DIR`, else the user config directory). A DuckDB file has
one writer, so the asset is in the concurrency pool `fortnox_warehouse`: give that pool a
limit of 1 (`dagster instance concurrency set fortnox_warehouse 1`) when partitions may run at
once; `fortnox-pipeline run --all` fetches companies in parallel within one process instead.
"""

# No `from __future__ import annotations`: Dagster reads the `context` annotation at runtime.
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import dlt
from dagster import (
    AssetExecutionContext,
    Definitions,
    MaterializeResult,
    StaticPartitionsDefinition,
    define_asset_job,
    multi_asset,
)
from dagster_dlt import DagsterDltTranslator, build_dlt_asset_specs

from pipelines.pipeline import DEFAULT_DATASET, RunSummary, WarehouseTarget, run_company
from sources.fortnox import fortnox_source
from sources.fortnox.client import FortnoxClient, client_from_config
from sources.fortnox.profiles import resolve_token_dir
from sources.fortnox.token_store import TokenStore

WAREHOUSE_POOL = "fortnox_warehouse"
"""Dagster concurrency pool of every partition: one writer per DuckDB file."""


class _NoRequests:
    """Stands in for a client where the source is only made to name its resources; making the
    source sends nothing (its calendar is read on first use), and any use here is a defect."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError("the Dagster definitions must not call Fortnox while loading")


def _source_shape() -> Any:
    """The Fortnox source's resources, for naming assets (no request is sent)."""
    return fortnox_source(cast(FortnoxClient, _NoRequests()), "0")


def fortnox_definitions(
    profiles: Sequence[str],
    *,
    duckdb_path: Path,
    dataset: str = DEFAULT_DATASET,
    token_dir: Path | None = None,
) -> Definitions:
    """The Dagster definitions of a firm's companies loading into one DuckDB warehouse.

    Args:
        profiles: token profiles, one per company: the partitions.
        duckdb_path: the warehouse.
        dataset: the schema of the raw tables.
        token_dir: where the profiles' token files are (else as `run` resolves it).
    """
    partitions = StaticPartitionsDefinition(list(profiles))
    shape = _source_shape()
    specs = build_dlt_asset_specs(
        dlt_source=shape,
        dlt_pipeline=dlt.pipeline(
            pipeline_name="fortnox",
            destination=dlt.destinations.duckdb(str(duckdb_path)),
            dataset_name=dataset,
        ),
        dagster_dlt_translator=DagsterDltTranslator(),
    )
    resource_of = dict(zip((spec.key for spec in specs), shape.selected_resources, strict=True))
    target = WarehouseTarget(duckdb_path=duckdb_path, dataset=dataset)

    @multi_asset(
        name="fortnox_company",
        specs=specs,
        partitions_def=partitions,
        pool=WAREHOUSE_POOL,
    )
    def fortnox_company(context: AssetExecutionContext) -> Iterator[MaterializeResult]:
        """One company (the partition's profile) loaded as `run --profile` loads it."""
        from pipelines.cli.run import company_id_of

        profile = context.partition_key
        with client_from_config(profile, token_dir=token_dir) as client:
            company_id = company_id_of(client)
            summary = run_company(client, company_id=company_id, profile=profile, target=target)
        context.log.info(
            f"company {company_id} ({profile}): {summary.requests} requests, "
            f"{summary.rows} rows, run {summary.run_id}"
        )
        for key, resource in resource_of.items():
            yield MaterializeResult(asset_key=key, metadata=_metadata(summary, resource))

    job = define_asset_job(
        "fortnox_companies", selection=[fortnox_company], partitions_def=partitions
    )
    return Definitions(assets=[fortnox_company], jobs=[job])


def _metadata(summary: RunSummary, resource: str) -> dict[str, Any]:
    metrics = summary.resources.get(resource)
    return {
        "company_id": summary.company_id,
        "run_id": summary.run_id,
        "rows": metrics.rows if metrics else 0,
        "requests": metrics.requests if metrics else 0,
    }


def profiles_from_environment() -> list[str]:
    """`FORTNOX_PROFILES`, else every profile with tokens in the token directory."""
    listed = [name.strip() for name in os.environ.get("FORTNOX_PROFILES", "").split(",")]
    if any(listed):
        return [name for name in listed if name]
    return TokenStore(resolve_token_dir()).profiles()


defs = fortnox_definitions(
    profiles_from_environment(),
    duckdb_path=Path(os.environ.get("FORTNOX_DUCKDB", "fortnox.duckdb")),
)
"""What `dagster dev -m pipelines.dagster_definitions` loads."""
