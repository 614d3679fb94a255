"""`sie load` recorded in `load_runs`, like a Fortnox run: which files, when, archived where.

Without a record an auditor could not tell which load put a file's rows in the warehouse, nor
whether its bytes were kept; with one, `sie export` finds the file and names the load.
One row per company in the load (the table's grain is one run of one company).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from pipelines.load_runs_table import append_load_runs
from sources.sie.load_files import LoadSummary

PROFILE = "sie load"


def sie_load_run_rows(
    summary: LoadSummary,
    *,
    archive_dir: Path | None,
    started_at: datetime,
    ended_at: datetime,
) -> list[dict[str, Any]]:
    """The `load_runs` rows of one `sie load`: one per company, each with its files."""
    per_company: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in summary.files:
        per_company[entry.company_id].append(
            {
                "sha256": entry.file_sha256,
                "file_name": entry.file_name,
                "vouchers": entry.voucher_count,
                "archived_path": str(entry.archived_path) if entry.archived_path else None,
            }
        )
    return [
        {
            "run_id": uuid.uuid4().hex,
            "profile": PROFILE,
            "company_id": company_id,
            "started_at": started_at,
            "ended_at": ended_at,
            "outcome": "completed",
            "error": None,
            "requests": 0,
            "rows": None,
            "resources": json.dumps({"sie_load": {"files": len(files)}}),
            "sie_files": json.dumps(files),
            "archive_enabled": archive_dir is not None,
            "archive_dir": str(archive_dir.resolve()) if archive_dir is not None else None,
        }
        for company_id, files in sorted(per_company.items())
    ]


def record_sie_load(
    summary: LoadSummary,
    *,
    connection: duckdb.DuckDBPyConnection,
    dataset: str,
    archive_dir: Path | None,
    started_at: datetime,
) -> None:
    """Append the load's rows to `load_runs` through the load's own warehouse connection.

    Straight into DuckDB, not through dlt: the row is a handful of values, and a dlt pipeline
    for it (import, state, package, merge) cost more than loading a 30 MB SIE file.
    """
    rows = sie_load_run_rows(
        summary,
        archive_dir=archive_dir,
        started_at=started_at,
        ended_at=datetime.now(started_at.tzinfo),
    )
    append_load_runs(connection, dataset, rows)
