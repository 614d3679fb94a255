"""`report close`: the month-end close report, one self-contained HTML page, in a real browser."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.exit_codes import ExitCode
from tests.conftest import SandboxWarehouse

runner = CliRunner()
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@pytest.fixture(scope="module")
def report(
    tmp_path_factory: pytest.TempPathFactory,
    seed3_warehouse: Callable[[bool], SandboxWarehouse],
) -> tuple[Path, str, dict[str, object]]:
    """The sandbox company's warehouse and its close report for October 2026 (the seed-3
    warehouse of `test_sandbox_truth.py`, copied: built once per worker)."""
    built = seed3_warehouse(True)
    assert built.report.ok
    directory = tmp_path_factory.mktemp("close")
    warehouse = built.copy_into(directory)
    out = directory / "close.html"
    result = runner.invoke(
        app,
        ["report", "close", "--duckdb", str(warehouse), "--period", "2026-10", "--out", str(out)],
    )
    assert result.exit_code == ExitCode.OK, result.output
    assert built.company_id in result.output
    return out, built.company_id, built.truth


def test_page_is_self_contained(report: tuple[Path, str, dict[str, object]]) -> None:
    page = report[0].read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    # Nothing fetched at view time: no scripts, no external style, image, font or link.
    assert "<script" not in page
    assert not re.search(r"(src|href)\s*=", page)
    assert "http:" not in page and "https:" not in page and "url(" not in page
    assert page.count("<svg") == 3  # AR and AP reconciliation, aging


def test_page_holds_the_months_figures(report: tuple[Path, str, dict[str, object]]) -> None:
    path, company_id, truth = report
    page = path.read_text(encoding="utf-8")
    for text in (
        "Månadsbokslut 2026-10",
        company_id,
        "Årets resultat",
        "Summa tillgångar",
        "Kundreskontra (AR)",
        "Leverantörsreskontra (AP)",
        f"låst t.o.m. (locked) {truth['locked_through']}",
        "Åldersanalys per 2026-10-31",
        "provisional (not locked)",
        "Förklarande verifikationer",
    ):
        assert text in page, text
    # The deliberate differences up to October are listed with their vouchers.
    for difference in truth["deliberate_differences"]:  # type: ignore[attr-defined]
        if difference["voucher_date"] <= "2026-10-31":
            assert f"{difference['voucher_series']}{difference['voucher_number']} " in page
    # Final and provisional month ends are drawn apart.
    assert 'class="diff final"' in page and 'class="diff prov"' in page


def test_unknown_period_is_not_found(report: tuple[Path, str, dict[str, object]]) -> None:
    warehouse = report[0].parent / "fortnox.duckdb"
    result = runner.invoke(
        app, ["report", "close", "--duckdb", str(warehouse), "--period", "1999-01"]
    )
    assert result.exit_code == ExitCode.NOT_FOUND
    assert "error: no statements for company" in result.output
    result = runner.invoke(app, ["report", "close", "--duckdb", str(warehouse), "--period", "13"])
    assert result.exit_code == ExitCode.USAGE


def _chromium() -> str | None:
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def test_renders_in_headless_chromium(
    report: tuple[Path, str, dict[str, object]], tmp_path: Path
) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium binary on this machine (Debian: apt-get install chromium)")
    path = report[0]
    flags = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1100,2400",
    ]
    screenshot = tmp_path / "close.png"
    shot = subprocess.run(
        [*flags, f"--screenshot={screenshot}", path.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert shot.returncode == 0, shot.stderr[-2000:]
    image = screenshot.read_bytes()
    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(image) > 50_000  # statements, charts and tables, not a blank page
    dom = subprocess.run(
        [*flags, "--dump-dom", path.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    rendered = dom.stdout
    for text in ("Årets resultat", "Kundreskontra (AR)", "Öppna differenser", "Åldersanalys"):
        assert text in rendered, text
    assert rendered.count("<svg") == 3
    assert "Uncaught" not in dom.stderr
