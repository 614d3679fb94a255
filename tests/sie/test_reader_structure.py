"""Structural errors (fatal, naming file and line) and tolerated quirks, on small crafted files."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sources.sie.reader import SieError, SieFile, read_sie, read_sie_reference
from tests.sie.conftest import sample_bytes

HEADER = [
    "#FLAGGA 0",
    "#PROGRAM Test 1.0",
    "#FORMAT PC8",
    "#GEN 20250115",
    "#SIETYP 4",
    '#FNAMN "Testbolaget AB"',
    "#ORGNR 5566778899",
    "#RAR 0 20240101 20241231",
    "#KONTO 1930 Bank",
    "#KONTO 6110 Kontorsmateriel",
]


def sie(*lines: str, header: bool = True) -> bytes:
    """A small CP437 SIE file with CRLF line endings."""
    return "\r\n".join([*(HEADER if header else []), *lines, ""]).encode("cp437")


def voucher(number: int = 1, *rows: str) -> list[str]:
    rows = rows or ("#TRANS 1930 {} -100.00", "#TRANS 6110 {} 100.00")
    return [f'#VER A {number} 20240105 "Kontorsmaterial"', "{", *rows, "}"]


def read_both(data: bytes, name: str = "test.se") -> SieFile:
    """Read with the fast path, and check the reference path agrees on every table."""
    fast = read_sie(data, name)
    reference = read_sie_reference(data, name)
    for table, arrow in fast.tables().items():
        if table != "sie_files":
            assert arrow.equals(reference.tables()[table]), table
    return fast


BALANCES_OF_TWO_VOUCHERS = ["#IB 0 1930 1000.00", "#UB 0 1930 800.00", "#RES 0 6110 200.00"]


def test_a_well_formed_file_reads() -> None:
    sie_file = read_both(sie(*BALANCES_OF_TWO_VOUCHERS, *voucher(1), *voucher(2)))
    assert (sie_file.voucher_count, sie_file.trans_rows) == (2, 4)
    assert sie_file.company_id == "556677-8899"
    assert sie_file.findings == []


def test_html_saved_as_se_is_rejected_at_line_1() -> None:
    html = b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head></html>\n"
    with pytest.raises(SieError, match=r"^page\.se line 1: not a SIE file") as caught:
        read_sie(html, "page.se")
    assert caught.value.line_no == 1
    assert caught.value.file_name == "page.se"


def test_an_empty_file_is_rejected() -> None:
    with pytest.raises(SieError, match=r"empty\.se line 1: the file is empty"):
        read_sie(b"\r\n\r\n", "empty.se")


def test_a_stray_text_line_is_rejected_with_its_line() -> None:
    data = sie(*voucher(1), "this is not a record")
    with pytest.raises(SieError, match=r"^x\.se line 16: not a SIE record"):
        read_sie(data, "x.se")


def test_a_file_truncated_inside_a_voucher_names_the_open_voucher() -> None:
    full = sample_bytes("mamut_14_typ4_tabs_quoted_format.SE")
    lines = full.split(b"\n")
    ver_lines = [i for i, line in enumerate(lines) if line.startswith(b"#VER")]
    middle_ver = ver_lines[len(ver_lines) // 2]
    truncated = b"\n".join(lines[: middle_ver + 3]) + b"\n#TRANS 30"  # cut mid-row
    with pytest.raises(SieError, match="never closes: the file is truncated") as caught:
        read_sie(truncated, "mamut.SE")
    assert caught.value.line_no == middle_ver + 1
    assert str(caught.value).startswith(f"mamut.SE line {middle_ver + 1}: ")


def test_a_voucher_block_that_never_closes_before_the_next_voucher() -> None:
    data = sie('#VER A 1 20240105 "x"', "{", "#TRANS 1930 {} -1", "#TRANS 6110 {} 1", *voucher(2))
    with pytest.raises(SieError, match=r"line 15: #VER while the block of the #VER at line 11"):
        read_sie(data, "t.se")


def test_a_row_outside_a_voucher_block_is_rejected() -> None:
    with pytest.raises(SieError, match=r"line 11: a #TRANS/#RTRANS/#BTRANS row outside"):
        read_sie(sie("#TRANS 1930 {} 100"), "t.se")


def test_a_closing_brace_without_a_block_is_rejected() -> None:
    with pytest.raises(SieError, match=r"line 16: '}' without an open #VER block"):
        read_sie(sie(*voucher(1), "}"), "t.se")


def test_ksumma_start_without_end_means_truncated() -> None:
    full = sample_bytes("norstedts_bokslut_4E_ksumma_tabs.se")
    truncated = full[: full.rindex(b"#KSUMMA")]
    with pytest.raises(SieError, match=r"line 2: #KSUMMA start marker without an end marker"):
        read_sie(truncated, "norstedts.se")


def test_ksumma_mismatch_is_an_error_finding_and_the_file_still_reads() -> None:
    """A changed file is still readable: the auditor gets it with a `ksumma` error finding."""
    full = sample_bytes("norstedts_bokslut_4E_ksumma_tabs.se")
    changed = full.replace(b"Datakonsulterna AB", b"Datakonsulterna HB", 1)
    assert changed != full
    sie_file = read_sie(changed, "norstedts.se")
    assert sie_file.checksum_status == "mismatch"
    [finding] = [f for f in sie_file.findings if f.check == "ksumma"]
    assert (finding.severity, finding.expected) == ("error", Decimal(854227682))
    assert finding.actual != finding.expected
    assert sie_file.voucher_count == 177


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        ("12,50", "not a number with '.' as decimal point"),
        ("1e3", "not a number with '.' as decimal point"),
        ("1.234", "more decimals or digits"),
        ("12345678901234567.00", "more decimals or digits"),
    ],
)
def test_amounts_that_are_not_exact_sie_amounts_are_rejected(amount: str, problem: str) -> None:
    data = sie(*voucher(1, f"#TRANS 1930 {{}} {amount}", f"#TRANS 6110 {{}} {amount}"))
    with pytest.raises(SieError, match=rf"line 13: the amount .*{problem}"):
        read_sie(data, "t.se")


def test_trailing_zero_decimals_and_missing_decimals_are_exact() -> None:
    data = sie(*voucher(1, "#TRANS 1930 {} -1.230", "#TRANS 6110 {} 1", "#TRANS 6110 {} 0.23"))
    amounts = read_both(data).tables()["sie_voucher_rows"].column("amount").to_pylist()
    assert amounts == [Decimal("-1.23"), Decimal("1.00"), Decimal("0.23")]


def test_tokenizer_quirks_read_the_same_on_both_paths() -> None:
    data = sie(
        '#KONTO 1930 "Företagskonto"',
        "#KONTO 6110 Kontorsmateriel och trycksaker",
        '#ver\t"B"\t"7"\t20240301\t"Text med \\"citat\\" och \\\\ snedstreck"',
        "  {  ",
        '\t#trans\t"1930"\t{ 1 "10"\t6 "P 1" }\t-50.5\t""\t"rad"\t2',
        "#TRANS 6110{}50.50 20240302 unquoted",
        '#RTRANS 6110 {} 50.50 "" "" 0 "Anna Andersson"',
        '#TRANS 6110 {} 50.50 "" "" 0',
        '#BTRANS 6110 {} -50.50 "" "" 0 "Anna Andersson" extra fields ignored',
        "#TRANS 6110 {} -50.50",
        "\t}\t",
    )
    sie_file = read_both(data)
    [ver] = sie_file.tables()["sie_vouchers"].to_pylist()
    assert (ver["series"], ver["voucher_number"]) == ("B", 7)
    assert ver["text"] == 'Text med "citat" och \\\\ snedstreck'
    rows = sie_file.tables()["sie_voucher_rows"].to_pylist()
    assert [r["row_type"] for r in rows] == ["TRANS", "TRANS", "RTRANS", "TRANS", "BTRANS", "TRANS"]
    assert [r["row_no"] for r in rows] == [1, 2, 3, 4, 5, 6]
    first, second = rows[0], rows[1]
    assert (first["account_number"], first["amount"], first["quantity"]) == (
        "1930",
        Decimal("-50.50"),
        Decimal("2.0000"),
    )
    assert (first["cost_center"], first["project"], first["text"]) == ("10", "P 1", "rad")
    assert first["transaction_date"].isoformat() == "2024-03-01"  # empty transdat: voucher date
    assert (second["text"], second["transaction_date"].isoformat()) == ("unquoted", "2024-03-02")
    assert rows[2]["signature"] == "Anna Andersson"
    # TRANS sum to 0; RTRANS/BTRANS left out; no balances, so only "could not be checked" notes
    # (#KONTO 1930 and 6110 are declared again after the header's: the later names are kept)
    assert {f.check for f in sie_file.findings} == {"not_checked", "account_declared_twice"}
    accounts = {a["account_number"]: a for a in sie_file.tables()["sie_accounts"].to_pylist()}
    assert accounts["6110"]["account_name"] == "Kontorsmateriel"  # unquoted: first word only


def test_a_missing_opening_brace_is_tolerated_with_a_warning() -> None:
    data = sie('#VER A 1 20240105 "x"', "", "#TRANS 1930 {} -1", "#TRANS 6110 {} 1", "}")
    sie_file = read_both(data)
    assert (sie_file.voucher_count, sie_file.trans_rows) == (1, 2)
    assert any("without '{'" in warning for warning in sie_file.warnings)


def test_unknown_labels_are_counted_not_fatal() -> None:
    data = sie("#FOO 1 2", "#BAR", *voucher(1), "#FOO 3")
    sie_file = read_both(data)
    assert sie_file.unknown_labels == 3
    assert any("#FOO x2" in warning for warning in sie_file.warnings)
    assert sie_file.tables()["sie_files"].column("unknown_labels").to_pylist() == [3]


def test_undeclared_accounts_are_created_and_marked() -> None:
    sie_file = read_both(sie(*voucher(1, "#TRANS 1930 {} -1", "#TRANS 4010 {} 1")))
    accounts = sie_file.tables()["sie_accounts"].to_pylist()
    assert [(a["account_number"], a["declared"]) for a in accounts] == [
        ("1930", True),
        ("4010", False),
        ("6110", True),
    ]
    undeclared = [f for f in sie_file.findings if f.check == "account_not_declared"]
    assert [(f.subject, f.line_no) for f in undeclared] == [("4010", len(HEADER) + 4)]


def test_an_unbalanced_voucher_is_a_finding_not_an_error() -> None:
    data = sie(*voucher(1, "#TRANS 1930 {} -100", "#TRANS 6110 {} 99.99"))
    [finding] = [f for f in read_both(data).findings if f.check == "voucher_balance"]
    assert (finding.check, finding.subject, finding.actual) == (
        "voucher_balance",
        "A:1",
        Decimal("-0.01"),
    )


def test_balances_keep_year_period_and_object() -> None:
    data = sie(
        "#RAR -1 20230101 20231231",
        "#IB 0 1930 1000.00",
        "#UB 0 1930 900.00",
        "#RES 0 6110 100",
        "#UB -1 1930 1000.00 5",
        '#PSALDO 0 202401 6110 {6 "P1"} 100.00 0',
        "#PSALDO 0 202401 6110 {} 100.00 0",
        *voucher(1),
    )
    sie_file = read_both(data)
    balances = sie_file.tables()["sie_balances"].to_pylist()
    assert [(b["record"], b["year_index"], b["period"], b["dimension"]) for b in balances] == [
        ("IB", 0, None, None),
        ("UB", 0, None, None),
        ("RES", 0, None, None),
        ("UB", -1, None, None),
        ("PSALDO", 0, "202401", 6),
        ("PSALDO", 0, "202401", None),
    ]
    assert balances[3]["year_start"].isoformat() == "2023-01-01"
    assert balances[3]["quantity"] == Decimal("5.0000")
    assert balances[4]["object_id"] == "P1"
    assert sie_file.findings == []  # 1000 - 100 = 900 and ΣTRANS 6110 = RES 100


def test_sie_1_to_3_files_carry_balances_without_reconciling_movements() -> None:
    """A type 1-3 file has no vouchers: IB differing from UB is normal, not a finding."""
    header = [line.replace("#SIETYP 4", "#SIETYP 2") for line in HEADER]
    data = "\r\n".join(
        [*header, "#IB 0 1930 1000.00", "#UB 0 1930 1500.00", "#PSALDO 0 202401 1930 {} 500", ""]
    ).encode("cp437")
    sie_file = read_both(data)
    assert sie_file.sie_type == 2
    assert sie_file.voucher_count == 0
    assert [(f.check, f.subject, f.severity) for f in sie_file.findings] == [
        ("not_checked", "ib_plus_trans_equals_ub", "info"),
        ("not_checked", "trans_equals_res", "info"),
    ]
    assert sie_file.tables()["sie_balances"].num_rows == 3


def test_a_type_4_file_with_the_same_balances_reports_them() -> None:
    data = sie("#IB 0 1930 1000.00", "#UB 0 1930 1500.00")
    findings = read_both(data).findings
    [finding] = [f for f in findings if f.check == "ib_plus_trans_equals_ub"]
    assert ("missing_section", "#VER") in [(f.check, f.subject) for f in findings]
    assert (finding.check, finding.subject, finding.expected, finding.actual) == (
        "ib_plus_trans_equals_ub",
        "1930",
        Decimal("1500.00"),
        Decimal("1000.00"),
    )
