"""`sie load` starts without dlt or the Fortnox source: their import cost about a second of a
load that needs neither, and its run record goes to `load_runs` with dlt's very columns."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from pipelines.cli.sie import DEFAULT_DATASET
from pipelines.load_runs_table import append_load_runs, load_runs_ddl
from sources.fortnox import settings

_PROBE = """
import sys
sys.argv = ["fortnox-pipeline", "sie", "load", "--help"]
from pipelines.cli import main
try:
    main()
except SystemExit:
    pass
import os
heavy = sorted(m for m in ("dlt", "sources.fortnox") if m in sys.modules)
print("allocator:", os.environ.get("_RJEM_MALLOC_CONF"))
print("heavy:", ",".join(heavy))
"""


def test_sie_load_imports_neither_dlt_nor_the_fortnox_source() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, env=environment
    ).stdout
    assert out.strip().endswith("heavy:"), out
    # polars' allocator returns freed pages within half a second: memory bounded by a few chunks.
    assert "allocator: dirty_decay_ms:500,muzzy_decay_ms:0" in out


def test_the_sie_default_dataset_is_the_pipelines() -> None:
    assert DEFAULT_DATASET == settings.DEFAULT_DATASET


def test_load_runs_appended_with_dlts_columns_to_an_older_table(tmp_path: Path) -> None:
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    connection.execute("CREATE SCHEMA fortnox_raw")
    # A table from an older version, without the archive columns.
    connection.execute(
        "CREATE TABLE fortnox_raw.load_runs (run_id VARCHAR NOT NULL, company_id VARCHAR NOT"
        " NULL, profile VARCHAR, _dlt_load_id VARCHAR NOT NULL, _dlt_id VARCHAR NOT NULL)"
    )
    append_load_runs(
        connection,
        "fortnox_raw",
        [{"run_id": "r1", "company_id": "556677-8899", "archive_enabled": True}],
    )
    columns = [
        name
        for (name,) in connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'load_runs'"
        ).fetchall()
    ]
    assert set(columns) == set(load_runs_ddl())
    row = connection.execute(
        "SELECT run_id, company_id, archive_enabled, _dlt_load_id IS NOT NULL FROM"
        " fortnox_raw.load_runs"
    ).fetchall()
    assert row == [("r1", "556677-8899", True, True)]
