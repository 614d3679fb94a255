"""The raw-file archive (content-addressed, write-once) and the `sie check | load` commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.exit_codes import ExitCode
from pipelines.warehouse import working_dir_beside
from sources.sie.archive import archive_sie_file, read_manifest
from tests.sie.conftest import ROOT, SAMPLES, warehouse_snapshot

runner = CliRunner()


def test_identical_bytes_are_archived_once(tmp_path: Path) -> None:
    data = b"#FLAGGA 0\r\n#SIETYP 4\r\n"
    first = archive_sie_file(
        data,
        archive_dir=tmp_path,
        org_number="556677-8899",
        year=2025,
        source="file:/in/a.se",
        file_name="a.se",
    )
    second = archive_sie_file(
        data, archive_dir=tmp_path, org_number="556677-8899", year=2025, source="x", file_name="b"
    )
    assert first.stored and not second.stored
    assert first.path == second.path == tmp_path / "556677-8899" / "2025" / f"{first.sha256}.se"
    assert first.path.read_bytes() == data
    [entry] = read_manifest(tmp_path)
    assert entry["sha256"] == first.sha256
    assert (entry["size"], entry["source"], entry["file_name"]) == (
        len(data),
        "file:/in/a.se",
        "a.se",
    )
    assert entry["path"] == f"556677-8899/2025/{first.sha256}.se"
    assert [p.name for p in first.path.parent.iterdir()] == [f"{first.sha256}.se"]  # no temp left


def test_an_archived_file_is_never_rewritten(tmp_path: Path) -> None:
    data = b"#FLAGGA 0\n"
    stored = archive_sie_file(
        data, archive_dir=tmp_path, org_number=None, year=None, source="s", file_name="f"
    )
    assert stored.path.parent == tmp_path / "unknown" / "unknown"
    stat_before = os.stat(stored.path)
    again = archive_sie_file(
        data, archive_dir=tmp_path, org_number=None, year=None, source="s", file_name="f"
    )
    assert os.stat(again.path).st_mtime_ns == stat_before.st_mtime_ns
    assert len(read_manifest(tmp_path)) == 1


def test_check_prints_findings_and_exits_0_for_a_sound_file() -> None:
    result = runner.invoke(
        app,
        ["sie", "check", "-o", "table", str(SAMPLES / "softone_xe_typ4_unbalanced_voucher.SE")],
    )
    assert result.exit_code == ExitCode.OK, result.output
    assert "voucher_balance" in result.output
    assert "1:1" in result.output
    assert "65 vouchers" in result.output


def test_check_prints_json_when_piped() -> None:
    result = runner.invoke(
        app, ["sie", "check", str(SAMPLES / "softone_xe_typ4_unbalanced_voucher.SE")]
    )
    assert result.exit_code == ExitCode.OK, result.output
    (checked,) = json.loads(result.output)["files"]
    assert checked["vouchers"] == 65 and checked["trans_rows"] == 248
    assert any(finding["check"] == "voucher_balance" for finding in checked["findings"])


def test_check_exits_bad_input_for_html(tmp_path: Path) -> None:
    page = tmp_path / "export.se"
    page.write_bytes(b"<!DOCTYPE html>\n<html></html>\n")
    result = runner.invoke(app, ["sie", "check", str(page)])
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "error: " in result.output and "export.se line 1" in result.output


def test_load_command_loads_archives_and_rejects_broken_files(tmp_path: Path) -> None:
    duckdb_path, archive = tmp_path / "books.duckdb", tmp_path / "archive"
    sample = SAMPLES / "avendo_5.10_typ4_rtrans_btrans_tabs.SE"
    arguments = [
        "sie",
        "load",
        str(sample),
        "--duckdb",
        str(duckdb_path),
        "--archive",
        str(archive),
    ]
    result = runner.invoke(app, arguments)
    assert result.exit_code == ExitCode.OK, result.output
    snapshot = warehouse_snapshot(duckdb_path)
    assert len(snapshot["sie_vouchers"]) == 20
    assert len(read_manifest(archive)) == 1

    broken = tmp_path / "broken.se"
    broken.write_bytes(sample.read_bytes()[:-100])
    result = runner.invoke(app, ["sie", "load", str(broken), "--duckdb", str(duckdb_path)])
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "broken.se line" in result.output
    assert warehouse_snapshot(duckdb_path) == snapshot


def test_load_refuses_at_once_while_another_process_writes_the_warehouse(tmp_path: Path) -> None:
    """`sie load` takes the warehouse's writer lock like `run`: a run between two of its
    connections must not find an SIE load slipped in; the load fails at once, names the
    holder, and writes nothing (no table, no archive)."""
    duckdb_path, archive = tmp_path / "books.duckdb", tmp_path / "archive"
    working_dir = working_dir_beside(duckdb_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path\n"
            "from pipelines.writer_lock import hold_writer_lock\n"
            f"with hold_writer_lock(Path({str(working_dir)!r}), {str(duckdb_path)!r}, "
            "command='run acme'):\n"
            "    print('held', flush=True); time.sleep(30)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    sample = SAMPLES / "avendo_5.10_typ4_rtrans_btrans_tabs.SE"
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        result = runner.invoke(
            app,
            ["sie", "load", str(sample), "--duckdb", str(duckdb_path), "--archive", str(archive)],
        )
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == ExitCode.WAREHOUSE_BUSY, result.output
    assert f"in use by process {holder.pid} (run acme" in result.output
    assert warehouse_snapshot(duckdb_path) == {}
    assert not archive.exists() or not any(path.is_file() for path in archive.rglob("*"))


def test_the_archive_follows_dlt_config_and_the_run_record_says_so(tmp_path: Path) -> None:
    """`[sie_archive]` in `.dlt/config.toml`: `dir` moves the archive, `enabled = false` turns it
    off; `--archive DIR` still wins. `load_runs` records what happened each time."""
    import duckdb

    from tests.cli.conftest import invoke

    sample = SAMPLES / "visma_compact_6_typ4_ksumma.se"
    (tmp_path / ".dlt").mkdir()
    config = tmp_path / ".dlt" / "config.toml"
    config.write_text('[sie_archive]\ndir = "kept"\n', encoding="utf-8")
    load = ["sie", "load", str(sample), "--duckdb", "books.duckdb"]
    code, output = invoke(load, cwd=tmp_path)
    assert code == ExitCode.OK, output
    assert len(read_manifest(tmp_path / "kept")) == 1
    assert not (tmp_path / "sie-archive").exists()

    config.write_text("[sie_archive]\nenabled = false\n", encoding="utf-8")
    code, output = invoke(
        ["sie", "load", str(SAMPLES / "briljant_09_typ4.SE"), *load[3:]], cwd=tmp_path
    )
    assert code == ExitCode.OK, output
    assert len(read_manifest(tmp_path / "kept")) == 1
    code, output = invoke(
        ["sie", "load", str(SAMPLES / "e-conomic_typ4.se"), *load[3:], "--archive", "explicit"],
        cwd=tmp_path,
    )
    assert code == ExitCode.OK, output
    assert len(read_manifest(tmp_path / "explicit")) == 1
    with duckdb.connect(str(tmp_path / "books.duckdb"), read_only=True) as connection:
        runs = connection.execute(
            "select archive_enabled, archive_dir from fortnox_raw.load_runs order by started_at"
        ).fetchall()
    assert [(enabled, Path(d).name if d else None) for enabled, d in runs] == [
        (True, "kept"),
        (False, None),
        (True, "explicit"),
    ]
