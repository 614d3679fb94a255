"""A resource the company's licence does not cover: skipped with a warning and recorded; the run
succeeds; `--strict` fails it with exit 9 and loads nothing; `doctor` lists what was skipped."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines import doctor
from pipelines.cli import app
from pipelines.cli.run import exit_code_of
from pipelines.exit_codes import ExitCode
from pipelines.sandbox_session import SandboxSession
from sources.fortnox.errors import ScopeMissing
from sources.fortnox_sandbox.state import SandboxConfig
from tests.pipeline.conftest import DATASET, Loader


def _session_without(scope: str) -> SandboxSession:
    return SandboxSession(SandboxConfig(seed=1, rate_limit=None, unlicensed=frozenset({scope})))


def test_an_unlicensed_resource_is_skipped_warned_and_recorded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    session = _session_without("project")
    loader = Loader(session, session.tenants[0], tmp_path / "w")
    with caplog.at_level(logging.WARNING, logger="sources.fortnox"):
        summary = loader.run()

    assert summary.outcome == "completed"
    assert summary.skipped == {"projects": "project"}
    warnings = [r.getMessage() for r in caplog.records if "skipped projects" in r.getMessage()]
    assert len(warnings) == 1 and "`project`" in warnings[0]
    assert summary.as_metrics_json()["skipped"] == {"projects": "project"}
    assert loader.duckdb_path is not None
    with duckdb.connect(str(loader.duckdb_path), read_only=True) as connection:
        recorded = connection.execute(
            f"SELECT outcome, skipped FROM {DATASET}.load_runs WHERE run_id = ?", [summary.run_id]
        ).fetchone()
        tables = {
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
                [DATASET],
            ).fetchall()
        }
    assert recorded is not None and recorded[0] == "completed"
    assert json.loads(recorded[1]) == {"projects": "project"}
    assert "projects" not in tables and {"invoices", "cost_centers"} <= tables

    # `doctor` lists what the last run skipped, with the scope, as a warning (not a failure).
    skipped = doctor.skipped_resources(loader.duckdb_path, DATASET)
    assert skipped.ok and skipped.warning
    assert f"company {session.tenants[0]}: projects (`project`)" in skipped.detail
    result = CliRunner().invoke(
        app,
        ["doctor", "--offline", "-o", "json", "--duckdb", str(loader.duckdb_path)],
        env={"FORTNOX_TOKEN_DIR": str(tmp_path / "no-tokens")},
    )
    checks = {check["name"]: check for check in json.loads(result.output)["checks"]}
    assert checks["skipped by the last run"]["detail"] == skipped.detail


def test_strict_fails_the_run_with_exit_9_and_loads_nothing(tmp_path: Path) -> None:
    session = _session_without("project")
    loader = Loader(session, session.tenants[0], tmp_path / "w")
    with pytest.raises(Exception) as raised:
        loader.run(strict=True)
    assert exit_code_of(raised.value) == ExitCode.SCOPE_MISSING == 9
    assert isinstance(raised.value.__cause__ or raised.value, Exception)
    assert loader.summaries == [] or loader.summaries[-1].outcome == "failed"
    assert loader.duckdb_path is not None
    with duckdb.connect(str(loader.duckdb_path), read_only=True) as connection:
        tables = {
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
                [DATASET],
            ).fetchall()
        }
        outcome = connection.execute(f"SELECT outcome, error FROM {DATASET}.load_runs").fetchall()
    assert "invoices" not in tables  # nothing of the run was loaded
    assert outcome[0][0] == "failed" and "project" in outcome[0][1]


def test_scope_missing_is_the_exit_9_error() -> None:
    error = ScopeMissing("GET /3/projects", 403, "project")
    assert exit_code_of(error) == ExitCode.SCOPE_MISSING


def test_run_offers_strict() -> None:
    result = CliRunner().invoke(app, ["run", "--help"], terminal_width=200)
    assert "--strict" in result.output


def test_strict_exits_9_even_when_dlt_closing_a_running_resource_hides_the_403() -> None:
    """With requests in flight (a real network), dlt closes the other resources' generators
    after the 403 and one is still running: its `ValueError` must not turn exit 9 into 1."""
    from dlt.extract.exceptions import ResourceExtractionError

    try:
        try:
            try:
                raise ScopeMissing("GET /3/orders", 403, "order")
            except ScopeMissing as error:
                raise ResourceExtractionError("orders", None, str(error), "future") from error
        except ResourceExtractionError:
            try:  # dlt closes the pipes: GeneratorExit inside the running generator...
                raise GeneratorExit
            except GeneratorExit:  # ... whose own close fails, as it is still executing
                raise ValueError("generator already executing")  # noqa: B904
    except ValueError as closing:
        assert isinstance(closing.__context__, GeneratorExit)
        assert exit_code_of(closing) == ExitCode.SCOPE_MISSING
    with pytest.raises(ValueError) as plain:  # the same error on its own is no artifact
        raise ValueError("generator already executing")
    assert exit_code_of(plain.value) == ExitCode.ERROR
