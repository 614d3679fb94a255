"""Nothing loads as a silently wrong number: odd accounts, cut files, overflow, anomalies.

Each case here was seen in real files or in a fuzzing run: a `DIFF` account that refused a whole
file, `0351` stored as 351, a file cut mid-number that checked clean, Unicode digits and huge
numbers that crashed or went NULL, and anomalies (a voucher number used twice, a repeated
balance) that no finding named.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from sources.sie.reader import SieError, SieFile, read_sie
from tests.sie.conftest import load_sie_files, sample_bytes
from tests.sie.test_reader_structure import HEADER, read_both, sie, voucher

COMPLETE = ["#IB 0 1930 1000.00", "#UB 0 1930 900.00", "#RES 0 6110 100.00"]


def _utf8(*lines: str) -> bytes:
    """A test file in UTF-8, which can carry digits of other scripts (`１`)."""
    return "\r\n".join([*HEADER, *lines, ""]).encode("utf-8")


def _found(sie_file: SieFile, check: str) -> list[tuple[str, int | None]]:
    return [(f.subject, f.line_no) for f in sie_file.findings if f.check == check]


def test_a_complete_file_has_no_findings() -> None:
    assert read_both(sie(*COMPLETE, *voucher(1))).findings == []


def test_0351_and_351_are_two_accounts_kept_as_written() -> None:
    data = sie(
        '#KONTO 0351 "Aktier, noll först"',
        '#KONTO 351 "Aktier"',
        *COMPLETE,
        "#IB 0 0351 10.00",
        "#UB 0 0351 10.00",
        "#IB 0 351 20.00",
        "#UB 0 351 20.00",
        *voucher(1),
    )
    sie_file = read_both(data)
    accounts = [a["account_number"] for a in sie_file.tables()["sie_accounts"].to_pylist()]
    assert accounts == ["0351", "351", "1930", "6110"]  # numeric order, text kept
    balances = {
        (b["record"], b["account_number"]): b["amount"]
        for b in sie_file.tables()["sie_balances"].to_pylist()
    }
    assert balances[("UB", "0351")] == Decimal("10.00")
    assert balances[("UB", "351")] == Decimal("20.00")
    assert _found(sie_file, "account_leading_zero") == [("0351", len(HEADER) + 1)]
    assert _found(sie_file, "accounts_equal_as_numbers") == [("351", len(HEADER) + 2)]
    assert not _found(sie_file, "ib_plus_trans_equals_ub")


def test_a_diff_account_is_loaded_with_a_finding_not_refused() -> None:
    data = sie('#KONTO DIFF "DIFF"', "#KTYP DIFF", *COMPLETE, *voucher(1))
    sie_file = read_both(data)
    accounts = {a["account_number"] for a in sie_file.tables()["sie_accounts"].to_pylist()}
    assert "DIFF" in accounts
    assert _found(sie_file, "account_not_numeric") == [("DIFF", len(HEADER) + 1)]
    assert sie_file.voucher_count == 1


def test_a_diff_account_with_movements_cannot_be_reconciled_and_says_so() -> None:
    data = sie(
        '#KONTO DIFF "DIFF"',
        *COMPLETE,
        *voucher(1, "#TRANS 1930 {} -100", "#TRANS 6110 {} 99", "#TRANS DIFF {} 1"),
        header=True,
    )
    sie_file = read_both(data)
    assert ("DIFF", None) in _found(sie_file, "not_checked")


def test_a_file_cut_mid_number_is_an_error_finding() -> None:
    """`head -c` through `#IB 0 1920 68299.70`: the reader must not call it clean."""
    whole = sample_bytes("bl_admin_2011_typ4_rtrans_btrans.SE")
    cut = whole[: whole.index(b"#IB 0 1920") + len(b"#IB 0 1920 68")]
    sie_file = read_sie(cut, "cut.se")
    [severity] = [f.severity for f in sie_file.findings if f.check == "final_line_break"]
    assert severity == "error"
    assert ("#VER", None) in _found(sie_file, "missing_section")
    assert ("ib_plus_trans_equals_ub", None) in _found(sie_file, "not_checked")


def test_a_file_cut_at_a_line_boundary_is_not_clean() -> None:
    whole = sample_bytes("bl_admin_2011_typ4_rtrans_btrans.SE")
    cut = whole[: whole.index(b"#VER")]
    sie_file = read_sie(cut, "cut.se")
    assert sie_file.findings
    assert ("#VER", None) in _found(sie_file, "missing_section")


def test_a_final_brace_without_line_break_is_only_a_warning() -> None:
    data = sie(*COMPLETE, *voucher(1)).rstrip(b"\r\n")
    [finding] = read_both(data).findings
    assert (finding.check, finding.severity) == ("final_line_break", "warning")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("#TRANS 1930 {} １２５.００", "the amount is not a number"),
        ("#TRANS 1930 {} 9999999999999999999.00", "the amount has more decimals or digits"),
        ('#TRANS 1930 {99999999999 "x"} 1.00', "the dimension number 99999999999 is out of range"),
        ('#TRANS 1930 {１ "x"} 1.00', "the dimension number is missing or not a number"),
    ],
)
def test_numbers_out_of_range_or_in_other_digits_are_errors_naming_the_line(
    line: str, problem: str
) -> None:
    data = _utf8(*voucher(1, line, "#TRANS 6110 {} -1.00"))
    with pytest.raises(SieError, match=rf"^t\.se line {len(HEADER) + 3}: {problem}"):
        read_sie(data, "t.se")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("#IB -99999999999 1930 1.00", "the year index is out of range"),
        ("#IB ０ 1930 1.00", "the year index is not a whole number"),
        ('#DIM 99999999999 "x"', "the dimension number 99999999999 is out of range"),
        ("#RAR 99999999999 20240101 20241231", "the year index is out of range"),
    ],
)
def test_header_and_balance_numbers_out_of_range_are_errors(line: str, problem: str) -> None:
    data = _utf8(line, *voucher(1))
    with pytest.raises(SieError, match=rf"^t\.se line {len(HEADER) + 1}: {problem}"):
        read_sie(data, "t.se")


def test_the_largest_amount_loads_exactly(tmp_path: Path) -> None:
    big = "9999999999999999.99"
    data = sie(*voucher(1, f"#TRANS 1930 {{}} {big}", f"#TRANS 6110 {{}} {big}"))
    path = tmp_path / "big.se"
    path.write_bytes(data)
    sie_file = read_sie(data, "big.se")
    [unbalanced] = [f for f in sie_file.findings if f.check == "voucher_balance"]
    assert unbalanced.actual == Decimal("19999999999999999.98")  # a sum wider than an amount
    summary = load_sie_files([path], duckdb_path=tmp_path / "w.duckdb")
    assert [f.status for f in summary.files] == ["loaded"]


def test_an_account_number_of_twenty_digits_is_text_not_an_overflow() -> None:
    data = sie("#KONTO 99999999999999999999 Stort", *COMPLETE, *voucher(1))
    accounts = {a["account_number"] for a in read_both(data).tables()["sie_accounts"].to_pylist()}
    assert "99999999999999999999" in accounts


def test_a_voucher_number_used_twice_in_a_series_is_named() -> None:
    sie_file = read_both(sie(*COMPLETE, *voucher(1), *voucher(1)))
    assert _found(sie_file, "voucher_number_repeated") == [("A:1", len(HEADER) + 9)]


def test_a_voucher_dated_outside_the_year_is_named() -> None:
    late = ['#VER A 2 20250105 "sent"', "{", "#TRANS 1930 {} -1", "#TRANS 6110 {} 1", "}"]
    sie_file = read_both(sie(*COMPLETE, *voucher(1), *late))
    assert _found(sie_file, "voucher_outside_year") == [("A:2", len(HEADER) + 9)]


@pytest.mark.parametrize("line", ["#UB -1 1930 500.00", "#PSALDO 0 202401 6110 {} 100.00 0"])
def test_a_repeated_balance_record_is_named_not_silently_summed(line: str) -> None:
    sie_file = read_both(sie(*COMPLETE, line, line, *voucher(1)))
    [(subject, line_no)] = _found(sie_file, "balance_repeated")
    assert line_no == len(HEADER) + len(COMPLETE) + 2
    assert subject in ("1930", "6110")


def test_rar_0_reversed_or_given_twice_is_named() -> None:
    reversed_year = read_both(sie("#RAR 0 20241231 20240101", *COMPLETE, *voucher(1)))
    # the header's #RAR 0 comes first and is used; the second is a repeat
    assert _found(reversed_year, "financial_year_repeated") == [("#RAR 0", len(HEADER) + 1)]
    header = [line for line in HEADER if not line.startswith("#RAR")]
    data = "\r\n".join([*header, "#RAR 0 20241231 20240101", *COMPLETE, *voucher(1), ""]).encode(
        "cp437"
    )
    assert _found(read_both(data), "financial_year_reversed") == [("#RAR 0", len(header) + 1)]


def test_sietyp_3_with_vouchers_is_named_and_still_checked() -> None:
    header = [line.replace("#SIETYP 4", "#SIETYP 3") for line in HEADER]
    data = "\r\n".join(
        [*header, *COMPLETE, *voucher(1, "#TRANS 1930 {} -5", "#TRANS 6110 {} 5"), ""]
    )
    sie_file = read_both(data.encode("cp437"))
    assert _found(sie_file, "sie_type_mismatch") == [("3", None)]
    assert {s for s, _ in _found(sie_file, "ib_plus_trans_equals_ub")} == {"1930"}


def test_undeclared_accounts_are_each_named() -> None:
    rows = ("#TRANS 1930 {} -3", "#TRANS 4010 {} 1", "#TRANS 4020 {} 1", "#TRANS 4030 {} 1")
    sie_file = read_both(sie(*voucher(1, *rows)))
    assert [s for s, _ in _found(sie_file, "account_not_declared")] == ["4010", "4020", "4030"]


def test_a_balance_with_several_objects_keeps_a_row_per_object() -> None:
    data = sie(*COMPLETE, '#PSALDO 0 202401 6110 {1 "10" 6 "P1"} 100.00 0', *voucher(1))
    balances = [
        (b["object_no"], b["dimension"], b["object_id"], b["amount"])
        for b in read_both(data).tables()["sie_balances"].to_pylist()
        if b["record"] == "PSALDO"
    ]
    assert balances == [(1, 1, "10", Decimal("100.00")), (2, 6, "P1", Decimal("100.00"))]


def test_a_binary_or_sparse_file_is_refused_from_its_first_megabyte(tmp_path: Path) -> None:
    sparse = tmp_path / "sparse.se"
    with sparse.open("wb") as stream:
        stream.truncate(64 << 20)  # 64 MB of holes: never read past the first megabyte
    good = tmp_path / "good.se"
    good.write_bytes(sie(*COMPLETE, *voucher(1)))
    summary = load_sie_files([sparse, good], duckdb_path=tmp_path / "w.duckdb")
    [refused] = summary.refused
    assert refused.error.startswith("sparse.se line 1: not a SIE file: binary content")
    assert [f.file_name for f in summary.files] == ["good.se"]


def test_two_files_of_one_year_mark_the_latest_current_and_name_disagreements(
    tmp_path: Path,
) -> None:
    import duckdb

    june = tmp_path / "june.se"
    june.write_bytes(sie(*COMPLETE, *voucher(1)).replace(b"#GEN 20250115", b"#GEN 20240630"))
    december = tmp_path / "december.se"
    december.write_bytes(
        sie(
            "#IB 0 1930 1000.00",
            "#UB 0 1930 800.00",
            "#RES 0 6110 200.00",
            *voucher(1),
            *voucher(2),
        )
    )
    warehouse = tmp_path / "w.duckdb"
    load_sie_files([december], duckdb_path=warehouse)
    summary = load_sie_files([june], duckdb_path=warehouse)  # loaded later, generated earlier
    assert summary.files[0].findings == 1
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        current = connection.execute(
            "select file_name, is_current from w.fortnox_raw.sie_files order by file_name"
        ).fetchall()
        disagreements = connection.execute(
            "select f.file_name, subject, expected, actual from w.fortnox_raw.sie_findings"
            " join w.fortnox_raw.sie_files f using (file_sha256)"
            """ where "check" = 'closing_balance_differs'"""
        ).fetchall()
    assert current == [("december.se", True), ("june.se", False)]
    assert disagreements == [("june.se", "1930", Decimal("800.00"), Decimal("900.00"))]
