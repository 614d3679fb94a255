"""The SIE 4 writer: every fixture file and a sandbox company written and read back unchanged."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
import pytest

from pipelines.exit_codes import ExitCode
from sources.sie.checksum import ksumma_crc
from sources.sie.reader import SieFile, read_sie
from sources.sie.writer import SieBooks, SieWriteError, write_sie4
from tests.audit.conftest import DefaultRun, invoke
from tests.audit.test_sie_export import SAMPLES

FIXTURES = sorted(p for p in SAMPLES.iterdir() if p.suffix.lower() in (".se", ".si"))
GEN = date(2026, 1, 31)
LOST = "\ufffd"  # a character the source had already lost; CP437 has no place for it


def _without_position(table: pa.Table) -> list[dict[str, Any]]:
    """Rows in order, without the columns that depend on where a line sits in its file."""
    drop = [c for c in ("file_sha256", "company_id", "line_no") if c in table.column_names]
    return [_lost_as_question_mark(row) for row in table.drop(drop).to_pylist()]


def _lost_as_question_mark(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace(LOST, "?")
    if isinstance(value, dict):
        return {k: _lost_as_question_mark(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lost_as_question_mark(v) for v in value]
    return value


FILE_FORM_CHECKS = frozenset({"reader_warning", "final_line_break"})
# Header records the writer always writes, whatever its source lacked.
WRITTEN_HEADER = frozenset({"#FLAGGA", "#FORMAT", "#PROGRAM", "#GEN", "#SIETYP", "#KSUMMA"})


def _bookkeeping_findings(sie_file: SieFile) -> list[tuple[Any, ...]]:
    """Findings about the books, not about the source file's form (encoding, tabs, labels, a
    missing final line break: a written file is well formed whatever its source was)."""
    return sorted(
        (
            (f.check, f.subject, f.expected, f.actual, f.severity)
            for f in sie_file.findings
            if f.check not in FILE_FORM_CHECKS
            and not (f.check == "missing_record" and f.subject in WRITTEN_HEADER)
        ),
        key=repr,
    )


def _sums(sie_file: SieFile) -> dict[tuple[str, Any], Decimal]:
    """Per account: ΣTRANS, and each year-0/-1 #IB, #UB and #RES."""
    totals: dict[tuple[str, Any], Decimal] = defaultdict(Decimal)
    tables = sie_file.tables()
    rows = tables["sie_voucher_rows"].to_pylist()
    for row in rows:
        totals[(row["row_type"], row["account_number"])] += row["amount"]
    for row in tables["sie_balances"].to_pylist():
        key = (f"{row['record']}{row['year_index']}", (row["account_number"], row["object_id"]))
        totals[key] += row["amount"]
    return dict(totals)


def _sie_check_findings(path: Path) -> list[tuple[Any, ...]]:
    """What `sie check` prints about the books of one file (its JSON), file-form checks aside."""
    code, output = invoke(["sie", "check", "-o", "json", str(path)])
    assert code == ExitCode.OK, output
    [checked] = json.loads(output)["files"]
    return sorted(
        (
            (f["check"], f["subject"], f["expected"], f["actual"], f["severity"])
            for f in checked["findings"]
            if f["check"] not in FILE_FORM_CHECKS
            and not (f["check"] == "missing_record" and f["subject"] in WRITTEN_HEADER)
        ),
        key=repr,
    )


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_every_fixture_file_round_trips(path: Path, tmp_path: Path) -> None:
    source = read_sie(path.read_bytes(), path.name)
    written = write_sie4(SieBooks.from_tables(source.tables()), generated_on=GEN)
    back = read_sie(written.data, "written.se")
    (tmp_path / "written.se").write_bytes(written.data)
    # The command a user runs finds the same in both (and the written file's #KSUMMA holds).
    assert _sie_check_findings(tmp_path / "written.se") == _sie_check_findings(path)

    assert back.checksum_status == "ok"
    assert back.detected_encoding in ("cp437", "ascii")  # ascii: no byte above 0x7F
    assert (back.voucher_count, back.trans_rows, back.rtrans_rows, back.btrans_rows) == (
        source.voucher_count,
        source.trans_rows,
        source.rtrans_rows,
        source.btrans_rows,
    )
    for attribute in ("org_number", "fortnox_customer_id", "company_name"):
        expected = _lost_as_question_mark(getattr(source, attribute))
        assert getattr(back, attribute) == expected, attribute
    assert (back.year_start, back.year_end) == (source.year_start, source.year_end)
    source_tables, back_tables = source.tables(), back.tables()
    for name in ("sie_accounts", "sie_dimensions", "sie_objects", "sie_balances"):
        assert _without_position(back_tables[name]) == _without_position(source_tables[name]), name
    for name in ("sie_vouchers", "sie_voucher_rows"):
        assert _without_position(back_tables[name]) == _without_position(source_tables[name]), name
    assert _sums(back) == _sums(source)
    assert _bookkeeping_findings(back) == _bookkeeping_findings(source)
    lost = sum(
        str(v).count(LOST)
        for t in source_tables.values()
        for c in t.columns
        if pa.types.is_string(c.type)
        for v in c.to_pylist()
        if v
    )
    assert bool(written.notes) == bool(lost)


