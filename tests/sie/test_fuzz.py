"""Seeded fuzzing: mutated SIE files are refused with file and line, or load with a finding.

Mutations of clean sample files: truncation at a random byte, a flipped byte, a duplicated line,
a deleted line. For each mutated file exactly one of these must hold:

- refused: `SieError` whose message starts with `<file> line <n>:` (never another exception);
- loaded with at least one finding;
- loaded with no findings, and then the file is asserted to be valid as far as every check
  can see: the same vouchers, #TRANS rows and year-0 balances as the original (the mutation
  changed only what no check can judge: a text, a date, a voucher's series or number moved to
  an unused one, a prior year, a period balance).

The default run tries 200 mutations; `-m slow` tries 4,500.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from sources.sie.reader import SieError, SieFile, read_sie
from tests.sie.conftest import load_sie_files, sample_bytes

# Samples that load with no findings at all: a mutation is judged against a clean original.
CLEAN = [
    "avendo_5.10_typ4_rtrans_btrans_tabs.SE",
    "briljant_09_typ4.SE",
    "norstedts_bokslut_4E_ksumma_tabs.se",
    "sie-gruppen_SIE4_Exempelfil_visma2022.SE",
    "visma_compact_6_typ4_ksumma.se",
]


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, len(data))]


def _flip(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + bytes([rng.randrange(256)]) + data[at + 1 :]


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _duplicate_line(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    at = rng.randrange(len(lines) - 1)
    return b"\n".join([*lines[: at + 1], lines[at], *lines[at + 1 :]])


def _delete_line(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    at = rng.randrange(len(lines) - 1)
    return b"\n".join([*lines[:at], *lines[at + 1 :]])


MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "truncate": _truncate,
    "flip": _flip,
    "duplicate_line": _duplicate_line,
    "delete_line": _delete_line,
}


def checked_content(sie_file: SieFile) -> tuple[object, ...]:
    """What the checks judge: vouchers, #TRANS rows and account-level year-0 balances."""
    tables = sie_file.tables()
    rows = Counter(
        (r["account_number"], r["amount"])
        for r in tables["sie_voucher_rows"].to_pylist()
        if r["row_type"] == "TRANS"
    )
    balances = Counter(
        (b["record"], b["account_number"], b["amount"])
        for b in tables["sie_balances"].to_pylist()
        if b["year_index"] == 0 and b["object_no"] == 0 and b["record"] in ("IB", "UB", "RES")
    )
    return (sie_file.voucher_count, rows, balances)


def judge(original: SieFile, mutated: bytes, name: str) -> str:
    """Read a mutated file and say which of the three allowed outcomes it had."""
    try:
        sie_file = read_sie(mutated, name)
    except SieError as error:
        assert str(error).startswith(f"{name} line {error.line_no}: "), str(error)
        assert error.line_no >= 1
        return "refused"
    if sie_file.findings:
        return "finding"
    assert checked_content(sie_file) == checked_content(original), (
        f"{name} loaded with no findings but its checked content changed"
    )
    return "valid"


def _outcome(data: bytes, name: str, chunk_bytes: int) -> object:
    try:
        sie_file = read_sie(data, name, chunk_bytes=chunk_bytes)
    except SieError as error:
        return str(error)
    return sie_file.findings, sie_file.tables()["sie_voucher_rows"].drop(["company_id"])


def assert_chunking_changes_nothing(data: bytes, name: str) -> None:
    """The same error, or the same findings and rows, when read in 2 kB chunks."""
    assert _outcome(data, name, 2048) == _outcome(data, name, 8 << 20)


def fuzz(count: int, seed: int, tmp_path: Path) -> Counter[str]:
    rng = random.Random(seed)
    originals = {name: read_sie(sample_bytes(name), name) for name in CLEAN}
    assert all(not f.findings for f in originals.values())
    outcomes: Counter[str] = Counter()
    loaded_some: list[Path] = []
    for number in range(count):
        base = rng.choice(CLEAN)
        kind = rng.choice(list(MUTATIONS))
        mutated = MUTATIONS[kind](sample_bytes(base), rng)
        name = f"m{number}_{kind}.se"
        outcome = judge(originals[base], mutated, name)
        if number % 10 == 0:
            assert_chunking_changes_nothing(mutated, name)
        outcomes[outcome] += 1
        outcomes[f"{kind}:{outcome}"] += 1
        if number % 25 == 0:  # some go all the way into a warehouse: no crash past the reader
            path = tmp_path / name
            path.write_bytes(mutated)
            loaded_some.append(path)
    summary = load_sie_files(loaded_some, duckdb_path=tmp_path / "fuzz.duckdb")
    assert len(summary.files) + len(summary.refused) == len(loaded_some)
    assert all(r.error.startswith(f"{r.file_name} line ") for r in summary.refused)
    return outcomes


def test_mutated_files_are_refused_or_found_never_silently_wrong(tmp_path: Path) -> None:
    # A hundred in the default run (every kind of mutation, ten read again in 2 kB chunks,
    # four loaded into a warehouse); the slow suite below reads thousands.
    outcomes = fuzz(100, seed=11, tmp_path=tmp_path)
    assert outcomes["refused"] > 0
    assert outcomes["finding"] > 0
    assert outcomes["refused"] + outcomes["finding"] + outcomes["valid"] == 100
    assert all(any(key.startswith(f"{kind}:") for key in outcomes) for kind in MUTATIONS)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_thousands_of_mutated_files(tmp_path: Path, seed: int) -> None:
    outcomes = fuzz(1500, seed=seed, tmp_path=tmp_path)
    assert outcomes["refused"] + outcomes["finding"] + outcomes["valid"] == 1500
