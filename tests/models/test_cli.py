"""The models, reconcile and report commands on a small warehouse file: output, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.exit_codes import ExitCode
from pipelines.transform import SQL_DIR, load_project
from tests.models.conftest import ACME_2024_BALANCES, add_acme_2024, add_acme_api_tables, raw

runner = CliRunner()


def _warehouse(tmp_path: Path, *, locked_through: str = "2024-02-29", **overrides: object) -> Path:
    path = tmp_path / "fortnox.duckdb"
    with duckdb.connect(str(path)) as connection:
        add_acme_2024(connection, **overrides)
        add_acme_api_tables(connection, locked_through=[(locked_through, "2024-04-01 08:00:00+00")])
    return path


@pytest.fixture(scope="module")
def models_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    """`models --as-of 2024-04-15` on acme's warehouse: the file, the exit code and the output."""
    path = _warehouse(tmp_path_factory.mktemp("built"))
    exit_code, output = _invoke("models", "--duckdb", str(path), "--as-of", "2024-04-15")
    return path, exit_code, output


@pytest.fixture
def built(models_run: tuple[Path, int, str]) -> Path:
    """acme's warehouse with the models built as of 2024-04-15, shared by read-only commands."""
    path, exit_code, output = models_run
    assert exit_code == ExitCode.OK, output
    return path


def _invoke(*arguments: str) -> tuple[int, str]:
    result = runner.invoke(app, list(arguments))
    return result.exit_code, result.output


def test_models_builds_and_exits_ok(models_run: tuple[Path, int, str]) -> None:
    _, exit_code, output = models_run
    assert exit_code == ExitCode.OK, output
    models, _ = load_project(SQL_DIR)
    # Only stg_fortnox__financial_years lacks its raw table in this warehouse.
    assert f"{len(models) - 1} built, 1 skipped, 0 failed" in output
    assert "raw tables not loaded: financial_years" in output
    assert "trial_balance_matches_sie_closing" in output


def test_models_exits_data_check_failed_naming_the_account(tmp_path: Path) -> None:
    balances = [
        ("UB", 0, 1930, "1") if balance[:3] == ("UB", 0, 1930) else balance
        for balance in ACME_2024_BALANCES
    ]
    path = _warehouse(tmp_path, balances=balances)
    exit_code, output = _invoke("models", "--duckdb", str(path))
    assert exit_code == ExitCode.DATA_CHECK_FAILED
    assert "account_number=1930" in output
    assert "expected_closing=1.00" in output


def test_models_on_a_busy_warehouse_says_so(tmp_path: Path) -> None:
    path = _warehouse(tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(path)!r}); "
            "print('held', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        exit_code, output = _invoke("models", "--duckdb", str(path))
    finally:
        holder.kill()
        holder.wait()
    assert exit_code == ExitCode.WAREHOUSE_BUSY
    assert f"in use by process {holder.pid}" in output


def test_reconcile_fails_on_a_difference_inside_the_locked_period(tmp_path: Path) -> None:
    path = _warehouse(tmp_path, locked_through="2024-03-31")
    _invoke("models", "--duckdb", str(path), "--as-of", "2024-04-15")
    exit_code, output = _invoke(
        "reconcile",
        "-o",
        "table",
        "--duckdb",
        str(path),
        "--as-of",
        "2024-04-15",
        "--fail-on-difference",
    )
    assert exit_code == ExitCode.DATA_CHECK_FAILED, output
    assert "1 final (locked) date(s) have a difference" in output
    assert "A1 2024-03-31 300.00" in output


def test_reconcile_passes_when_differences_are_only_provisional(built: Path) -> None:
    path = built
    exit_code, output = _invoke(
        "reconcile",
        "-o",
        "table",
        "--duckdb",
        str(path),
        "--as-of",
        "2024-03-15",
        "--fail-on-difference",
    )
    assert exit_code == ExitCode.OK, output
    assert "2024-03-15 as of" in output
    assert "2024-03-31" not in output


def test_reconcile_before_models_asks_for_them(tmp_path: Path) -> None:
    exit_code, output = _invoke("reconcile", "-o", "table", "--duckdb", str(_warehouse(tmp_path)))
    assert exit_code == ExitCode.NOT_FOUND
    assert "fortnox-pipeline models" in output


@pytest.mark.parametrize("statement", ["income-statement", "balance-sheet"])
def test_report_writes_csv_and_parquet(built: Path, tmp_path: Path, statement: str) -> None:
    path = built
    csv, parquet = tmp_path / "out.csv", tmp_path / "out.parquet"
    exit_code, output = _invoke(
        "report",
        statement,
        "--duckdb",
        str(path),
        "--year",
        "2024",
        "--period",
        "2024-03",
        "--csv",
        str(csv),
        "--parquet",
        str(parquet),
        "-o",
        "table",
    )
    assert exit_code == ExitCode.OK, output
    from_csv = pl.read_csv(csv)
    from_parquet = pl.read_parquet(parquet)
    assert from_csv.height == from_parquet.height
    if statement == "income-statement":
        amounts = dict(zip(from_csv["line_code"], from_csv["year_to_date_amount"], strict=True))
        assert {code: amount for code, amount in amounts.items() if amount} == {
            "net_revenue": 11100.0,
            "goods": -4000.0,
            "operating_result": 7100.0,
            "result_after_financial_items": 7100.0,
            "result_before_tax": 7100.0,
            "net_result": 7100.0,
        }
        assert "7 100.00" in output  # the result
        assert "Årets resultat" in output
    else:
        lines = from_parquet.filter(pl.col("row_type") == "line")
        assert sum(lines["closing_balance"].to_list()) == 0
        assert "Summa tillgångar" in output