def test_sie_check_reports_the_same_findings_for_the_written_file(tmp_path: Path) -> None:
    path = SAMPLES / "softone_xe_typ4_unbalanced_voucher.SE"
    source = read_sie(path.read_bytes(), path.name)
    out = tmp_path / "written.se"
    out.write_bytes(write_sie4(SieBooks.from_tables(source.tables()), generated_on=GEN).data)
    code, original = invoke(["sie", "check", "-o", "table", str(path)])
    code_written, written = invoke(["sie", "check", "-o", "table", str(out)])
    assert code == code_written == ExitCode.OK
    assert "voucher_balance" in written and "1:1" in written
    assert "KSUMMA ok" in written

    def finding_lines(text: str) -> list[str]:
        return sorted(line for line in text.splitlines() if "voucher_balance" in line)

    assert finding_lines(written) == finding_lines(original)


def _books(rows: list[dict[str, Any]]) -> SieBooks:
    vouchers = pl.DataFrame(
        {
            "line_no": [10],
            "series": ["A"],
            "voucher_number": [1],
            "voucher_date": [date(2025, 3, 1)],
            "text": ['Kvitto "Café" C:\\temp\\'],
            "registration_date": [date(2025, 3, 2)],
            "signature": [None],
        },
        schema_overrides={"signature": pl.String},
    )
    row_frame = pl.DataFrame(
        [
            {
                "line_no": 11 + i,
                "row_type": "TRANS",
                "objects": None,
                "transaction_date": date(2025, 3, 1),
                "quantity": None,
                "signature": None,
                **row,
            }
            for i, row in enumerate(rows)
        ],
        schema_overrides={
            "amount": pl.Decimal(18, 2),
            "quantity": pl.Decimal(18, 4),
            "signature": pl.String,
            "text": pl.String,
            "objects": pl.List(pl.Struct({"dimension": pl.Int32, "object_id": pl.String})),
        },
    )
    accounts = pl.from_arrow(
        pa.table(
            {
                "account_number": pa.array(["0351", "1930"], pa.string()),
                "account_name": ["Konto med nolla", 'Bank "Företag"'],
                "account_type": [None, "T"],
                "unit": [None, None],
                "sru_codes": [None, "7281"],
                "declared": [True, True],
            }
        )
    )
    assert isinstance(accounts, pl.DataFrame)
    return SieBooks(
        company_name="Test AB",
        org_number="556677-8899",
        fortnox_customer_id=None,
        years={0: (date(2025, 1, 1), date(2025, 12, 31))},
        accounts=accounts,
        dimensions=pl.DataFrame(schema={"dimension": pl.Int32, "name": pl.String}),
        objects=pl.DataFrame(
            schema={"dimension": pl.Int32, "object_id": pl.String, "object_name": pl.String}
        ),
        balances=pl.DataFrame(
            schema={
                "line_no": pl.Int64,
                "record": pl.String,
                "year_index": pl.Int32,
                "period": pl.String,
                "account_number": pl.String,
                "dimension": pl.Int32,
                "object_id": pl.String,
                "amount": pl.Decimal(18, 2),
                "quantity": pl.Decimal(18, 4),
            }
        ),
        vouchers=vouchers,
        rows=row_frame,
    )


def test_quoting_escaping_and_account_numbers_as_written() -> None:
    books = _books(
        [
            {"account_number": "0351", "amount": Decimal("-100.50"), "text": "rad med\ttab"},
            {"account_number": "1930", "amount": Decimal("100.50"), "text": 'säger "hej"'},
        ]
    )
    written = write_sie4(books, generated_on=GEN)
    text = written.data.decode("cp437")
    assert '#KONTO 0351 "Konto med nolla"' in text
    assert '#KONTO 1930 "Bank \\"Företag\\""' in text
    assert "#KTYP 1930 T" in text and "#SRU 1930 7281" in text
    assert '#TRANS 0351 {} -100.5 "" "rad med tab"' in text
    assert '#TRANS 1930 {} 100.5 "" "säger \\"hej\\""' in text
    # A quoted text cannot end in a backslash (\" would escape the closing quote).
    assert '"Kvitto \\"Café\\" C:\\temp\\ "' in text
    assert any("backslash" in note for note in written.notes)
    assert any("control characters" in note for note in written.notes)
    back = read_sie(written.data, "quoted.se")
    assert back.checksum_status == "ok"
    [voucher] = back.tables()["sie_vouchers"].to_pylist()
    assert voucher["text"] == 'Kvitto "Café" C:\\temp\\ '
    rows = back.tables()["sie_voucher_rows"].to_pylist()
    assert [r["text"] for r in rows] == ["rad med tab", 'säger "hej"']
    assert [r["amount"] for r in rows] == [Decimal("-100.50"), Decimal("100.50")]
    # The checksum is the spec's: CRC-32 over the records between the markers.
    lines = written.data.split(b"\r\n")
    assert lines[1] == b"#KSUMMA" and lines[-2].startswith(b"#KSUMMA ")
    assert int(lines[-2].split()[1]) == ksumma_crc(b"\n".join(lines[2:-2]))


