"""Shared fixtures for the SIE tests: the sample corpus, its README table, and warehouse dumps."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from sources.fortnox.settings import DEFAULT_DATASET
from sources.sie.load_files import LoadSummary
from sources.sie.load_files import load_sie_files as load_with_connection
from sources.sie.reader import SieFile, read_sie

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "fixtures" / "sie"


@dataclass(frozen=True)
class SampleRow:
    """One line of the samples README table: what a correct reader finds in that file."""

    file_name: str
    encoding: str
    vouchers: int
    trans: int
    rtrans: int
    btrans: int
    invariants: str


def sample_table() -> list[SampleRow]:
    """Parse the README's markdown table, so the tests follow the corpus's own expectations."""
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    rows = []
    for line in readme.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 8 or not re.fullmatch(r"\d+", cells[3]):
            continue
        name, _program, encoding, vouchers, trans, rtrans, btrans, invariants = cells
        rows.append(
            SampleRow(
                name, encoding, int(vouchers), int(trans), int(rtrans), int(btrans), invariants
            )
        )
    return rows


SAMPLE_ROWS = sample_table()
SAMPLE_NAMES = [row.file_name for row in SAMPLE_ROWS]


@pytest.fixture(scope="session")
def parsed_samples() -> dict[str, SieFile]:
    """Every sample parsed once per session (they are small: about 40 ms each)."""
    return {name: read_sie((SAMPLES / name).read_bytes(), name) for name in SAMPLE_NAMES}


def sample_bytes(name: str) -> bytes:
    """The raw bytes of one sample file."""
    return (SAMPLES / name).read_bytes()


def load_sie_files(
    paths: list[Path],
    *,
    duckdb_path: Path,
    dataset: str = DEFAULT_DATASET,
    archive_dir: Path | None = None,
) -> LoadSummary:
    """`sie load`'s loader on its own connection, opened and closed around the call."""
    duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(duckdb_path)) as connection:
        return load_with_connection(
            paths,
            connection=connection,
            duckdb_path=duckdb_path,
            dataset=dataset,
            archive_dir=archive_dir,
        )


def warehouse_snapshot(duckdb_path: Path, dataset: str = DEFAULT_DATASET) -> dict[str, list[tuple]]:
    """Every SIE table's rows, sorted, without `loaded_at`: what 'unchanged' is compared on."""
    if not duckdb_path.exists():
        return {}
    snapshot: dict[str, list[tuple]] = {}
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        tables = connection.execute(
            "select table_name from information_schema.tables "
            "where table_schema = ? and table_name like 'sie_%'",
            [dataset],
        ).fetchall()
        for (table,) in tables:
            columns = [
                name
                for (name,) in connection.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [dataset, table],
                ).fetchall()
                if name not in ("loaded_at", "_dlt_load_id", "_dlt_id", "is_current")
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            rows = connection.execute(f'select {select} from "{dataset}"."{table}"').fetchall()
            snapshot[table] = sorted(rows, key=repr)
    return snapshot
