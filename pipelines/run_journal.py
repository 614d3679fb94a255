"""Every run is recorded in `load_runs`, including runs that were killed or could not start.

A run writes its record twice: first as a journal entry in the warehouse's working folder
(`runs/<run id>.json`, outcome `running`) the moment it holds the writer lock, then as its
`load_runs` row when it ends, after which the entry goes. What can stop the second write (a
SIGKILL, a warehouse that cannot be written, a lock held by another run) leaves the entry,
and the next run that holds the lock *folds it in*: an entry still `running` whose process is
gone becomes outcome `killed`; a run refused before it started (lock, login, configuration)
keeps its outcome `refused` and its error.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import dlt

from pipelines.interrupts import own_signals
from pipelines.load_runs_table import LOAD_RUNS_COLUMNS, append_load_runs
from pipelines.warehouse import open_warehouse

UNKNOWN_COMPANY = "unknown"
"""`company_id` of a run refused before it knew its company (no login, say)."""

_TIMESTAMPS = ("started_at", "ended_at")


class RunJournal:
    """The journal entries of one warehouse (its working folder's `runs/`)."""

    def __init__(self, working_dir: Path) -> None:
        self.directory = working_dir / "runs"

    def write(self, row: dict[str, Any]) -> None:
        """Write (or replace) a run's entry, atomically: an entry is whole or absent."""
        self.directory.mkdir(parents=True, exist_ok=True)
        entry = {
            **{
                key: value.isoformat() if key in _TIMESTAMPS and value else value
                for key, value in row.items()
            },
            "pid": os.getpid(),
        }
        final = self.directory / f"{row['run_id']}.json"
        partial = final.with_suffix(f".{os.getpid()}.partial")
        partial.write_text(json.dumps(entry), encoding="utf-8")
        partial.replace(final)

    def remove(self, run_id: str) -> None:
        """The run is in `load_runs`: its entry is done."""
        (self.directory / f"{run_id}.json").unlink(missing_ok=True)

    def to_fold(self) -> list[dict[str, Any]]:
        """Entries to record now: finished ones, and `running` ones whose process is gone.

        Call only while holding the writer lock. A `running` entry of this very process
        belongs to a run still going in another thread; it is left alone.
        """
        if not self.directory.is_dir():
            return []
        for partial in self.directory.glob("*.partial"):
            with contextlib.suppress(OSError):
                partial.unlink()  # a writer killed mid-write; the entry itself is intact
        rows = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                entry = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            pid = entry.pop("pid", None)
            if entry.get("outcome") == "running":
                if pid == os.getpid() or (pid is not None and _alive(int(pid))):
                    continue
                entry["outcome"] = "killed"
                entry["error"] = (
                    "the process ended without recording the run (killed, or the machine "
                    "stopped); recorded by the run after it"
                )
            for key in _TIMESTAMPS:
                if entry.get(key):
                    entry[key] = datetime.fromisoformat(entry[key])
            rows.append(entry)
        return rows


def record_runs(
    rows: Iterable[dict[str, Any]],
    *,
    destination: Any,
    dataset: str,
    working_dir: Path,
    warehouse_file: Path | None = None,
) -> None:
    """Write run records to `load_runs`, merged on `run_id` (a record written twice is one).

    Into a DuckDB warehouse (`warehouse_file`) in one transaction of its own, straight through
    DuckDB (`append_load_runs`, the table's very columns as dlt makes them): a dlt pipeline run
    for one row cost 0.3 s of CPU and 0.6 s of the warehouse per company (a portfolio's nightly
    run, measured), more than the rows it records. Into another destination through a dlt
    pipeline of its own per company (`fortnox_<company>_runs`): through the company's
    pipeline, recording a failed run would load that run's pending package instead.

    Raises:
        FileNotFoundError: `warehouse_file` (a DuckDB file) does not exist: recording never
            creates the warehouse (a creation that failed must leave no file behind).
    """
    if warehouse_file is not None and not warehouse_file.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse_file} to record runs in")
    if warehouse_file is not None:
        _record_in_duckdb(list(rows), warehouse_file, dataset)
        return
    by_company: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_company[str(row.get("company_id") or UNKNOWN_COMPANY)].append(row)
    for company_id, company_rows in by_company.items():
        pipeline = own_signals(
            dlt.pipeline(
                pipeline_name=f"fortnox_{company_id}_runs",
                destination=destination,
                dataset_name=dataset,
                pipelines_dir=str(working_dir),
            )
        )
        # Nothing of this pipeline's state matters (its rows carry everything), so dlt need
        # not read it back from the warehouse first (a third of a recording's time, measured).
        pipeline.config.restore_from_destination = False
        if pipeline.has_pending_data:
            # A recording killed halfway: dlt's run would load it and skip these rows.
            pipeline.run()
        pipeline.run(
            [{**row, "company_id": company_id} for row in company_rows],
            table_name="load_runs",
            # Merged on run_id, not appended: a load job repeated after a killed run (dlt
            # loads at least once) must not record the run twice.
            write_disposition="merge",
            primary_key="run_id",
            columns=LOAD_RUNS_COLUMNS,
        )


def _record_in_duckdb(rows: list[dict[str, Any]], warehouse_file: Path, dataset: str) -> None:
    """`load_runs` rows into a DuckDB warehouse, replacing rows of the same `run_id`."""
    if not rows:
        return
    records = [{**row, "company_id": str(row.get("company_id") or UNKNOWN_COMPANY)} for row in rows]
    connection = open_warehouse(warehouse_file)
    try:
        append_load_runs(connection, dataset, records, replace=True)
    finally:
        connection.close()


def fold_journal(
    journal: RunJournal,
    *,
    destination: Any,
    dataset: str,
    working_dir: Path,
    warehouse_file: Path | None = None,
) -> list[dict[str, Any]]:
    """Record what earlier runs left in the journal; returns the rows recorded.

    Best effort: whatever cannot be recorded now stays for the next run.
    """
    rows = journal.to_fold()
    if not rows:
        return []
    try:
        record_runs(
            rows,
            destination=destination,
            dataset=dataset,
            working_dir=working_dir,
            warehouse_file=warehouse_file,
        )
    except Exception:
        return []
    for row in rows:
        journal.remove(row["run_id"])
    return rows


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