def test_a_period_inside_the_year_has_balances_as_of_its_days() -> None:
    path = SAMPLES / "sie-gruppen_SIE4_Exempelfil_visma2022.SE"
    source = read_sie(path.read_bytes(), path.name)
    books = SieBooks.from_tables(source.tables())
    year_start, year_end = books.years[0]
    assert year_start is not None and year_end is not None
    first, last = date(year_start.year, 4, 1), date(year_start.year, 6, 30)
    back = read_sie(write_sie4(books.for_period(first, last), generated_on=GEN).data, "q2.se")
    assert (back.year_start, back.year_end) == (first, last)
    assert _bookkeeping_findings(back) == []  # IB + ΣTRANS = UB and ΣTRANS = RES by construction
    vouchers = source.tables()["sie_vouchers"].to_pylist()
    in_period = [v for v in vouchers if first <= v["voucher_date"] <= last]
    assert back.voucher_count == len(in_period) > 0
    # IB of the period = the year's IB plus every #TRANS booked before the period.
    rows = pl.from_arrow(source.tables()["sie_voucher_rows"])
    assert isinstance(rows, pl.DataFrame)
    account = "1930"
    before = (
        rows.filter(
            (pl.col("row_type") == "TRANS")
            & (pl.col("account_number") == account)
            & (pl.col("transaction_date") < first)
        )
        .get_column("amount")
        .sum()
    )
    year_ib = _sums(source).get(("IB0", (account, None)), Decimal(0))
    assert _sums(back)[("IB0", (account, None))] == year_ib + Decimal(before)

    with pytest.raises(SieWriteError, match="not inside the financial year"):
        books.for_period(first, date(year_end.year + 1, 1, 31))


def _warehouse_rows(warehouse: Path, sha256: str) -> tuple[int, dict[tuple[str, Any], Decimal]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        vouchers = connection.execute(
            "select count(*) from fortnox_raw.sie_vouchers where file_sha256 = ?", [sha256]
        ).fetchone()
        sums = connection.execute(
            "select row_type, account_number, sum(amount) from fortnox_raw.sie_voucher_rows"
            " where file_sha256 = ? group by all",
            [sha256],
        ).fetchall()
        balances = connection.execute(
            "select record || year_index, account_number, object_id, sum(amount)"
            " from fortnox_raw.sie_balances where file_sha256 = ? group by all",
            [sha256],
        ).fetchall()
    assert vouchers is not None
    totals: dict[tuple[str, Any], Decimal] = {(t, a): s for t, a, s in sums}
    totals.update({(r, (a, o)): s for r, a, o, s in balances})
    return int(vouchers[0]), totals


def test_a_sandbox_company_round_trips_through_the_warehouse(
    default_run: DefaultRun, tmp_path: Path
) -> None:
    with duckdb.connect(str(default_run.warehouse), read_only=True) as connection:
        years = connection.execute(
            "select company_id, year_start, year_end, file_sha256 from fortnox_raw.sie_files"
        ).fetchall()
    assert len(years) == 3
    for company, year_start, year_end, sha256 in years:
        out = tmp_path / f"{year_start.year}.se"
        code, output = invoke(
            [
                "sie",
                "write",
                "--company",
                company,
                "--from",
                str(year_start),
                "--to",
                str(year_end),
                "--out",
                str(out),
                "--duckdb",
                str(default_run.warehouse),
            ]
        )
        assert code == 0, output
        back = read_sie(out.read_bytes(), out.name)
        assert back.checksum_status == "ok"
        vouchers, sums = _warehouse_rows(default_run.warehouse, sha256)
        assert back.voucher_count == vouchers
        assert _sums(back) == {k: v for k, v in sums.items()}
        [original] = list((default_run.folder / "sie-archive").glob(f"*/*/{sha256}.se"))
        exported = read_sie(original.read_bytes(), original.name)
        assert _bookkeeping_findings(back) == _bookkeeping_findings(exported)
        assert hashlib.sha256(out.read_bytes()).hexdigest() != sha256  # generated, not copied
