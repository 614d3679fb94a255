"""The Dagster definitions (`pip install -e '.[dagster]'`, part of the dev extra) materialise two
company partitions against the sandbox with Dagster's in-process executor, and each partition
equals a separate `run --profile` of that company row for row."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.pipeline.conftest import differences, snapshot
from tests.portfolio.conftest import PROFILES, Portfolio, SeparateLoads, firm_environment

pytest.importorskip(
    "dagster", reason="Dagster is not installed: pip install -e '.[dagster]' (or '.[dev]')"
)
pytest.importorskip(
    "dagster_dlt", reason="dagster-dlt is not installed: pip install -e '.[dagster]' (or '.[dev]')"
)


@pytest.mark.slow  # an optional extra; about 50 s
def test_two_company_partitions_materialise_against_the_sandbox(
    portfolio: Portfolio,
    separate_loads: SeparateLoads,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dagster import DagsterInstance

    from pipelines.dagster_definitions import fortnox_definitions

    for name, value in firm_environment(portfolio, tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    warehouse = tmp_path / "dagster.duckdb"
    chosen = list(PROFILES[:2])
    definitions = fortnox_definitions(chosen, duckdb_path=warehouse)
    job = definitions.resolve_job_def("fortnox_companies")

    with DagsterInstance.ephemeral() as instance:
        for profile in chosen:
            result = job.execute_in_process(partition_key=profile, instance=instance)
            assert result.success
            materialised = result.asset_materializations_for_node("fortnox_company")
            keys = {event.asset_key.to_user_string() for event in materialised}
            assert {"dlt_fortnox_sie", "dlt_fortnox_invoices"} <= keys
            company = separate_loads.company_ids[profile]
            assert {str(event.metadata["company_id"].value) for event in materialised} == {company}
            sie_rows = next(
                event.metadata["rows"].value
                for event in materialised
                if event.asset_key.to_user_string() == "dlt_fortnox_sie"
            )
            assert int(sie_rows) > 0

    for profile in chosen:
        company_id = separate_loads.company_ids[profile]
        found = differences(snapshot(warehouse, company_id), separate_loads.snapshot(profile))
        assert not found, f"{profile}: {found}"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        runs = connection.execute(
            "SELECT profile, outcome FROM fortnox_raw.load_runs ORDER BY 1"
        ).fetchall()
    assert runs == [(profile, "completed") for profile in sorted(chosen)]
