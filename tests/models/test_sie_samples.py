"""The trial balance check on real SIE files from many programs (`tests/fixtures/sie`).

Each file is read with the project's SIE reader and its tables inserted as the loader would, then
every model is built. The check must hold for each file whose invariants hold, and fail naming
exactly the accounts the reader's own findings name for the others.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from pipelines.transform import DEFAULT_DATASET, BuildReport, build_models
from tests.models.conftest import SIE_SAMPLES as SAMPLES
from tests.models.conftest import SampleBook

RECONCILING = [
    "sie-gruppen_SIE4_Exempelfil_visma2022.SE",
    "exempelfil_underdim_utf8_lossy.SE",
    "bl_admin_2011_typ4_rtrans_btrans.SE",
    "bl_admin_2018_iso8859-15.SE",
    "norstedts_bokslut_4E_ksumma_tabs.se",
    "visma_compact_6_typ4_ksumma.se",
    "mamut_14_typ4_tabs_quoted_format.SE",
    "avendo_5.10_typ4_rtrans_btrans_tabs.SE",
    "briljant_09_typ4.SE",
    # Its balances reconcile (it declares 3740 an asset with #KTYP T); only a voucher does not.
    "softone_xe_typ4_unbalanced_voucher.SE",
    # 4I transaction files: no closing balances to compare, and their vouchers balance.
    "norstedts_bokslut_4I_ksumma.si",
    "kassasystem_4I_escaped_quotes.si",
    "sir_missing_format_crlf.se",
    "es_kassasystem_4I_crlf.se",
]
NOT_RECONCILING = [
    "fortnox_2.0.0_legacy_2010.si",
    "bl_admin_2021_utf8_crlf.SE",
    "e-conomic_typ4.se",
]


@pytest.fixture
def build_from_sample(
    sie_sample_book: Callable[[str], SampleBook],
) -> Callable[[str], tuple[BuildReport, duckdb.DuckDBPyConnection]]:
    """The file's warehouse and build report; built once per run, shared with test_statements."""

    def build(file_name: str) -> tuple[BuildReport, duckdb.DuckDBPyConnection]:
        book = sie_sample_book(file_name)
        return book.report, book.connection

    return build


@pytest.mark.parametrize("file_name", RECONCILING)
def test_trial_balance_check_holds_where_the_invariants_hold(
    build_from_sample: Callable[[str], tuple[BuildReport, duckdb.DuckDBPyConnection]],
    file_name: str,
) -> None:
    report, _ = build_from_sample(file_name)
    assert not report.failed_models
    assert report.check("trial_balance_matches_sie_closing").status == "passed"
    expected_voucher_check = "failed" if file_name.startswith("softone") else "passed"
    assert report.check("vouchers_balance").status == expected_voucher_check
    assert report.model("fct_trial_balance").rows


@pytest.mark.parametrize("file_name", NOT_RECONCILING)
def test_trial_balance_check_fails_naming_the_accounts(
    build_from_sample: Callable[[str], tuple[BuildReport, duckdb.DuckDBPyConnection]],
    file_name: str,
) -> None:
    report, connection = build_from_sample(file_name)
    assert not report.failed_models
    check = report.check("trial_balance_matches_sie_closing")
    assert check.status == "failed"
    failing_accounts = {
        row[0]
        for row in connection.execute(
            "select account_number from analytics.int_account_year_balances"
            " where closing_balance is distinct from sie_closing_balance"
            " and sie_closing_balance is not null"
        ).fetchall()
    }
    assert check.offending_rows == len(failing_accounts)
    assert {row["account_number"] for row in check.sample} <= failing_accounts
    # The reader's own findings name the same accounts (it checks IB + ΣTRANS = UB, ΣTRANS = RES).
    reader_accounts = {
        str(row[0])
        for row in connection.execute(
            f"select subject from {DEFAULT_DATASET}.sie_findings"
            " where \"check\" in ('ib_plus_trans_equals_ub', 'trans_equals_res')"
        ).fetchall()
    }
    assert reader_accounts <= failing_accounts
    if file_name == "bl_admin_2021_utf8_crlf.SE":
        # Six-digit sub-accounts of 14xx with #IB/#UB and no rows: the models take them as the
        # balance accounts their leading digit says; the reader compares accounts by value
        # (145010 > 3000) and takes them for result accounts, so it does not name them.
        assert failing_accounts - reader_accounts == {"143010", "145010"}
    elif file_name != "fortnox_2.0.0_legacy_2010.si":
        assert failing_accounts == reader_accounts
    else:
        # No #RES at all: the reader does not compare result accounts, the check expects zero.
        assert failing_accounts - reader_accounts


def test_unbalanced_softone_voucher_is_named(
    build_from_sample: Callable[[str], tuple[BuildReport, duckdb.DuckDBPyConnection]],
) -> None:
    report, _ = build_from_sample("softone_xe_typ4_unbalanced_voucher.SE")
    check = report.check("vouchers_balance")
    assert check.offending_rows == 1
    assert (check.sample[0]["voucher_series"], check.sample[0]["voucher_number"]) == ("1", 1)


def test_through_sie_load_into_fortnox_duckdb(tmp_path: Path) -> None:
    """The real loader into the default file name: a holding and a failing file together.

    Both land in one warehouse as two companies; the check fails for e-conomic's accounts only.
    """
    from sources.sie.load_files import load_sie_files

    path = tmp_path / "fortnox.duckdb"
    with duckdb.connect(str(path)) as connection:
        load_sie_files(
            [SAMPLES / "bl_admin_2011_typ4_rtrans_btrans.SE", SAMPLES / "e-conomic_typ4.se"],
            connection=connection,
            duckdb_path=path,
            dataset=DEFAULT_DATASET,
        )
    with duckdb.connect(str(path)) as connection:
        report = build_models(connection)
        companies = connection.sql(
            "select count(distinct company_id) from analytics.fct_trial_balance"
        ).fetchone()
    assert not report.failed_models
    assert companies == (2,)
    check = report.check("trial_balance_matches_sie_closing")
    assert check.status == "failed"
    assert check.offending_rows == 8
    assert {row["file_name"] for row in check.sample} == {"e-conomic_typ4.se"}
