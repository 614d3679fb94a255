"""Archive by default and `sie export`: the exact bytes back, verified, or a clear error."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb

from pipelines.exit_codes import ExitCode
from sources.sie.archive import read_manifest
from tests.audit.conftest import ROOT, DefaultRun, invoke, login_environment

SAMPLES = ROOT / "tests" / "fixtures" / "sie"


def _loaded_years(warehouse: Path) -> list[tuple[str, int, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select company_id, year(year_start), file_sha256 from fortnox_raw.sie_files order by 2"
        ).fetchall()
    return [(str(c), int(y), str(s)) for c, y, s in rows]


def test_a_default_run_archives_every_export_and_records_it(default_run: DefaultRun) -> None:
    archive = default_run.folder / "sie-archive"
    years = _loaded_years(default_run.warehouse)
    assert len(years) == 3
    assert {entry["sha256"] for entry in read_manifest(archive)} == {s for _, _, s in years}
    with duckdb.connect(str(default_run.warehouse), read_only=True) as connection:
        runs = connection.execute(
            "select archive_enabled, archive_dir, sie_files from fortnox_raw.load_runs"
        ).fetchall()
    [(enabled, archive_dir, sie_files)] = runs
    assert enabled is True and Path(archive_dir) == archive.resolve()
    assert {entry["sha256"] for entry in json.loads(sie_files)} == {s for _, _, s in years}


def test_export_returns_every_loaded_year_byte_for_byte(
    default_run: DefaultRun, tmp_path: Path
) -> None:
    years = _loaded_years(default_run.warehouse)
    with duckdb.connect(str(default_run.warehouse), read_only=True) as connection:
        [(run_id,)] = connection.execute("select run_id from fortnox_raw.load_runs").fetchall()
    for company, year, sha256 in years:
        out = tmp_path / f"{year}.se"
        code, output = invoke(
            [
                "sie",
                "export",
                "--company",
                company,
                "--year",
                str(year),
                "--out",
                str(out),
                "--duckdb",
                str(default_run.warehouse),
                "-o",
                "json",
            ]
        )
        assert code == 0, output
        assert hashlib.sha256(out.read_bytes()).hexdigest() == sha256
        [document] = json.loads(output)
        assert document["sha256"] == sha256 and document["verified"] is True
        assert document["fetched_by_run"] == run_id and document["fetched_at"]


def test_export_all_writes_every_company_year(default_run: DefaultRun, tmp_path: Path) -> None:
    code, output = invoke(
        ["sie", "export", "--all", "--out", str(tmp_path), "--duckdb", str(default_run.warehouse)]
    )
    assert code == 0, output
    written = {hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.glob("*.se")}
    assert written == {s for _, _, s in _loaded_years(default_run.warehouse)}


def test_a_tampered_archive_file_fails_clearly_and_writes_nothing(
    default_run: DefaultRun, tmp_path: Path
) -> None:
    # A copy of the warehouse and archive: the shared run must stay intact for other tests.
    copy = tmp_path / "copy"
    shutil.copytree(default_run.folder / "sie-archive", copy / "sie-archive")
    shutil.copy(default_run.warehouse, copy / "fortnox.duckdb")
    company, year, sha256 = _loaded_years(default_run.warehouse)[-1]
    [archived] = list((copy / "sie-archive").glob(f"*/*/{sha256}.se"))
    archived.chmod(0o644)
    archived.write_bytes(archived.read_bytes().replace(b"#TRANS", b"#TRANS ", 1))
    out = tmp_path / "out.se"
    arguments = ["sie", "export", "--company", company, "--year", str(year), "--out", str(out)]
    arguments += ["--duckdb", str(copy / "fortnox.duckdb"), "--archive", str(copy / "sie-archive")]
    code, output = invoke(arguments)
    assert code == ExitCode.DATA_CHECK_FAILED, output
    assert "was altered" in output and sha256 in output
    assert output.startswith("error: ")
    assert not out.exists()

    archived.unlink()
    code, output = invoke(arguments)
    assert code == ExitCode.NOT_FOUND, output
    assert "is missing" in output
    assert not out.exists()


def test_unknown_company_or_year_is_not_found(default_run: DefaultRun) -> None:
    company, _, _ = _loaded_years(default_run.warehouse)[0]
    code, output = invoke(
        [
            "sie",
            "export",
            "--company",
            company,
            "--year",
            "1999",
            "--duckdb",
            str(default_run.warehouse),
        ]
    )
    assert code == ExitCode.NOT_FOUND, output
    assert "years loaded" in output


def test_no_archive_is_recorded_and_export_says_why(sandbox_url: str, tmp_path: Path) -> None:
    environment = login_environment(sandbox_url, tmp_path / "tokens")
    code, output = invoke(
        [
            "run",
            "--duckdb",
            str(tmp_path / "w.duckdb"),
            "--no-archive",
            "--no-models",
            "--resources",
            "sie",
        ],
        environment,
        tmp_path,
    )
    assert code == 0, output
    assert not (tmp_path / "sie-archive").exists()
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as connection:
        [(enabled, archive_dir)] = connection.execute(
            "select archive_enabled, archive_dir from fortnox_raw.load_runs"
        ).fetchall()
    assert enabled is False and archive_dir is None
    company, year, _ = _loaded_years(tmp_path / "w.duckdb")[0]
    code, output = invoke(
        ["sie", "export", "--company", company, "--year", str(year), "--duckdb", "w.duckdb"],
        cwd=tmp_path,
    )
    assert code == ExitCode.NOT_FOUND, output
    assert "archiving off" in output


def test_sie_load_archives_by_default_and_export_hands_the_file_back(tmp_path: Path) -> None:
    sample = SAMPLES / "bl_admin_2021_utf8_crlf.SE"
    code, output = invoke(["sie", "load", str(sample), "--duckdb", "books.duckdb"], cwd=tmp_path)
    assert code == 0, output
    [(company, year, sha256)] = _loaded_years(tmp_path / "books.duckdb")
    assert sha256 == hashlib.sha256(sample.read_bytes()).hexdigest()
    assert [e["sha256"] for e in read_manifest(tmp_path / "sie-archive")] == [sha256]
    code, output = invoke(
        [
            "sie",
            "export",
            "--company",
            company,
            "--year",
            str(year),
            "--out",
            "back.se",
            "--duckdb",
            "books.duckdb",
            "-o",
            "json",
        ],
        cwd=tmp_path,
    )
    assert code == 0, output
    assert (tmp_path / "back.se").read_bytes() == sample.read_bytes()
    assert json.loads(output)[0]["profile"] == "sie load"
