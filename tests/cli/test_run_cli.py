"""`run`, `run --plan` and `demo` as a user runs them: real config, real exit codes.

`run` is driven against a sandbox served on loopback (the production client built from dlt
config and environment variables, no test seams); `demo` runs its own in-process sandbox.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb

from pipelines.exit_codes import ExitCode
from tests.cli.conftest import invoke
from tests.conftest import Demo


def table_count(path: Path, table: str) -> int:
    with duckdb.connect(str(path), read_only=True) as connection:
        return int(connection.sql(f"select count(*) from fortnox_raw.{table}").fetchone()[0])  # type: ignore[index]


def test_plan_writes_nothing_then_run_loads_what_it_planned(
    environment: dict[str, str], tmp_path: Path
) -> None:
    warehouse = tmp_path / "w.duckdb"
    code, output = invoke(
        ["run", "--plan", "--duckdb", str(warehouse), "-o", "table"], environment, tmp_path
    )
    assert code == 0, output
    assert not warehouse.exists()
    planned = int(re.search(r"about (\d+) requests", output).group(1))  # type: ignore[union-attr]
    assert "never loaded" in output

    metrics = tmp_path / "metrics.json"
    code, output = invoke(
        ["run", "--duckdb", str(warehouse), "--metrics-json", str(metrics), "-o", "table"],
        environment,
        tmp_path,
    )
    assert code == 0, output
    document = json.loads(metrics.read_text())
    assert document["outcome"] == "completed"
    assert document["requests"] == planned
    assert document["resources"]["sie"]["requests"] == 3
    assert document["resources"]["sie"]["rows"] > 0
    assert all(entry["throttled"] == 0 for entry in document["resources"].values())
    assert table_count(warehouse, "invoices") == document["resources"]["invoices"]["rows"]
    # The models were built after the load, none failed.
    models_line = re.search(r"Models: (\d+) built, \d+ skipped, (\d+) failed", output)
    assert models_line is not None, output
    assert int(models_line.group(1)) > 0 and models_line.group(2) == "0", models_line.group(0)

    code, output = invoke(
        ["run", "--plan", "--duckdb", str(warehouse), "-o", "table"], environment, tmp_path
    )
    assert code == 0, output
    assert "final and already loaded" in output
    assert re.search(r"about 20 requests", output)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        runs = connection.sql("select outcome, requests from fortnox_raw.load_runs").fetchall()
    assert runs == [("completed", planned)]


def test_run_without_login_exits_auth_needed(environment: dict[str, str], tmp_path: Path) -> None:
    env = {**environment, "FORTNOX_TOKEN_DIR": str(tmp_path / "empty")}
    code, output = invoke(["run", "--duckdb", str(tmp_path / "w.duckdb")], env, tmp_path)
    assert code == ExitCode.AUTH_NEEDED
    assert "auth login" in output
    assert "Traceback" not in output


def test_run_on_a_warehouse_held_by_another_process_exits_busy(
    environment: dict[str, str], tmp_path: Path
) -> None:
    warehouse = tmp_path / "held.duckdb"
    duckdb.connect(str(warehouse)).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
            " time.sleep(60)",
            str(warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        code, output = invoke(["run", "--duckdb", str(warehouse)], environment, tmp_path)
    finally:
        holder.kill()
        holder.wait()
    assert code == ExitCode.WAREHOUSE_BUSY, output
    assert "in use by process" in output
    assert "Traceback" not in output


REGISTER_TABLES = (
    "articles",
    "orders",
    "offers",
    "price_lists",
    "prices",
    "tax_reductions",
    "currencies",
    "terms_of_payments",
    "units",
    "contracts",
    "company_settings",
    "archive_files",
    "inbox_files",
)


def test_demo_loads_twice_and_builds_the_models(demo: Demo) -> None:
    # The session's one `demo` (tests/conftest.py), which the MCP tests read as well.
    demo_dir, code, output = demo.directory, demo.exit_code, demo.output
    assert code == 0, output
    totals = [
        int(n) for n in re.findall(r"company \d+: completed in [\d.]+ s, (\d+) requests", output)
    ]
    assert len(totals) == 2
    first, incremental = totals
    assert first == 40 and incremental <= 20
    assert "0 failed" in output
    warehouse = demo_dir / "fortnox.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        outcomes = connection.sql("select outcome from fortnox_raw.load_runs").fetchall()
        checks_input = connection.sql("select count(*) from analytics.fct_trial_balance").fetchone()
        # Every table the registers add has rows after the demo.
        empty = [
            table
            for table in REGISTER_TABLES
            if connection.sql(f"select count(*) from fortnox_raw.{table}").fetchone() == (0,)
        ]
    assert empty == []
    assert outcomes == [("completed",), ("completed",)]
    assert checks_input is not None and checks_input[0] > 0
    manifest = (demo_dir / "sie-archive" / "manifest.jsonl").read_text().splitlines()
    assert len(manifest) == 4  # three years, then the open year again after a day of business
