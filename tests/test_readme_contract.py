"""The README's two commands are the contract with a newcomer; CI must run the same test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", quick_start)


def test_readme_has_exactly_a_demo_and_a_test_command() -> None:
    commands = _readme_commands()
    assert len(commands) == 2
    demo, tests = commands
    assert demo.endswith("fortnox-pipeline demo")
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci_script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = _readme_commands()[1]
    assert test_command in ci_script.splitlines()


def test_every_table_the_source_writes_is_in_the_readmes_table() -> None:
    """Each table of the Fortnox source has a row saying how it is read and how written."""
    from sources.fortnox.settings import ENDPOINTS, SPEC_SCHEMAS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### How each table is read", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    named = {name for row in rows for name in re.findall(r"`([a-z_*]+)`", row.split(" | ")[0])}
    tables = (set(ENDPOINTS) | set(SPEC_SCHEMAS)) - {"sie"}
    assert tables - named == set()
    for row in rows:  # read and written are both said
        cells = [cell.strip() for cell in row.strip("|").split(" | ")]
        assert len(cells) == 3 and all(cells), row
