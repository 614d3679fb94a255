"""The fast paths give exactly what the careful ones give.

- `sie load` streams each file's rows into DuckDB (one INSERT per table, a read-ahead thread):
  every table in the warehouse equals the reference tokenizer's tables inserted whole, on every
  sample file and on fuzzed ones.
- The reader checks each typed column in one pass (one regex every good value matches) and only
  then check by check: on fuzzed files and on crafted bad numbers it refuses with the very
  message and line a check-by-check run gives, and reads the same tables otherwise.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from sources.sie import reader
from sources.sie.reader import SieError, read_sie, read_sie_reference
from sources.sie.tables import SCHEMAS, TABLE_NAMES
from sources.sie.warehouse import SieWarehouse
from tests.sie.conftest import SAMPLE_NAMES, load_sie_files, sample_bytes
from tests.sie.test_fuzz import CLEAN, MUTATIONS

# When to load a file and which of a year's files is current are the loader's, not the reader's.
_NOT_COMPARED = {"loaded_at", "is_current"}
# Findings the loader adds against other files of the same company and year in the warehouse.
_LOADER_FINDINGS = "\"check\" <> 'closing_balance_differs'"


def _differences(connection: duckdb.DuckDBPyConnection, table: str) -> int:
    columns = ", ".join(f'"{f.name}"' for f in SCHEMAS[table] if f.name not in _NOT_COMPARED)
    where = f" WHERE {_LOADER_FINDINGS}" if table == "sie_findings" else ""
    [(count,)] = connection.execute(
        f"SELECT (SELECT count(*) FROM (SELECT {columns} FROM fast.{table}{where}"
        f" EXCEPT ALL SELECT {columns} FROM ref.{table}))"
        f" + (SELECT count(*) FROM (SELECT {columns} FROM ref.{table}"
        f" EXCEPT ALL SELECT {columns} FROM fast.{table}{where}))"
    ).fetchall()
    return int(count)


def assert_warehouse_equals_reference(paths: list[Path], duckdb_path: Path) -> None:
    summary = load_sie_files(paths, duckdb_path=duckdb_path, dataset="fast")
    with duckdb.connect(str(duckdb_path)) as connection:
        reference = SieWarehouse(connection, "ref")
        reference.ensure_tables()
        for entry in summary.files:
            [path] = [p for p in paths if p.name == entry.file_name]
            tables = read_sie_reference(path.read_bytes(), path.name).tables()
            for name in TABLE_NAMES:
                reference._insert(name, tables[name])
        for name in TABLE_NAMES:
            assert _differences(connection, name) == 0, name


@pytest.mark.parametrize("file_name", SAMPLE_NAMES)
def test_every_sample_in_the_warehouse_equals_the_reference_tables(
    file_name: str, tmp_path: Path
) -> None:
    path = tmp_path / file_name
    path.write_bytes(sample_bytes(file_name))
    assert_warehouse_equals_reference([path], tmp_path / "w.duckdb")


def _mutated(count: int, seed: int) -> Iterator[tuple[str, bytes]]:
    rng = random.Random(seed)
    for number in range(count):
        base = rng.choice(CLEAN)
        kind = rng.choice(list(MUTATIONS))
        yield f"m{number}_{kind}.se", MUTATIONS[kind](sample_bytes(base), rng)


def test_fuzzed_files_in_the_warehouse_equal_the_reference_tables(tmp_path: Path) -> None:
    paths = []
    for name, data in _mutated(40, seed=23):
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(path)
    assert_warehouse_equals_reference(paths, tmp_path / "w.duckdb")


def _outcome(data: bytes, name: str) -> object:
    try:
        sie_file = read_sie(data, name)
    except SieError as error:
        return str(error)
    tables = sie_file.tables()
    return sie_file.findings, {
        n: t.drop(["loaded_at"]) if n == "sie_files" else t for n, t in tables.items()
    }


@pytest.fixture
def check_by_check(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every typed column's quick test says "look closer": the checks then run one by one."""
    original = reader._Typed._check

    def always_closer(self: reader._Typed, checks: list, quick: object = None) -> None:
        original(self, checks, quick=reader.pl.lit(True))

    monkeypatch.setattr(reader._Typed, "_check", always_closer)
    yield


def _outcomes(files: list[tuple[str, bytes]]) -> list[object]:
    return [_outcome(data, name) for name, data in files]


@pytest.mark.parametrize(
    ("count", "seed"),
    [
        pytest.param(60, 31, id="sixty"),
        # Many more in the slow suite: the default run's sixty cover every kind of mutation.
        pytest.param(600, 37, marks=pytest.mark.slow, id="six-hundred"),
    ],
)
def test_fuzzed_files_give_the_check_by_check_outcome(
    request: pytest.FixtureRequest, count: int, seed: int
) -> None:
    files = list(_mutated(count, seed=seed))
    assert {name.split("_", 1)[1].removesuffix(".se") for name, _ in files} == set(MUTATIONS)
    quick = _outcomes(files)
    request.getfixturevalue("check_by_check")
    assert _outcomes(files) == quick


_BAD_NUMBERS = [
    "12.",
    "１２.50",
    "12.345",
    "1.2300",
    "-0.5",
    "12345678901234567",
    "1234567890123456",
    "1e5",
    "+12",
    "--1",
    ".5",
    "12.5.1",
    "0.000000",
    "99999999999999.99",
]


def _with_amount(amount: str, voucher_number: str = "1") -> bytes:
    text = (
        '#FLAGGA 0\r\n#SIETYP 4\r\n#RAR 0 20250101 20251231\r\n#KONTO 1930 "Bank"\r\n'
        f'#VER A {voucher_number} 20250105 "x"\r\n{{\r\n#TRANS 1930 {{}} {amount}\r\n'
        "#TRANS 1930 {} 1.00\r\n}\r\n"
    )
    return text.encode("utf-8")


@pytest.mark.parametrize("amount", _BAD_NUMBERS)
def test_odd_amounts_give_the_check_by_check_outcome(
    amount: str, request: pytest.FixtureRequest
) -> None:
    quick = _outcome(_with_amount(amount), "odd.se")
    request.getfixturevalue("check_by_check")
    assert _outcome(_with_amount(amount), "odd.se") == quick


@pytest.mark.parametrize("number", ["1", "-1", "１", "1234567890123456789", "12a", "0012"])
def test_odd_voucher_numbers_give_the_check_by_check_outcome(
    number: str, request: pytest.FixtureRequest
) -> None:
    quick = _outcome(_with_amount("1.00", number), "odd.se")
    request.getfixturevalue("check_by_check")
    assert _outcome(_with_amount("1.00", number), "odd.se") == quick
