"""`sie load`: SIE files into a DuckDB warehouse, each file wholly in or wholly out.

Files are read, checked, archived and written one at a time, each in its own transaction
(`warehouse.py`), so memory is bounded by the largest file, not by the command, and one file
refused (not SIE, structurally broken) never stops the others: the summary says which were
loaded and why any was not.

A marker file beside the warehouse (`<warehouse>.sie-load.json`) names the file being written
while its transaction is open. A `sie load` killed mid-write leaves the marker; DuckDB discards
the uncommitted transaction when the warehouse is next opened, and the next `sie load` reports
the file the killed one had not finished and removes the marker.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from sources.sie.archive import archive_sie_file
from sources.sie.reader import (
    SNIFF_BYTES,
    SieError,
    normalise_org_number,
    read_sie,
    refuse_non_sie,
)
from sources.sie.warehouse import SieWarehouse

MARKER_SUFFIX = ".sie-load.json"


@dataclass(frozen=True)
class FileSummary:
    """What one file contributed to a load."""

    file_name: str
    file_sha256: str
    company_id: str
    voucher_count: int
    trans_rows: int
    rtrans_rows: int
    btrans_rows: int
    checksum_status: str
    findings: int
    status: str = "loaded"
    reason: str | None = None
    archived_path: Path | None = None


@dataclass(frozen=True)
class RefusedFile:
    """A file that was not loaded: not SIE, structurally broken, or unreadable."""

    file_name: str
    path: Path
    error: str


@dataclass
class LoadSummary:
    """The result of `load_sie_files`: per-file outcomes, rows per table and timings."""

    files: list[FileSummary] = field(default_factory=list)
    refused: list[RefusedFile] = field(default_factory=list)
    table_rows: dict[str, int] = field(default_factory=dict)
    parse_seconds: float = 0.0
    load_seconds: float = 0.0
    discarded: str | None = None


def marker_path(duckdb_path: Path) -> Path:
    """Where the in-progress marker of a warehouse lives."""
    return duckdb_path.with_name(duckdb_path.name + MARKER_SUFFIX)


def load_sie_files(
    paths: Sequence[Path],
    *,
    connection: duckdb.DuckDBPyConnection,
    duckdb_path: Path,
    dataset: str,
    archive_dir: Path | None = None,
) -> LoadSummary:
    """Read, check, archive and load each file in turn, each in one transaction.

    Args:
        paths: SIE files to load (a path given twice is loaded once).
        connection: an open, writable connection to the warehouse at `duckdb_path`.
        duckdb_path: the warehouse file (for the in-progress marker beside it).
        dataset: the schema the SIE tables live in (the one `run` uses by default).
        archive_dir: when given, each raw file is stored there content-addressed, before
            its rows are written.

    Returns:
        Loaded and refused files, rows per table, timings, and what a killed earlier load left.
    """
    summary = LoadSummary(table_rows={})
    marker = marker_path(duckdb_path)
    summary.discarded = _discard_leftover(marker)
    warehouse = SieWarehouse(connection, dataset)
    warehouse.ensure_tables()
    seen: set[Path] = set()
    for path in paths:
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        started = time.perf_counter()
        try:
            with path.open("rb") as stream:
                refuse_non_sie(stream.read(SNIFF_BYTES), path.name)
            data = path.read_bytes()
            sie_file = read_sie(data, path.name)
        except SieError as error:
            summary.refused.append(RefusedFile(path.name, path, str(error)))
            continue
        except OSError as error:
            summary.refused.append(RefusedFile(path.name, path, f"{path.name}: {error.strerror}"))
            continue
        summary.parse_seconds += time.perf_counter() - started
        archived = None
        if archive_dir is not None:
            archived = archive_sie_file(
                data,
                archive_dir=archive_dir,
                org_number=normalise_org_number(sie_file.org_number),
                year=sie_file.year_start.year if sie_file.year_start else None,
                source=f"file:{path.resolve()}",
                file_name=path.name,
            ).path
        del data
        started = time.perf_counter()
        counts = sie_file.row_counts()
        _write_marker(marker, path, sie_file.file_sha256)
        result = warehouse.write(sie_file)
        marker.unlink(missing_ok=True)
        summary.load_seconds += time.perf_counter() - started
        if result.status == "loaded":
            for name, count in counts.items():
                summary.table_rows[name] = summary.table_rows.get(name, 0) + count
            summary.table_rows["sie_findings"] += result.findings_added
        summary.files.append(
            FileSummary(
                file_name=sie_file.file_name,
                file_sha256=sie_file.file_sha256,
                company_id=sie_file.company_id,
                voucher_count=sie_file.voucher_count,
                trans_rows=sie_file.trans_rows,
                rtrans_rows=sie_file.rtrans_rows,
                btrans_rows=sie_file.btrans_rows,
                checksum_status=sie_file.checksum_status,
                findings=len(sie_file.findings) + result.findings_added,
                status=result.status,
                reason=result.reason,
                archived_path=archived,
            )
        )
        del sie_file
    return summary


def _write_marker(marker: Path, path: Path, file_sha256: str) -> None:
    record = {
        "pid": os.getpid(),
        "file": str(path),
        "file_sha256": file_sha256,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    marker.write_text(json.dumps(record), encoding="utf-8")


def _discard_leftover(marker: Path) -> str | None:
    """Say what a killed `sie load` left unfinished (its transaction is already discarded)."""
    if not marker.exists():
        return None
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
        what = (
            f"a `sie load` (process {record['pid']}, started {record['started_at']}) was "
            f"stopped while writing {record['file']}: that file's partial rows were discarded "
            "(the warehouse holds it as before that load); load it again if you need it"
        )
    except (ValueError, KeyError, OSError):
        what = "an earlier `sie load` was stopped mid-write: its partial rows were discarded"
    marker.unlink(missing_ok=True)
    return what
