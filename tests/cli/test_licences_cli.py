"""A company without a module, as a user meets it: `run` warns and succeeds, `run --strict`
exits 9, and `doctor` lists what the last run skipped."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from pipelines.exit_codes import ExitCode
from tests.cli.conftest import invoke, logged_in_environment, serving_sandbox


def test_a_company_without_the_order_module(tmp_path: Path) -> None:
    with serving_sandbox("--unlicensed", "order", "--rate-limit", "off") as url:
        environment = logged_in_environment(url, tmp_path)
        strict = tmp_path / "strict.duckdb"
        code, output = invoke(
            ["run", "--duckdb", str(strict), "--no-models", "--strict"], environment, tmp_path
        )
        assert code == ExitCode.SCOPE_MISSING == 9, output
        assert "order" in output

        warehouse = tmp_path / "w.duckdb"
        code, output = invoke(
            ["run", "--duckdb", str(warehouse), "--no-models"], environment, tmp_path
        )
        assert code == 0, output
        warnings = [line for line in output.splitlines() if line.startswith("warning: skipped")]
        assert warnings == [
            "warning: skipped orders: Fortnox refused scope `order` (the company's licence or the"
            " login lacks it) — the run goes on; `run --strict` fails instead"
        ]

        code, output = invoke(
            ["doctor", "--offline", "-o", "json", "--duckdb", str(warehouse)], environment, tmp_path
        )
    checks = {check["name"]: check for check in json.loads(output)["checks"]}
    skipped = checks["skipped by the last run"]
    assert skipped["ok"] is True and skipped["warning"] is True
    assert "orders (`order`)" in skipped["detail"]

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        recorded = connection.execute(
            "select outcome, skipped from fortnox_raw.load_runs"
        ).fetchall()
    assert [(outcome, json.loads(skipped)) for outcome, skipped in recorded] == [
        ("completed", {"orders": "order"})
    ]
    assert "orders" not in _tables(warehouse) and {"invoices", "offers"} <= _tables(warehouse)
    # The strict run loaded nothing; its failure is recorded with the 403 that caused it.
    assert "invoices" not in _tables(strict)
    with duckdb.connect(str(strict), read_only=True) as connection:
        ((outcome, error),) = connection.execute(
            "select outcome, error from fortnox_raw.load_runs"
        ).fetchall()
    assert (
        outcome == "failed"
        and error.startswith("ScopeMissing: GET /3/orders")
        and "`order`" in error
    )


def _tables(path: Path) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return {
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'fortnox_raw'"
            ).fetchall()
        }
