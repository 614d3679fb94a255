"""Hand back, byte for byte, the SIE export a warehouse's rows came from, verified first.

The warehouse records each loaded file's sha256 (`sie_files.file_sha256`) and the runs that
loaded it (`load_runs.sie_files`, `load_runs.archive_dir`); the archive holds the bytes under
that sha256. An export is only written after the archived bytes hash to the recorded value, so
a file that was altered or replaced in the archive is reported, never handed to an auditor.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipelines.exit_codes import ExitCode
from sources.sie.archive import read_manifest


class ExportError(Exception):
    """An export that cannot be handed back: what went wrong, what to do, and the exit code."""

    def __init__(self, message: str, exit_code: ExitCode, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.fix = fix


@dataclass(frozen=True)
class LoadedSieFile:
    """One SIE file whose rows are in the warehouse, and the run that loaded it."""

    company_id: str
    org_number: str | None
    financial_year_id: int | None
    year_start: date | None
    year_end: date | None
    file_sha256: str
    file_name: str
    size_bytes: int | None
    generated_on: date | None
    chosen: bool  # the file the models use for its company and year
    run_id: str | None = None
    run_started_at: datetime | None = None
    run_profile: str | None = None
    run_archive_dir: str | None = None
    run_archive_enabled: bool | None = None

    @property
    def year(self) -> int | None:
        """The financial year by its start year (a split year 2025-05..2026-04 is 2025)."""
        return self.year_start.year if self.year_start else None


@dataclass(frozen=True)
class ExportedFile:
    """An export written: where, which bytes, and where they came from."""

    source: LoadedSieFile
    archived_path: Path
    out_path: Path
    size_bytes: int

    def as_json(self) -> dict[str, Any]:
        """The result of one export as a JSON document."""
        return {
            "company_id": self.source.company_id,
            "year": self.source.year,
            "financial_year_id": self.source.financial_year_id,
            "year_start": self.source.year_start,
            "year_end": self.source.year_end,
            "sha256": self.source.file_sha256,
            "verified": True,
            "size_bytes": self.size_bytes,
            "out": self.out_path,
            "archived_path": self.archived_path,
            "fetched_by_run": self.source.run_id,
            "fetched_at": self.source.run_started_at,
            "profile": self.source.run_profile,
            "original_file_name": self.source.file_name,
        }


def _tables(connection: duckdb.DuckDBPyConnection, dataset: str) -> set[str]:
    rows = connection.execute(
        "select table_name from information_schema.tables"
        " where table_schema = ? and table_catalog = current_database()",
        [dataset],
    ).fetchall()
    return {row[0] for row in rows}


def _columns(connection: duckdb.DuckDBPyConnection, dataset: str, table: str) -> set[str]:
    rows = connection.execute(
        "select column_name from information_schema.columns where table_schema = ?"
        " and table_name = ? and table_catalog = current_database()",
        [dataset, table],
    ).fetchall()
    return {row[0] for row in rows}


def loaded_sie_files(connection: duckdb.DuckDBPyConnection, dataset: str) -> list[LoadedSieFile]:
    """Every SIE file in the warehouse, with the first completed run that loaded it.

    `chosen` marks, per company and year, the file the models use (latest generated, then
    latest loaded, as `int_sie_files_chosen`), so `--all` hands back what the figures rest on.
    """
    database = connection.execute("select current_database()").fetchone()
    assert database is not None
    connection.execute(f'use "{database[0]}"."{dataset}"')
    tables = _tables(connection, dataset)
    if "sie_files" not in tables:
        return []
    columns = _columns(connection, dataset, "sie_files")
    year_id = "financial_year_id" if "financial_year_id" in columns else "null::bigint"
    files = connection.execute(
        f"""
        select company_id, org_number, {year_id}, year_start, year_end, file_sha256, file_name,
            size_bytes, generated_on,
            row_number() over (
                partition by company_id, coalesce(cast(year_start as varchar), file_sha256)
                order by generated_on desc nulls last, loaded_at desc nulls last, file_sha256
            ) = 1
        from sie_files
        order by company_id, year_start nulls last, file_sha256
        """
    ).fetchall()
    runs: list[tuple[Any, ...]] = []
    if "load_runs" in tables:
        run_columns = _columns(connection, dataset, "load_runs")
        archive_dir = "archive_dir" if "archive_dir" in run_columns else "null"
        archive_enabled = "archive_enabled" if "archive_enabled" in run_columns else "null"
        runs = connection.execute(
            f"select run_id, started_at, profile, sie_files, {archive_dir}, {archive_enabled}"
            " from load_runs where outcome = 'completed' and sie_files is not null"
            " order by started_at, run_id"
        ).fetchall()
    first_run: dict[str, tuple[Any, ...]] = {}
    for loaded_by in runs:
        for entry in json.loads(loaded_by[3] or "[]"):
            first_run.setdefault(str(entry.get("sha256")), loaded_by)
    result = []
    for row in files:
        run: tuple[Any, ...] | None = first_run.get(row[5])
        result.append(
            LoadedSieFile(
                company_id=row[0],
                org_number=row[1],
                financial_year_id=row[2],
                year_start=row[3],
                year_end=row[4],
                file_sha256=row[5],
                file_name=row[6],
                size_bytes=row[7],
                generated_on=row[8],
                chosen=bool(row[9]),
                run_id=run[0] if run else None,
                run_started_at=run[1] if run else None,
                run_profile=run[2] if run else None,
                run_archive_dir=run[4] if run else None,
                run_archive_enabled=run[5] if run else None,
            )
        )
    return result


def select_file(
    files: list[LoadedSieFile],
    *,
    company_ids: Sequence[str],
    year: int,
    sha256: str | None = None,
) -> LoadedSieFile:
    """The file of one company and year: the one the models use, or the one `sha256` names.

    Args:
        files: what `loaded_sie_files` found.
        company_ids: the company's ids, preferred first (`pipelines.companies.Company`): when
            its books of the year were loaded both by `run` and by `sie load`, the first id's
            file is the one handed back.
        year: the financial year's start year.
        sha256: a sha256 (or a prefix of it) when several files of the year are loaded.

    Raises:
        ExportError: no such company or year, or the sha256 matches none or several.
    """
    company = ", ".join(company_ids)
    of_company = [f for f in files if f.company_id in company_ids]
    if not of_company:
        known = sorted({f.company_id for f in files})
        raise ExportError(
            f"no SIE files of company {company} in the warehouse",
            ExitCode.NOT_FOUND,
            f"companies loaded: {', '.join(known) or 'none'}",
        )
    of_year = [f for f in of_company if f.year == year]
    if not of_year:
        years = sorted({f.year for f in of_company if f.year is not None})
        raise ExportError(
            f"no SIE file of company {company} for financial year {year}",
            ExitCode.NOT_FOUND,
            f"years loaded (by start year): {', '.join(map(str, years)) or 'none'}",
        )
    if sha256:
        matching = [f for f in of_year if f.file_sha256.startswith(sha256.lower())]
        if len(matching) != 1:
            raise ExportError(
                f"--sha256 {sha256} matches {len(matching)} of the year's files",
                ExitCode.NOT_FOUND,
                "loaded: " + ", ".join(f.file_sha256 for f in of_year),
            )
        return matching[0]
    return min((f for f in of_year if f.chosen), key=lambda f: company_ids.index(f.company_id))


def find_archived(source: LoadedSieFile, archive_dirs: list[Path]) -> Path | None:
    """Where the archive keeps the file with the recorded sha256, None when no archive does.

    The manifest names the path; a file moved within an archive is still found by name.
    """
    for archive_dir in archive_dirs:
        for entry in read_manifest(archive_dir) if archive_dir.is_dir() else []:
            if entry.get("sha256") == source.file_sha256:
                path = archive_dir / str(entry["path"])
                if path.exists():
                    return path
        if archive_dir.is_dir():
            found = sorted(archive_dir.glob(f"*/*/{source.file_sha256}.se"))
            if found:
                return found[0]
    return None


def verified_bytes(source: LoadedSieFile, archive_dirs: list[Path]) -> tuple[Path, bytes]:
    """The archived bytes of a loaded file, after checking they hash to the recorded sha256.

    Raises:
        ExportError: the archive does not have the file (NOT_FOUND), or its bytes differ from
            what was loaded (DATA_CHECK_FAILED): either way nothing is written.
    """
    label = f"company {source.company_id} year {source.year} (sha256 {source.file_sha256})"
    path = find_archived(source, archive_dirs)
    if path is None:
        if source.run_id and source.run_archive_enabled is False:
            why = f"run {source.run_id} loaded it with archiving off (--no-archive)"
        else:
            why = "looked in " + ", ".join(str(d) for d in archive_dirs)
        raise ExportError(
            f"the archived SIE file of {label} is missing: {why}",
            ExitCode.NOT_FOUND,
            "give the archive folder with --archive DIR, or fetch the year again",
        )
    data = path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != source.file_sha256:
        raise ExportError(
            f"the archived SIE file {path} was altered: its sha256 is {actual}, the warehouse"
            f" recorded {source.file_sha256} for {label}; nothing was written",
            ExitCode.DATA_CHECK_FAILED,
            "restore the file from a backup of the archive; do not hand this file to an auditor",
        )
    return path, data


def archive_candidates(
    source: LoadedSieFile, option: Path | None, default: Path | None
) -> list[Path]:
    """Archives to look in: the one asked for, else the one the loading run recorded, then the
    configured default."""
    if option is not None:
        return [option]
    candidates = [Path(source.run_archive_dir)] if source.run_archive_dir else []
    if default is not None and default not in candidates:
        candidates.append(default)
    return candidates


def default_file_name(source: LoadedSieFile) -> str:
    """`<company>_<start year>.se`, safe as a file name."""
    company = "".join(c if c.isalnum() or c in "-_" else "_" for c in source.company_id)
    return f"{company}_{source.year if source.year is not None else source.file_sha256[:12]}.se"


def write_exact(path: Path, data: bytes) -> None:
    """Write bytes atomically: a reader sees the old file or the whole new one, never a part.

    Raises:
        ExportError: a different file already exists there (it is never overwritten).
    """
    if path.exists():
        if path.read_bytes() == data:
            return
        raise ExportError(
            f"{path} exists and holds other bytes",
            ExitCode.BAD_INPUT,
            "choose another --out or remove the file",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".export-", delete=False) as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(handle.name, path)


def export_file(source: LoadedSieFile, out_path: Path, archive_dirs: list[Path]) -> ExportedFile:
    """Verify one loaded file's archived bytes and write them to `out_path`."""
    archived_path, data = verified_bytes(source, archive_dirs)
    write_exact(out_path, data)
    return ExportedFile(
        source=source, archived_path=archived_path, out_path=out_path, size_bytes=len(data)
    )
