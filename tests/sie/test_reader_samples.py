"""The reader against every real sample file: counts, encodings, letters, findings, invariants."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest

from sources.sie.reader import SieFile, read_sie, read_sie_reference
from tests.sie.conftest import SAMPLE_NAMES, SAMPLE_ROWS, SampleRow, sample_bytes

HOLD = [row.file_name for row in SAMPLE_ROWS if row.invariants == "hold"]
VOUCHERS_BALANCE = [row.file_name for row in SAMPLE_ROWS if row.invariants == "vouchers balance"]
RECONCILIATION_CHECKS = {"ib_plus_trans_equals_ub", "trans_equals_res", "res_missing"}


def _checks(sie_file: SieFile, *names: str) -> list[tuple[str, str]]:
    return [(f.check, f.subject) for f in sie_file.findings if f.check in names]


def test_the_readme_table_lists_all_seventeen_samples() -> None:
    assert len(SAMPLE_ROWS) == 17
    assert len(HOLD) == 9
    assert len(VOUCHERS_BALANCE) == 4


@pytest.mark.parametrize("row", SAMPLE_ROWS, ids=SAMPLE_NAMES)
def test_counts_equal_the_readme(row: SampleRow, parsed_samples: dict[str, SieFile]) -> None:
    sie_file = parsed_samples[row.file_name]
    counts = (
        sie_file.voucher_count,
        sie_file.trans_rows,
        sie_file.rtrans_rows,
        sie_file.btrans_rows,
    )
    assert counts == (row.vouchers, row.trans, row.rtrans, row.btrans)
    tables = sie_file.tables()
    assert tables["sie_vouchers"].num_rows == row.vouchers
    row_types = tables["sie_voucher_rows"].column("row_type").to_pylist()
    assert row_types.count("TRANS") == row.trans
    assert row_types.count("RTRANS") == row.rtrans
    assert row_types.count("BTRANS") == row.btrans


@pytest.mark.parametrize("row", SAMPLE_ROWS, ids=SAMPLE_NAMES)
def test_encoding_is_detected_from_the_bytes(
    row: SampleRow, parsed_samples: dict[str, SieFile]
) -> None:
    expected = row.encoding.split(",")[0].split(" ")[0].lower()
    detected = parsed_samples[row.file_name].detected_encoding
    assert {"utf-8": "utf-8", "cp437": "cp437", "iso-8859-15": "iso-8859-15"}[expected] == detected


@pytest.mark.parametrize(
    ("file_name", "table", "column", "expected"),
    [
        (
            "mamut_14_typ4_tabs_quoted_format.SE",
            "sie_vouchers",
            "text",
            "30083 Svenska Mässan i Göteborg, 12",
        ),
        ("sie-gruppen_SIE4_Exempelfil_visma2022.SE", "sie_vouchers", "text", "Överföring"),
        ("norstedts_bokslut_4E_ksumma_tabs.se", "sie_vouchers", "text", "Återföring"),
        (
            "bl_admin_2018_iso8859-15.SE",
            "sie_vouchers",
            "text",
            "Representation måltid utan alkohol",
        ),
        ("kassasystem_4I_escaped_quotes.si", "sie_vouchers", "text", 'Försäljning 25% "DF:157"'),
    ],
)
def test_swedish_letters_survive_every_encoding(
    parsed_samples: dict[str, SieFile], file_name: str, table: str, column: str, expected: str
) -> None:
    values = parsed_samples[file_name].tables()[table].column(column).to_pylist()
    assert expected in values


def test_company_names_decode_in_cp437_and_iso_8859_15(
    parsed_samples: dict[str, SieFile],
) -> None:
    assert parsed_samples["sie-gruppen_SIE4_Exempelfil_visma2022.SE"].company_name == (
        "Övningsbolaget AB"
    )
    assert parsed_samples["bl_admin_2018_iso8859-15.SE"].company_name == "Övningsföretaget AB"


@pytest.mark.parametrize(
    "file_name", ["exempelfil_underdim_utf8_lossy.SE", "bl_admin_2021_utf8_crlf.SE"]
)
def test_lossy_utf8_files_are_loaded_with_a_warning(
    parsed_samples: dict[str, SieFile], file_name: str
) -> None:
    sie_file = parsed_samples[file_name]
    assert any("U+FFFD" in warning for warning in sie_file.warnings)
    assert any(f.check == "reader_warning" and "U+FFFD" in f.message for f in sie_file.findings)


@pytest.mark.parametrize("file_name", SAMPLE_NAMES)
def test_fast_path_and_reference_tokenizer_give_identical_tables(file_name: str) -> None:
    data = sample_bytes(file_name)
    fast = read_sie(data, file_name).tables()
    reference = read_sie_reference(data, file_name).tables()
    for table in fast:
        if table == "sie_files":
            assert fast[table].drop(["loaded_at"]).equals(reference[table].drop(["loaded_at"]))
        else:
            assert fast[table].equals(reference[table]), table


@pytest.mark.parametrize("file_name", HOLD + VOUCHERS_BALANCE)
def test_files_whose_vouchers_balance_have_no_voucher_findings(
    parsed_samples: dict[str, SieFile], file_name: str
) -> None:
    assert _checks(parsed_samples[file_name], "voucher_balance") == []


@pytest.mark.parametrize("file_name", HOLD)
def test_files_whose_invariants_hold_have_no_reconciliation_findings(
    parsed_samples: dict[str, SieFile], file_name: str
) -> None:
    assert _checks(parsed_samples[file_name], *RECONCILIATION_CHECKS) == []


@pytest.mark.parametrize("file_name", HOLD)
def test_ib_plus_trans_equals_ub_exactly_per_account(
    parsed_samples: dict[str, SieFile], file_name: str
) -> None:
    """Recomputed here from the output tables, independently of sie_checks."""
    tables = parsed_samples[file_name].tables()
    accounts = tables["sie_accounts"].to_pylist()
    result_types = {a["account_number"] for a in accounts if a["account_type"] in ("K", "I")}
    balance_types = {a["account_number"] for a in accounts if a["account_type"] in ("T", "S")}
    movements: defaultdict[str, Decimal] = defaultdict(Decimal)
    for row in tables["sie_voucher_rows"].to_pylist():
        if row["row_type"] == "TRANS":
            movements[row["account_number"]] += row["amount"]
    opening: defaultdict[str, Decimal] = defaultdict(Decimal)
    closing: defaultdict[str, Decimal] = defaultdict(Decimal)
    for balance in tables["sie_balances"].to_pylist():
        if balance["year_index"] == 0 and balance["object_no"] == 0:
            if balance["record"] == "IB":
                opening[balance["account_number"]] += balance["amount"]
            elif balance["record"] == "UB":
                closing[balance["account_number"]] += balance["amount"]
    balance_accounts = {
        a
        for a in set(movements) | set(opening) | set(closing)
        if a in balance_types or (a not in result_types and int(a) < 3000)
    }
    assert balance_accounts
    for account in sorted(balance_accounts):
        assert opening[account] + movements[account] == closing[account], account


def test_softone_voucher_1_1_is_the_only_unbalanced_voucher(
    parsed_samples: dict[str, SieFile],
) -> None:
    sie_file = parsed_samples["softone_xe_typ4_unbalanced_voucher.SE"]
    findings = [f for f in sie_file.findings if f.check == "voucher_balance"]
    assert [(f.subject, f.expected, f.actual) for f in findings] == [
        ("1:1", Decimal("0.00"), Decimal("2.00"))
    ]


def test_e_conomic_has_four_balance_accounts_that_do_not_reconcile(
    parsed_samples: dict[str, SieFile],
) -> None:
    """The README's "4 accounts": IB + ΣTRANS != UB for 1930, 2710, 2920, 2950.

    The same missing vouchers also leave four result accounts short of #RES; both are reported.
    """
    sie_file = parsed_samples["e-conomic_typ4.se"]
    assert _checks(sie_file, "ib_plus_trans_equals_ub") == [
        ("ib_plus_trans_equals_ub", account) for account in ("1930", "2710", "2920", "2950")
    ]
    assert [s for _, s in _checks(sie_file, "trans_equals_res")] == ["7210", "7510", "7519", "7699"]
    assert _checks(sie_file, "voucher_balance") == []


def test_fortnox_legacy_has_no_res_and_does_not_reconcile(
    parsed_samples: dict[str, SieFile],
) -> None:
    sie_file = parsed_samples["fortnox_2.0.0_legacy_2010.si"]
    assert ("not_checked", "trans_equals_res") in _checks(sie_file, "not_checked")
    assert len(_checks(sie_file, "ib_plus_trans_equals_ub")) == 35
    assert _checks(sie_file, "voucher_balance") == []


def test_bl_subset_export_reports_unreconciled_balances(
    parsed_samples: dict[str, SieFile],
) -> None:
    sie_file = parsed_samples["bl_admin_2021_utf8_crlf.SE"]
    assert len(_checks(sie_file, "ib_plus_trans_equals_ub")) > 0
    assert _checks(sie_file, "voucher_balance") == []


def test_rtrans_and_btrans_are_audit_rows_kept_with_their_signature(
    parsed_samples: dict[str, SieFile],
) -> None:
    rows = parsed_samples["bl_admin_2011_typ4_rtrans_btrans.SE"].tables()["sie_voucher_rows"]
    audit = [r for r in rows.to_pylist() if r["row_type"] != "TRANS"]
    assert len(audit) == 9
    assert {r["signature"] for r in audit} == {"2 Christer Bengtsson"}
    first_btrans = next(r for r in audit if r["row_type"] == "BTRANS")
    assert (first_btrans["account_number"], first_btrans["amount"]) == ("1930", Decimal("-1000.00"))


def test_object_lists_fill_cost_center_project_and_objects(
    parsed_samples: dict[str, SieFile],
) -> None:
    rows = parsed_samples["mamut_14_typ4_tabs_quoted_format.SE"].tables()["sie_voucher_rows"]
    first = rows.slice(0, 1).to_pylist()[0]
    assert first["cost_center"] == "2"
    assert first["project"] is None
    assert first["objects"] == [
        {"dimension": 1, "object_id": "2"},
        {"dimension": 10, "object_id": "12"},
    ]
    assert first["row_no"] == 1
    assert first["transaction_date"].isoformat() == "2010-01-07"


def test_ksumma_files_verify(parsed_samples: dict[str, SieFile]) -> None:
    statuses = {name: f.checksum_status for name, f in parsed_samples.items()}
    assert {name for name, status in statuses.items() if status == "ok"} == {
        "norstedts_bokslut_4E_ksumma_tabs.se",
        "norstedts_bokslut_4I_ksumma.si",
        "visma_compact_6_typ4_ksumma.se",
    }
    assert set(statuses.values()) == {"ok", "absent"}


def test_header_fields_are_read(parsed_samples: dict[str, SieFile]) -> None:
    sie_file = parsed_samples["sie-gruppen_SIE4_Exempelfil_visma2022.SE"]
    assert sie_file.sie_type == 4
    assert sie_file.program == "Visma Administration 2000 med Visma Integration"
    assert sie_file.program_version == "2022.2"
    assert sie_file.org_number == "555555-5555"
    assert sie_file.company_id == "555555-5555"
    assert (sie_file.year_start.isoformat(), sie_file.year_end.isoformat()) == (
        "2021-01-01",
        "2021-12-31",
    )
    assert sie_file.generated_on is not None and sie_file.generated_on.isoformat() == "2023-08-22"


def test_a_file_without_org_number_gets_a_content_derived_company_id(
    parsed_samples: dict[str, SieFile],
) -> None:
    sie_file = parsed_samples["fortnox_2.0.0_legacy_2010.si"]
    assert sie_file.org_number is None
    assert sie_file.company_id == f"sha256:{sie_file.file_sha256[:16]}"
    assert set(sie_file.tables()["sie_vouchers"].column("company_id").to_pylist()) == {
        sie_file.company_id
    }


def test_every_table_has_the_contract_keys(parsed_samples: dict[str, SieFile]) -> None:
    tables = parsed_samples["avendo_5.10_typ4_rtrans_btrans_tabs.SE"].tables()
    assert set(tables) == {
        "sie_files",
        "sie_accounts",
        "sie_dimensions",
        "sie_objects",
        "sie_balances",
        "sie_vouchers",
        "sie_voucher_rows",
        "sie_findings",
    }
    for table in tables.values():
        assert table.schema.names[:2] == ["file_sha256", "company_id"]
    assert str(tables["sie_voucher_rows"].schema.field("amount").type) == "decimal128(18, 2)"
    assert str(tables["sie_balances"].schema.field("amount").type) == "decimal128(18, 2)"
