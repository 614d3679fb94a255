"""Loading into DuckDB: all samples, idempotent re-loads, a broken file loads nothing of itself
and stops none of the others; the dlt source for other destinations."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import dlt
import duckdb
import pytest

from sources.sie.load import sie_resources
from sources.sie.load_files import LoadSummary
from sources.sie.reader import read_sie
from tests.sie.conftest import (
    SAMPLE_ROWS,
    SAMPLES,
    load_sie_files,
    sample_bytes,
    warehouse_snapshot,
)

ALL_SAMPLES = [SAMPLES / row.file_name for row in SAMPLE_ROWS]


@pytest.fixture(scope="module")
def loaded_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, LoadSummary]:
    folder = tmp_path_factory.mktemp("warehouse")
    duckdb_path = folder / "fortnox.duckdb"  # the default pair: catalog and dataset both "fortnox"
    summary = load_sie_files(
        ALL_SAMPLES, duckdb_path=duckdb_path, dataset="fortnox", archive_dir=folder / "archive"
    )
    return duckdb_path, summary


def _without_ksumma_end(data: bytes) -> bytes:
    return data[: data.rindex(b"#KSUMMA")]


def _query(duckdb_path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_every_sample_loads_with_the_readme_counts(
    loaded_warehouse: tuple[Path, LoadSummary],
) -> None:
    duckdb_path, summary = loaded_warehouse
    assert len(summary.files) == 17
    counts = {
        name: (vouchers, trans, rtrans, btrans)
        for name, vouchers, trans, rtrans, btrans in _query(
            duckdb_path,
            """
            select f.file_name, f.voucher_count,
                (select count(*) from fortnox.fortnox.sie_voucher_rows r
                 where r.file_sha256 = f.file_sha256 and r.row_type = 'TRANS'),
                (select count(*) from fortnox.fortnox.sie_voucher_rows r
                 where r.file_sha256 = f.file_sha256 and r.row_type = 'RTRANS'),
                (select count(*) from fortnox.fortnox.sie_voucher_rows r
                 where r.file_sha256 = f.file_sha256 and r.row_type = 'BTRANS')
            from fortnox.fortnox.sie_files f
            """,
        )
    }
    assert counts == {r.file_name: (r.vouchers, r.trans, r.rtrans, r.btrans) for r in SAMPLE_ROWS}
    [(row_count,)] = _query(duckdb_path, "select count(*) from fortnox.fortnox.sie_voucher_rows")
    assert summary.table_rows["sie_voucher_rows"] == row_count == 8248
    assert summary.table_rows["sie_files"] == 17


def test_warehouse_types_follow_the_contract(loaded_warehouse: tuple[Path, LoadSummary]) -> None:
    duckdb_path, _ = loaded_warehouse
    types = dict(
        _query(
            duckdb_path,
            "select table_name || '.' || column_name, data_type from information_schema.columns "
            "where table_schema = 'fortnox'",
        )
    )
    assert types["sie_voucher_rows.amount"] == "DECIMAL(18,2)"
    assert types["sie_balances.amount"] == "DECIMAL(18,2)"
    assert types["sie_findings.actual"] == "DECIMAL(38,2)"  # sums of amounts
    assert types["sie_voucher_rows.transaction_date"] == "DATE"
    assert types["sie_vouchers.voucher_date"] == "DATE"
    assert types["sie_files.year_start"] == "DATE"
    assert types["sie_voucher_rows.line_no"] == "BIGINT"
    assert types["sie_voucher_rows.objects"] == "JSON"  # Arrow list<struct>, JSON as dlt does
    assert types["sie_voucher_rows.account_number"] == "VARCHAR"  # exactly as written
    for table in ("sie_files", "sie_accounts", "sie_balances", "sie_vouchers", "sie_findings"):
        assert types[f"{table}.file_sha256"] == "VARCHAR"
        assert types[f"{table}.company_id"] == "VARCHAR"


def test_sums_in_the_warehouse_are_exact(loaded_warehouse: tuple[Path, LoadSummary]) -> None:
    duckdb_path, _ = loaded_warehouse
    [(unbalanced,)] = _query(
        duckdb_path,
        """
        select count(*) from (
            select file_sha256, series, voucher_number, sum(amount) as total
            from fortnox.fortnox.sie_voucher_rows where row_type = 'TRANS'
            group by all having total <> 0)
        """,
    )
    assert unbalanced == 1  # SoftOne voucher 1:1


def test_object_lists_are_queryable_json(loaded_warehouse: tuple[Path, LoadSummary]) -> None:
    duckdb_path, _ = loaded_warehouse
    rows = _query(
        duckdb_path,
        """
        select cost_center, objects->0->>'object_id', cast(objects->1->>'dimension' as int)
        from fortnox.fortnox.sie_voucher_rows r
        join fortnox.fortnox.sie_files f using (file_sha256)
        where f.file_name = 'mamut_14_typ4_tabs_quoted_format.SE' and r.row_no = 1
        order by r.line_no limit 1
        """,
    )
    assert rows == [("2", "2", 10)]


def test_archive_holds_each_file_once(loaded_warehouse: tuple[Path, LoadSummary]) -> None:
    _, summary = loaded_warehouse
    paths = [entry.archived_path for entry in summary.files]
    assert all(path is not None and path.exists() for path in paths)
    assert len(set(paths)) == 17
    for entry in summary.files:
        assert entry.archived_path is not None
        assert entry.archived_path.read_bytes() == (SAMPLES / entry.file_name).read_bytes()


def test_reloading_the_same_file_changes_nothing(tmp_path: Path) -> None:
    duckdb_path = tmp_path / "w.duckdb"
    files = [SAMPLES / "bl_admin_2011_typ4_rtrans_btrans.SE", SAMPLES / "e-conomic_typ4.se"]
    load_sie_files(files, duckdb_path=duckdb_path)
    before = warehouse_snapshot(duckdb_path)
    load_sie_files(files[:1], duckdb_path=duckdb_path)
    load_sie_files([files[0], files[0]], duckdb_path=duckdb_path)
    after = warehouse_snapshot(duckdb_path)
    assert after == before
    assert len(after["sie_voucher_rows"]) == 414 + 160
    assert len(after["sie_files"]) == 2


@pytest.mark.parametrize(
    ("broken_name", "broken_bytes", "message"),
    [
        ("page.se", b"<html><body>404 Not Found</body></html>\n", r"page\.se line 1: not a SIE"),
        (
            "truncated.se",
            sample_bytes("avendo_5.10_typ4_rtrans_btrans_tabs.SE")[:-200],
            r"truncated\.se line \d+: the #VER block starting here never closes",
        ),
        (
            "ksumma.se",
            _without_ksumma_end(sample_bytes("visma_compact_6_typ4_ksumma.se")),
            r"ksumma\.se line 2: #KSUMMA start marker without an end marker",
        ),
    ],
)
def test_a_broken_file_loads_nothing_and_stops_none_of_the_others(
    tmp_path: Path, broken_name: str, broken_bytes: bytes, message: str
) -> None:
    duckdb_path, archive = tmp_path / "w.duckdb", tmp_path / "archive"
    load_sie_files([SAMPLES / "avendo_5.10_typ4_rtrans_btrans_tabs.SE"], duckdb_path=duckdb_path)
    before = warehouse_snapshot(duckdb_path)
    broken = tmp_path / broken_name
    broken.write_bytes(broken_bytes)
    good = SAMPLES / "mamut_14_typ4_tabs_quoted_format.SE"
    summary = load_sie_files([broken, good], duckdb_path=duckdb_path, archive_dir=archive)
    [refused] = summary.refused
    assert re.match(message, refused.error)
    assert [f.file_name for f in summary.files] == [good.name]
    after = warehouse_snapshot(duckdb_path)
    good_sha = summary.files[0].file_sha256
    for table, rows in after.items():
        # every row is the earlier file's or the good file's; none of the broken one
        assert sorted([r for r in rows if r[0] != good_sha], key=repr) == before.get(table, [])
    assert len([r for r in after["sie_vouchers"] if r[0] == good_sha]) == 168
    manifest = [json.loads(line) for line in (archive / "manifest.jsonl").read_text().splitlines()]
    assert [entry["file_name"] for entry in manifest] == [good.name]


@pytest.mark.parametrize("unit_scope", [False, True])
def test_merge_key_replaces_a_fortnox_year_as_a_unit(tmp_path: Path, unit_scope: bool) -> None:
    """The dlt source's use: a new export of financial year 9 replaces the old one's rows
    (by dlt's merge key, or by a destination scope on the same columns as `run` does)."""
    duckdb_path = tmp_path / "w.duckdb"
    pipeline = dlt.pipeline(
        pipeline_name=f"sie_merge_key_test_{unit_scope}",
        pipelines_dir=str(tmp_path / "dlt"),
        destination=dlt.destinations.duckdb(str(duckdb_path)),
        dataset_name="fortnox",
    )
    extra = {"company_id": "556677-8899", "financial_year_id": 9}
    key = ("company_id", "financial_year_id")
    first = read_sie(sample_bytes("avendo_5.10_typ4_rtrans_btrans_tabs.SE"), "june.se")
    second = read_sie(sample_bytes("briljant_09_typ4.SE"), "december.se")
    for sie_file in (first, second):
        pipeline.run(
            sie_resources([sie_file], extra_columns=extra, merge_key=key, unit_scope=unit_scope)
        )
    rows = _query(
        duckdb_path,
        "select file_sha256, company_id, financial_year_id, count(*) "
        "from fortnox.sie_voucher_rows group by all",
    )
    assert rows == [(second.file_sha256, "556677-8899", 9, second.trans_rows)]
    [(files,)] = _query(duckdb_path, "select count(*) from fortnox.sie_files")
    assert files == 1


def test_every_sample_keeps_its_per_account_sums_exactly(
    loaded_warehouse: tuple[Path, LoadSummary],
) -> None:
    """Per file and account, the warehouse's #TRANS sums and year-0 balances are the reader's."""
    duckdb_path, _ = loaded_warehouse
    stored_rows = dict(
        ((name, account), total)
        for name, account, total in _query(
            duckdb_path,
            "select f.file_name, r.account_number, sum(r.amount)"
            " from fortnox.fortnox.sie_voucher_rows r"
            " join fortnox.fortnox.sie_files f using (file_sha256)"
            " where r.row_type = 'TRANS' group by all",
        )
    )
    stored_balances = dict(
        ((name, record, account), total)
        for name, record, account, total in _query(
            duckdb_path,
            "select f.file_name, b.record, b.account_number, sum(b.amount)"
            " from fortnox.fortnox.sie_balances b"
            " join fortnox.fortnox.sie_files f using (file_sha256)"
            " where b.year_index = 0 and b.object_no = 0 group by all",
        )
    )
    expected_rows: dict[tuple[str, str], Decimal] = {}
    expected_balances: dict[tuple[str, str, str], Decimal] = {}
    for path in ALL_SAMPLES:
        tables = read_sie(path.read_bytes(), path.name).tables()
        for row in tables["sie_voucher_rows"].to_pylist():
            if row["row_type"] == "TRANS":
                key = (path.name, row["account_number"])
                expected_rows[key] = expected_rows.get(key, Decimal(0)) + row["amount"]
        for balance in tables["sie_balances"].to_pylist():
            if balance["year_index"] == 0 and balance["object_no"] == 0:
                key3 = (path.name, balance["record"], balance["account_number"])
                previous = expected_balances.get(key3, Decimal(0))
                expected_balances[key3] = previous + balance["amount"]
    assert stored_rows == expected_rows
    assert stored_balances == expected_balances
    assert ("sie-gruppen_SIE4_Exempelfil_visma2022.SE", "1930") in stored_rows
