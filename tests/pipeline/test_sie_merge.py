"""How `run` replaces a company's financial year in the `sie_*` tables, and why it stays fast.

dlt's delete-insert, given a merge key and a primary key, deletes where either key matches a
staged row: DuckDB runs that `OR` join as a nested loop over the whole table (439 s for one
open year of a company with 20,000 vouchers a year, against 11 s for the whole load step
with the unit's semi-join). These tests fail if that form comes back, and check that the
primary key still does what it is there for: rows a repeated load job staged twice (dlt loads
at least once) are inserted once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dlt.destinations.sql_jobs import SqlMergeFollowupJob

from sources.sie.tables import ROW_KEYS, TABLE_NAMES
from tests.pipeline.conftest import DATASET, LoadedCompany, Loader, differences, snapshot

UNIT = ("company_id", "financial_year_id")
SLOW_JOINS = ("NESTED_LOOP_JOIN", "BLOCKWISE_NL_JOIN", "PIECEWISE_MERGE_JOIN", "CROSS_PRODUCT")


@contextmanager
def merge_statements() -> Iterator[dict[str, list[str]]]:
    """The SQL of every merge dlt runs meanwhile, per table (the last merge of each)."""
    statements: dict[str, list[str]] = {}
    original = SqlMergeFollowupJob.generate_sql.__func__  # type: ignore[attr-defined]

    def generate_sql(cls: Any, table_chain: Any, sql_client: Any) -> list[str]:
        sql: list[str] = original(cls, table_chain, sql_client)
        statements[table_chain[0]["name"]] = sql
        return sql

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SqlMergeFollowupJob, "generate_sql", classmethod(generate_sql))
        yield statements


@pytest.fixture(scope="module")
def nightly(
    small_load: LoadedCompany, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, list[str]]]:
    """A small company loaded, a day of business, and the nightly run's merge SQL."""
    session, loader = small_load.first_load_into(tmp_path_factory.mktemp("sie_merge"))
    session.advance(1)
    with merge_statements() as statements:
        summary = loader.run(later_day=True)
    assert summary.outcome == "completed"
    assert summary.resources["sie"].rows > 0  # the open year was loaded again
    assert loader.duckdb_path is not None
    return loader.duckdb_path, statements


def _plan(path: Path, statement: str) -> str:
    with duckdb.connect(str(path)) as connection:  # EXPLAIN of a DELETE needs a writable file
        return "\n".join(
            str(row[1]) for row in connection.execute(f"EXPLAIN {statement}").fetchall()
        )


@pytest.mark.parametrize("table", [name for name in TABLE_NAMES if name != "sie_findings"])
def test_a_year_is_deleted_by_a_hash_join_on_the_unit_alone(
    nightly: tuple[Path, dict[str, list[str]]], table: str
) -> None:
    path, statements = nightly
    [delete] = [sql for sql in statements[table] if sql.lstrip().startswith("DELETE")]
    assert " OR " not in delete, delete
    assert '("company_id", "financial_year_id") IN (SELECT' in delete, delete
    plan = _plan(path, delete)
    assert "HASH_JOIN" in plan, plan
    assert not any(join in plan for join in SLOW_JOINS), plan


@pytest.mark.parametrize("table", [name for name in TABLE_NAMES if ROW_KEYS[name] is not None])
def test_the_insert_keeps_one_row_per_primary_key(
    nightly: tuple[Path, dict[str, list[str]]], table: str
) -> None:
    _, statements = nightly
    [insert] = [sql for sql in statements[table] if sql.lstrip().startswith("INSERT")]
    key = {f'"{column}"' for column in (*UNIT, *(ROW_KEYS[table] or ()))}
    partition = insert.split("partition BY ", 1)[1].split(" ORDER BY", 1)[0]
    assert set(partition.split(", ")) == key, insert


def test_rows_of_a_replaced_export_go_even_from_tables_the_new_one_left_empty(
    small_load: LoadedCompany, tmp_path: Path
) -> None:
    """The sandbox's exports have no findings; an older export of the open year had one. The
    run that loads the year's next export removes it (this company's only: another company's
    rows are its own runs' business)."""
    session, loader = small_load.first_load_into(tmp_path)
    _add_findings_of_an_older_export(loader)
    session.advance(1)  # the open year's books change: its next export replaces the file
    loader.run(later_day=True)
    assert _findings_left(loader) == [("another company",)]


def test_a_run_killed_before_its_cleanup_leaves_it_to_the_next_run(
    small_load: LoadedCompany, tmp_path: Path
) -> None:
    """A run cleans up after its own load only the years it loaded. Killed between its load
    and that cleanup, it leaves the cleanup marked undone: the next run cleans every year of
    the company first, though it loads no new export itself."""
    _, loader = small_load.first_load_into(tmp_path)
    _add_findings_of_an_older_export(loader)
    loader.run()  # the books did not change: nothing loaded, nothing cleaned
    assert sorted(_findings_left(loader)) == sorted([(str(loader.tenant),), ("another company",)])
    pipelines_dir = loader.target.working_dir
    (pipelines_dir / f"fortnox_{loader.tenant}.sie_cleanup").touch()  # as a kill leaves it
    loader.run()
    assert _findings_left(loader) == [("another company",)]
    assert not (pipelines_dir / f"fortnox_{loader.tenant}.sie_cleanup").exists()


def _add_findings_of_an_older_export(loader: Loader) -> None:
    """A finding of an older export of the open year, for the loader's company and another."""
    assert loader.duckdb_path is not None
    with duckdb.connect(str(loader.duckdb_path)) as connection:
        [(year,)] = connection.execute(
            f'SELECT max(financial_year_id) FROM "{DATASET}"."sie_files"'
        ).fetchall()
        for company in (str(loader.tenant), "another company"):
            connection.execute(
                f'INSERT INTO "{DATASET}"."sie_findings" (file_sha256, company_id,'
                " financial_year_id) VALUES ('an older export', ?, ?)",
                [company, year],
            )


def _findings_left(loader: Loader) -> list[tuple[Any, ...]]:
    assert loader.duckdb_path is not None
    with duckdb.connect(str(loader.duckdb_path), read_only=True) as connection:
        return connection.execute(f'SELECT company_id FROM "{DATASET}"."sie_findings"').fetchall()


def test_a_merge_repeated_with_its_rows_staged_twice_changes_nothing(
    nightly: tuple[Path, dict[str, list[str]]],
) -> None:
    """What a load job repeated after a kill leaves: every SIE table's rows staged twice, and
    the merge run again. The warehouse must stay what the completed load made it."""
    path, statements = nightly
    before = snapshot(path)
    with duckdb.connect(str(path)) as connection:
        for table in TABLE_NAMES:
            if table not in statements:
                continue
            staged = f'"{DATASET}_staging"."{table}"'
            connection.execute(f"INSERT INTO {staged} SELECT * FROM {staged}")
            for statement in statements[table]:
                connection.execute(statement)
        [(doubled,)] = connection.execute(
            f'SELECT count(*) FROM "{DATASET}_staging"."sie_voucher_rows"'
        ).fetchall()
        assert doubled > 0
    assert differences(snapshot(path), before) == {}
