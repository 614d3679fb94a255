"""`sie load` and `run` share one warehouse and one schema, in either order, any number of times.

An auditor loads other programs' SIE files beside a client's Fortnox books: both loaders write
the same `sie_*` tables, neither disturbs the other's rows, and the models see both.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.transform import build_models
from tests.pipeline.conftest import (
    WAREHOUSE_NAME,
    LoadedCompany,
    Loader,
    make_session,
    snapshot,
)
from tests.sie.conftest import SAMPLE_ROWS, SAMPLES, load_sie_files

FILES = [SAMPLES / row.file_name for row in SAMPLE_ROWS]
_VOLATILE = ("loaded_at", "is_current", "seen_at")


def _company_rows(path: Path, company_id: str) -> dict[str, Counter[tuple[Any, ...]]]:
    """The company's rows per table, without load times (which differ between two loads)."""
    rows = snapshot(path, company_id)
    return {
        table: Counter(
            tuple(v for c, v in zip(row[0], row[1:], strict=True) if c not in _VOLATILE)
            for row in counter.elements()
        )
        for table, counter in rows.items()
    }


def _hand_loaded(path: Path) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        [(catalog,)] = connection.execute("select current_database()").fetchall()
        return connection.execute(
            f"""
            select f.file_name, count(distinct v.line_no), count(distinct r.line_no)
            from "{catalog}".fortnox_raw.sie_files f
            left join "{catalog}".fortnox_raw.sie_vouchers v using (file_sha256)
            left join "{catalog}".fortnox_raw.sie_voucher_rows r using (file_sha256)
            where f.financial_year_id is null
            group by f.file_name order by f.file_name
            """
        ).fetchall()


@pytest.fixture(scope="module")
def reference(
    small_load: LoadedCompany,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    """A sandbox company loaded alone by `run` (the session's first load of the small company),
    and the samples loaded alone by `sie load`."""
    session = make_session()  # the same books, for this module's own loads
    assert session.tenants[0] == small_load.loader.tenant
    folder = tmp_path_factory.mktemp("alone")
    alone = folder / "sie" / "fortnox.duckdb"
    load_sie_files(FILES, duckdb_path=alone, dataset="fortnox_raw")
    return {
        "session": session,
        "company": _company_rows(small_load.pristine / WAREHOUSE_NAME, str(session.tenants[0])),
        "files": _hand_loaded(alone),
    }


# Four loads and a dbt build: past the default 300 s at a load average of 20 on 2 cores.
@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    "order",
    [
        # sie, run, sie, run: a run after `sie load` and `sie load` after a run, both checked.
        "sie_first",
        pytest.param("run_first", marks=pytest.mark.slow),  # the same turns, one step shifted
    ],
)
def test_sie_load_and_run_share_a_warehouse_in_either_order(
    tmp_path: Path, reference: dict[str, Any], order: str
) -> None:
    session = reference["session"]
    company = str(session.tenants[0])
    loader = Loader(session, session.tenants[0], tmp_path, profile=f"shared-{order}")
    assert loader.duckdb_path is not None
    warehouse = loader.duckdb_path

    def sie_load() -> None:
        summary = load_sie_files(FILES, duckdb_path=warehouse, dataset="fortnox_raw")
        assert not summary.refused
        assert {f.status for f in summary.files} == {"loaded"}

    steps = [sie_load, loader.run] if order == "sie_first" else [loader.run, sie_load]
    for step in steps * 2:  # each loader twice, interleaved
        step()

    assert _hand_loaded(warehouse) == reference["files"]
    assert _company_rows(warehouse, company) == reference["company"]
    with duckdb.connect(str(warehouse)) as connection:
        report = build_models(connection, dataset="fortnox_raw")
        assert not report.failed_models
        companies = {
            row[0]
            for row in connection.execute(
                "select distinct company_id from analytics.fct_trial_balance"
            ).fetchall()
        }
    assert company in companies
    assert "555555-5555" in companies  # SIE-gruppen's sample company, loaded by hand