@pytest.mark.parametrize("statement", ["income-statement", "balance-sheet"])
def test_report_json_rows_carry_the_line_codes_of_the_layout(built: Path, statement: str) -> None:
    exit_code, output = _invoke(
        "report", statement, "--duckdb", str(built), "--period", "2024-03", "-o", "json"
    )
    assert exit_code == ExitCode.OK, output
    document = json.loads(output)
    assert document["period"] == "2024-03"
    rows = {row["line_code"]: row for row in document["rows"]}
    for row in document["rows"]:
        assert set(row) >= {
            "line_code",
            "line_name",
            "period_amount",
            "year_to_date_amount",
            "comparative_amount",
            "is_final",
        }
        assert row["is_final"] is False  # March is after the locked period (February)
        assert row["comparative_amount"] is None  # no 2023 books
    if statement == "income-statement":
        assert list(rows) == [
            "net_revenue", "capitalised_work", "other_operating_income", "goods",
            "other_external_costs", "personnel", "depreciation", "other_operating_expenses",
            "unclassified", "operating_result", "financial_income", "financial_expenses",
            "result_after_financial_items", "appropriations", "result_before_tax", "tax",
            "net_result", "closing_entries",
        ]  # fmt: skip
        assert rows["net_result"]["year_to_date_amount"] == "7100.00"  # exact, as a string
        assert rows["net_revenue"]["period_amount"] == "1100.00"
    else:
        assert rows["total_assets"]["year_to_date_amount"] == "23800.00"
        assert rows["total_equity_and_liabilities"]["year_to_date_amount"] == "23800.00"
        assert rows["current_liabilities"]["year_to_date_amount"] == "6700.00"


def test_report_unknown_period_is_not_found(built: Path) -> None:
    path = built
    exit_code, output = _invoke(
        "report", "balance-sheet", "--duckdb", str(path), "--period", "1999-01"
    )
    assert exit_code == ExitCode.NOT_FOUND
    assert "period 1999-01" in output


def test_reconcile_reads_while_an_analyst_holds_the_file_read_only(built: Path) -> None:
    # reconcile opens the file read-only, so it shares the file with analysts' sessions.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(built)!r}, "
            "read_only=True); print('held', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        exit_code, output = _invoke(
            "reconcile", "-o", "table", "--duckdb", str(built), "--as-of", "2024-04-15"
        )
    finally:
        holder.kill()
        holder.wait()
    assert exit_code == ExitCode.OK, output
    assert "A1 2024-03-31 300.00" in output


def test_reconcile_profile_selects_the_company_it_loads(tmp_path: Path) -> None:
    path = _warehouse(tmp_path)
    with duckdb.connect(str(path)) as connection:
        add_acme_2024(connection, company_id="beta", file_sha256="beta-2024")
        add_acme_api_tables(connection, company_id="beta", locked_through=())
        connection.execute(
            f"create table {raw(connection, 'load_runs')} as"
            " select 'acme-profile' as profile, 'acme' as company_id"
            " union all select 'beta-profile', 'beta'"
        )
    _invoke("models", "--duckdb", str(path), "--as-of", "2024-04-15")
    exit_code, output = _invoke(
        "reconcile",
        "-o",
        "table",
        "--duckdb",
        str(path),
        "--as-of",
        "2024-04-15",
        "--profile",
        "beta-profile",
    )
    assert exit_code == ExitCode.OK, output
    assert "beta" in output and "acme" not in output
    exit_code, output = _invoke(
        "reconcile", "-o", "table", "--duckdb", str(path), "--profile", "nobody"
    )
    assert exit_code == ExitCode.NOT_FOUND
    assert "no run of profile 'nobody'" in output


def test_reconcile_prints_json_when_piped(built: Path) -> None:
    exit_code, output = _invoke("reconcile", "--duckdb", str(built), "--as-of", "2024-04-15")
    assert exit_code == ExitCode.OK, output
    document = json.loads(output)
    assert set(document) == {"AR", "AP"}
    row = next(row for row in document["AR"] if row["reconciliation_date"] == "2024-03-31")
    # Exact decimals as strings, never floats; dates in ISO 8601.
    assert isinstance(row["difference"], str) and isinstance(row["ledger_balance"], str)
    assert row["status"] in {"final", "provisional"}
