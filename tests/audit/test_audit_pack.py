"""`audit-pack`: everything an auditor asks for, verified, and the same bytes every time."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

import duckdb
import polars as pl

from pipelines.exit_codes import ExitCode
from sources.sie.reader import read_sie
from tests.audit.conftest import DefaultRun, invoke

EXPECTED = {
    "sie/generated_{company}_{year}.se",
    "general_ledger.csv",
    "general_ledger.parquet",
    "trial_balance.csv",
    "trial_balance.parquet",
    "ar_reconciliation.csv",
    "ar_reconciliation.parquet",
    "ap_reconciliation.csv",
    "ap_reconciliation.parquet",
    "ar_aging.csv",
    "ar_aging.parquet",
    "ap_aging.csv",
    "ap_aging.parquet",
    "sie_findings.csv",
    "sie_findings.parquet",
    "load_history.csv",
    "load_history.parquet",
    "MANIFEST",
}


def _pack(default_run: DefaultRun, out: Path, *extra: str) -> tuple[int, str]:
    company, year = _company_year(default_run)
    arguments = ["audit-pack", "--company", company, "--year", str(year), "--out", str(out)]
    return invoke([*arguments, "--duckdb", str(default_run.warehouse), *extra])


def _company_year(default_run: DefaultRun) -> tuple[str, int]:
    with duckdb.connect(str(default_run.warehouse), read_only=True) as connection:
        row = connection.execute(
            "select company_id, year(min(year_start)) from fortnox_raw.sie_files group by 1"
        ).fetchone()
    assert row is not None
    return str(row[0]), int(row[1])


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def _without_created(manifest: bytes) -> list[bytes]:
    return [line for line in manifest.splitlines() if not line.startswith(b"created: ")]


def test_the_pack_holds_what_an_auditor_asks_for_and_the_manifest_lists_it(
    default_run: DefaultRun, tmp_path: Path
) -> None:
    company, year = _company_year(default_run)
    code, output = _pack(default_run, tmp_path / "pack")
    assert code == 0, output
    files = _files(tmp_path / "pack")
    expected = {name.format(company=company, year=year) for name in EXPECTED}
    originals = [name for name in files if name.startswith("sie/original/")]
    assert set(files) - set(originals) >= expected
    assert len(originals) == 1
    # The original is the export the warehouse recorded, byte for byte.
    with duckdb.connect(str(default_run.warehouse), read_only=True) as connection:
        [(sha256,)] = connection.execute(
            "select file_sha256 from fortnox_raw.sie_files where company_id = ?"
            " and year(year_start) = ?",
            [company, year],
        ).fetchall()
        ledger_rows = connection.execute(
            "select count(*) from analytics.fct_gl_transactions where company_id = ?"
            " and year(financial_year_start) = ?",
            [company, year],
        ).fetchone()
    assert originals == [f"sie/original/{sha256}.se"]
    assert hashlib.sha256(files[originals[0]]).hexdigest() == sha256
    # Every file is in the manifest with its sha256 and size.
    listed = {
        line.split(b"  ")[2].decode(): line.split(b"  ")[:2]
        for line in files["MANIFEST"].splitlines()
        if not line.startswith((b"#", b"created:", b"generator:"))
    }
    assert set(listed) == set(files) - {"MANIFEST"}
    for name, (digest, size) in listed.items():
        assert digest.decode() == hashlib.sha256(files[name]).hexdigest()
        assert int(size) == len(files[name])
    # The generated SIE file reads back to the same books; the ledger has every booked row.
    generated = read_sie(files[f"sie/generated_{company}_{year}.se"], "generated.se")
    original = read_sie(files[originals[0]], "original.se")
    assert generated.checksum_status == "ok"
    assert (generated.voucher_count, generated.trans_rows) == (
        original.voucher_count,
        original.trans_rows,
    )
    assert ledger_rows is not None
    assert pl.read_parquet(tmp_path / "pack" / "general_ledger.parquet").height == ledger_rows[0]
    assert pl.read_csv(tmp_path / "pack" / "general_ledger.csv").height == ledger_rows[0]
    reconciliation = pl.read_parquet(tmp_path / "pack" / "ar_reconciliation.parquet")
    assert reconciliation.height == 1
    assert str(reconciliation.item(0, "reconciliation_date")) == f"{year}-12-31"


def test_two_packs_of_one_warehouse_are_identical_but_for_the_creation_line(
    default_run: DefaultRun, tmp_path: Path
) -> None:
    for name in ("first", "second"):
        code, output = _pack(default_run, tmp_path / name)
        assert code == 0, output
    first, second = _files(tmp_path / "first"), _files(tmp_path / "second")
    assert set(first) == set(second)
    for name in first:
        if name != "MANIFEST":
            assert first[name] == second[name], name
    assert _without_created(first["MANIFEST"]) == _without_created(second["MANIFEST"])
    assert sum(line.startswith(b"created: ") for line in first["MANIFEST"].splitlines()) == 1

    for name in ("one", "two"):
        code, output = _pack(default_run, tmp_path / name / "pack.zip")
        assert code == 0, output
    with (
        zipfile.ZipFile(tmp_path / "one" / "pack.zip") as one,
        zipfile.ZipFile(tmp_path / "two" / "pack.zip") as two,
    ):
        assert one.namelist() == two.namelist()
        assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in one.infolist())
        for name in one.namelist():
            if name.endswith("MANIFEST"):
                assert _without_created(one.read(name)) == _without_created(two.read(name))
            else:
                assert one.read(name) == two.read(name), name
        assert {n.split("/", 1)[1] for n in one.namelist()} == set(first)


def test_an_altered_original_stops_the_pack(default_run: DefaultRun, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(default_run.folder / "sie-archive", archive)
    for path in archive.glob("*/*/*.se"):
        path.chmod(0o644)
        path.write_bytes(path.read_bytes() + b"\r\n")
    code, output = _pack(default_run, tmp_path / "pack", "--archive", str(archive))
    assert code == ExitCode.DATA_CHECK_FAILED, output
    assert "was altered" in output
    assert not (tmp_path / "pack").exists()


def test_an_existing_out_is_never_overwritten(default_run: DefaultRun, tmp_path: Path) -> None:
    (tmp_path / "pack").mkdir()
    code, output = _pack(default_run, tmp_path / "pack")
    assert code == ExitCode.BAD_INPUT, output
    assert list((tmp_path / "pack").iterdir()) == []
