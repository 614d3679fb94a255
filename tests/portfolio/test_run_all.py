"""`run --all` against a served sandbox of three companies, through the real command line.

Acceptance of issue 14: the portfolio equals three separate runs row for row; a company whose
login was revoked fails alone and the exit code says so; every company's run is recorded.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from pipelines.exit_codes import ExitCode
from tests.pipeline.conftest import differences, snapshot
from tests.portfolio.conftest import (
    PROFILES,
    Portfolio,
    SeparateLoads,
    firm_environment,
    invoke,
)


def load_runs(path: Path) -> list[tuple[str, str, str, str | None]]:
    """(profile, company_id, outcome, error) of every recorded run, by profile."""
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(
            "SELECT profile, company_id, outcome, error FROM fortnox_raw.load_runs ORDER BY 1"
        ).fetchall()


def test_run_all_equals_separate_runs_row_for_row(
    portfolio: Portfolio, separate_loads: SeparateLoads, tmp_path: Path
) -> None:
    environment = firm_environment(portfolio, tmp_path)
    warehouse = tmp_path / "firm.duckdb"
    code, output = invoke(
        ["run", "--all", "--parallel", "3", "--duckdb", str(warehouse), "-o", "json"],
        environment,
        tmp_path,
    )
    assert code == 0, output
    document = json.loads(output[output.index("{") : output.rindex("}") + 1])
    assert [company["profile"] for company in document["companies"]] == sorted(PROFILES)
    assert all(company["outcome"] == "completed" for company in document["companies"])
    assert all(company["throttled"] == 0 for company in document["companies"])
    for profile in PROFILES:
        company_id = separate_loads.company_ids[profile]
        found = differences(snapshot(warehouse, company_id), separate_loads.snapshot(profile))
        assert not found, f"{profile}: {found}"
    # Nothing but the three companies is in the warehouse.
    assert (
        differences(
            snapshot(warehouse),
            _union(snapshot(warehouse, cid) for cid in separate_loads.company_ids.values()),
        )
        == {}
    )
    runs = load_runs(warehouse)
    assert [(profile, outcome) for profile, _, outcome, _ in runs] == [
        (profile, "completed") for profile in sorted(PROFILES)
    ]
    # One plain line per company for cron (stderr is not a terminal here).
    for profile in PROFILES:
        assert f"{profile} ({separate_loads.company_ids[profile]}): completed in" in output
    # The models were built once, after the run, over every company.
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        modelled = connection.execute(
            "SELECT DISTINCT company_id FROM analytics.fct_trial_balance ORDER BY 1"
        ).fetchall()
    assert modelled == sorted((cid,) for cid in separate_loads.company_ids.values())


def test_a_revoked_company_fails_alone_and_the_exit_code_says_so(
    portfolio: Portfolio, separate_loads: SeparateLoads, tmp_path: Path
) -> None:
    environment = firm_environment(portfolio, tmp_path)
    revoked_profile, revoked_tenant = PROFILES[1], portfolio.tenants[1]
    assert portfolio.control("POST", "/_sandbox/revoke", tenant=revoked_tenant)["revoked"] > 0
    warehouse = tmp_path / "firm.duckdb"
    # `ghost` never logged in: its run cannot even start, and is recorded as refused.
    profiles = ",".join([*PROFILES, "ghost"])
    code, output = invoke(
        # No models: this test reads raw tables; `run --all` above builds them after a run.
        ["run", "--profile", profiles, "--duckdb", str(warehouse), "--no-models", "-o", "table"],
        environment,
        tmp_path,
    )
    assert code == ExitCode.AUTH_NEEDED, output
    assert f"{revoked_profile} ({revoked_tenant}): failed, exit 3" in output
    assert "Traceback" not in output
    for profile in PROFILES:
        if profile == revoked_profile:
            continue
        company_id = separate_loads.company_ids[profile]
        found = differences(snapshot(warehouse, company_id), separate_loads.snapshot(profile))
        assert not found, f"{profile}: {found}"
    revoked_rows = snapshot(warehouse, str(revoked_tenant))
    assert not any(revoked_rows.values()), "the revoked company has no rows"
    runs = {
        profile: (company, outcome, error)
        for profile, company, outcome, error in load_runs(warehouse)
    }
    assert set(runs) == {*PROFILES, "ghost"}, "every company's run is recorded"
    assert runs["ghost"][:2] == ("unknown", "refused")
    assert "ghost (company unknown): failed, exit 3" in output
    company, outcome, error = runs[revoked_profile]
    assert (company, outcome) == (str(revoked_tenant), "failed")
    assert error and "AuthenticationRequired" in error


def _union(snapshots):  # type: ignore[no-untyped-def]
    merged: dict = {}
    for one in snapshots:
        for table, rows in one.items():
            merged[table] = merged.get(table, type(rows)()) + rows
    return merged
