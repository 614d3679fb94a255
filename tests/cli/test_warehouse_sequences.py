"""The sequences that once lost data with exit 0, through the command line a cron job runs.

One company loaded into two warehouses (`run --profile x --duckdb a`, `run --profile y --duckdb
b`, `run --profile x --duckdb b`), then `sie load` and `run` taking turns on one warehouse: every
load exits 0, and each warehouse holds the company exactly as a fresh full load does (row for
row, so in counts and sums per table), the hand-loaded files whole beside it, and the models
build over both (their data checks fail only on the samples that do not reconcile by design).
The same cases run in-process, in the default test run, in
`tests/pipeline/test_state_follows_warehouse.py` and `tests/sie/test_shared_warehouse.py`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pipelines.exit_codes import ExitCode
from tests.cli.conftest import invoke, serving_sandbox
from tests.pipeline.conftest import differences, query, snapshot
from tests.portfolio.conftest import Portfolio, firm_environment
from tests.sie.conftest import SAMPLE_ROWS, SAMPLES

pytestmark = [
    pytest.mark.slow,  # eight commands against a served sandbox: minutes
    pytest.mark.timeout(1800),  # ... and more on a loaded machine
]

FILES = [str(SAMPLES / row.file_name) for row in SAMPLE_ROWS]


@pytest.fixture(scope="module")
def two_companies() -> Iterator[Portfolio]:
    with serving_sandbox("--companies", "2") as url:
        tenants = httpx.get(f"{url}/_sandbox/truth", timeout=60).json()["tenants"]
        yield Portfolio(url=url, tenants=tenants)


def _environment(portfolio: Portfolio, directory: Path) -> dict[str, str]:
    # Profiles x and y; every command names its profile.
    return {**firm_environment(portfolio, directory, ("x", "y")), "FORTNOX_PROFILE": ""}


def _run(profile: str, warehouse: Path, env: dict[str, str], cwd: Path) -> dict[str, object]:
    code, output = invoke(
        ["run", "--profile", profile, "--duckdb", str(warehouse), "--no-models", "-o", "json"],
        env,
        cwd,
    )
    assert code == 0, output[-1500:]
    summary: dict[str, object] = json.loads(output[output.index("{\n") :])
    assert summary["outcome"] == "completed", summary
    return summary


def _sie_load(warehouse: Path, env: dict[str, str], cwd: Path) -> None:
    code, output = invoke(["sie", "load", *FILES, "--duckdb", str(warehouse)], env, cwd)
    assert code == 0, output[-1500:]


def test_one_company_in_two_warehouses_then_sie_load_and_run_take_turns(
    two_companies: Portfolio, tmp_path: Path
) -> None:
    env = _environment(two_companies, tmp_path)
    x = str(two_companies.tenants[0])
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"

    _run("x", a, env, tmp_path)
    fresh_x = tmp_path / "fresh-x.duckdb"
    shutil.copyfile(a, fresh_x)  # a fresh full load of x, the reference
    _run("y", b, env, tmp_path)
    third = _run("x", b, env, tmp_path)

    # b holds all of x (it held 0 of 199 invoices and 61 of 183 accounts, with exit 0, when
    # the state that decides what to fetch was kept per company instead of per warehouse).
    rows = third["rows"]
    assert isinstance(rows, int) and rows > 8000, third
    assert differences(snapshot(b, x), snapshot(fresh_x, x)) == {}
    assert query(b, "SELECT count(DISTINCT company_id) FROM invoices") == [(2,)]

    # Other programs' SIE files beside the company, in turns with `run`, twice each.
    _sie_load(a, env, tmp_path)
    _run("x", a, env, tmp_path)
    _sie_load(a, env, tmp_path)
    _run("x", a, env, tmp_path)

    assert differences(snapshot(a, x), snapshot(fresh_x, x)) == {}
    hand_loaded = dict(
        query(
            a,
            "SELECT f.file_name, count(v.line_no) FROM sie_files f"
            " LEFT JOIN sie_vouchers v USING (file_sha256)"
            " WHERE f.financial_year_id IS NULL GROUP BY f.file_name",
        )
    )
    assert hand_loaded == {row.file_name: row.vouchers for row in SAMPLE_ROWS}
    # The models build over both. Some samples do not reconcile by design (their README says
    # which): the data checks name those files' companies (exit 5), never the Fortnox company.
    code, output = invoke(["models", "--duckdb", str(a)], env, tmp_path)
    assert code in (0, ExitCode.DATA_CHECK_FAILED), output[-1500:]
    assert f"company_id={x}" not in output
    companies = {
        company
        for (company,) in query(a, "SELECT DISTINCT company_id FROM analytics.fct_trial_balance")
    }
    assert x in companies and "555555-5555" in companies  # SIE-gruppen's sample company
