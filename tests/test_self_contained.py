"""A clone runs anywhere: no committed file names a folder of a particular machine, and no code
reaches outside the repository (a sibling folder next to the clone, an absolute home path).

`.ci/run` proves the same end to end (a fresh clone with nothing beside it); this test says
which line broke it, in a second, on every test run.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MACHINE_PATH = re.compile(r"(?<![\w.~-])/(?:home|Users|work|mnt|media|scratch)/\w")
"""An absolute path into someone's home or workspace (`/srv/books` in the README's examples is
an example location, not a machine's)."""

ABOVE_THE_REPO = re.compile(r"(?<!\.)\.\./\w+")
"""A relative path that climbs out of its folder."""

PATH_TRAVERSAL_INPUTS = {"../etc", "../b"}
"""Climbing paths the tests feed in on purpose, to see them refused (profile names, pointers)."""

CODE = (".py", ".sh", ".toml", ".yml", ".yaml", ".cfg", ".ini", ".sql", ".json")


def _tracked_files() -> list[Path]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout.decode()
        names = [name for name in listed.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: every file
        names = [
            str(path.relative_to(ROOT))
            for path in ROOT.rglob("*")
            if path.is_file() and not {".git", ".venv"} & set(path.relative_to(ROOT).parts)
        ]
    return [ROOT / name for name in names if (ROOT / name).is_file()]


def _text(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return None  # binary
    return data.decode("utf-8", errors="replace")


def test_no_file_names_a_path_of_a_particular_machine() -> None:
    found = []
    for path in _tracked_files():
        if path.suffix.lower() in {".se", ".si"}:  # sample files, byte for byte as published
            continue
        text = _text(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if MACHINE_PATH.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert found == []


def test_no_code_reads_outside_the_repository() -> None:
    found = []
    for path in _tracked_files():
        relative = path.relative_to(ROOT)
        if path.suffix not in CODE and relative.parts[0] != ".ci":
            continue
        text = _text(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            climbs = set(ABOVE_THE_REPO.findall(line)) - PATH_TRAVERSAL_INPUTS
            if climbs:
                found.append(f"{relative}:{number}: {line.strip()[:120]}")
    assert found == []
