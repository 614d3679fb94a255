"""Trial balance, statements, VAT and the SIE checks on hand-computed books."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from pipelines.transform import SQL_DIR, build_models
from tests.models.conftest import (
    ACME_2024_BALANCES,
    ACME_2024_VOUCHERS,
    ACME_ACCOUNTS,
    ACME_AS_OF,
    DATASET,
    YEAR_2024,
    BuiltWarehouse,
    add_acme_2024,
    add_sie_file,
)

AS_OF = ACME_AS_OF  # the shared warehouses' date


def _closing(connection: duckdb.DuckDBPyConnection, period: str) -> dict[str, Decimal]:
    rows = connection.execute(
        "select account_number, closing_balance from analytics.fct_general_ledger_by_period"
        " where company_id = 'acme' and period = ?",
        [period],
    ).fetchall()
    return dict(rows)


def test_trial_balance_opening_movement_closing_per_period(
    acme_sie_only: BuiltWarehouse,
) -> None:
    warehouse, report = acme_sie_only.connection, acme_sie_only.report
    assert report.ok, report.failed_checks
    february = warehouse.execute(
        "select account_number, period_index, opening_balance, debit, credit, closing_balance"
        " from analytics.fct_general_ledger_by_period where period = '2024-02'"
        " order by account_sort_key"
    ).fetchall()
    d = Decimal
    assert february == [
        ("1510", 2, d("12500.00"), d("0.00"), d("12500.00"), d("0.00")),
        ("1930", 2, d("10000.00"), d("12500.00"), d("0.00"), d("22500.00")),
        ("2099", 2, d("-10000.00"), d("0.00"), d("0.00"), d("-10000.00")),
        ("2440", 2, d("0.00"), d("0.00"), d("0.00"), d("0.00")),
        ("2611", 2, d("-2500.00"), d("0.00"), d("0.00"), d("-2500.00")),
        ("2641", 2, d("0.00"), d("0.00"), d("0.00"), d("0.00")),
        ("3001", 2, d("-10000.00"), d("0.00"), d("0.00"), d("-10000.00")),
        ("4010", 2, d("0.00"), d("0.00"), d("0.00"), d("0.00")),
    ]
    # The struck #BTRANS row on 6110 is audit history, never a balance.
    assert "6110" not in _closing(warehouse, "2024-12")
    december = _closing(warehouse, "2024-12")
    expected = {str(account): d(amount) for _, _, account, amount in ACME_2024_BALANCES[2:]}
    assert december == expected
    # 12 periods x 8 accounts, one row each, zero-movement months included.
    assert warehouse.sql(
        "select count(*) from analytics.fct_general_ledger_by_period"
    ).fetchone() == (96,)


def test_trial_balance_is_one_row_per_account_and_year(
    acme_sie_only: BuiltWarehouse,
) -> None:
    warehouse = acme_sie_only.connection
    assert acme_sie_only.report.ok
    rows = warehouse.execute(
        "select account_number, opening_balance, debit, credit, closing_balance,"
        " sie_closing_balance, line_code from analytics.fct_trial_balance"
        " order by account_sort_key"
    ).fetchall()
    d = Decimal
    assert rows == [
        ("1510", d("0.00"), d("13800.00"), d("12500.00"), d("1300.00"), d("1300.00"),
         "trade_receivables"),
        ("1930", d("10000.00"), d("12500.00"), d("0.00"), d("22500.00"), d("22500.00"),
         "cash_and_bank"),
        ("2099", d("-10000.00"), d("0.00"), d("0.00"), d("-10000.00"), d("-10000.00"), "equity"),
        ("2440", d("0.00"), d("0.00"), d("5000.00"), d("-5000.00"), d("-5000.00"),
         "current_liabilities"),
        ("2611", d("0.00"), d("0.00"), d("2700.00"), d("-2700.00"), d("-2700.00"),
         "current_liabilities"),
        ("2641", d("0.00"), d("1000.00"), d("0.00"), d("1000.00"), d("1000.00"),
         "current_liabilities"),
        ("3001", d("0.00"), d("0.00"), d("11100.00"), d("-11100.00"), d("-11100.00"),
         "net_revenue"),
        ("4010", d("0.00"), d("4000.00"), d("0.00"), d("4000.00"), d("4000.00"), "goods"),
    ]  # fmt: skip


def test_general_ledger_running_balance_and_row_text(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    add_acme_2024(warehouse)
    warehouse.execute(f"update {DATASET}.sie_voucher_rows set text = 'Kund 10' where row_no = 1")
    build_models(warehouse, as_of=AS_OF)
    rows = warehouse.execute(
        "select voucher_series || voucher_number, amount, running_balance, row_text"
        " from analytics.fct_gl_transactions where account_number = '1510'"
        " order by voucher_date"
    ).fetchall()
    assert rows == [
        ("C1", Decimal("12500.00"), Decimal("12500.00"), "Kund 10"),
        ("D1", Decimal("-12500.00"), Decimal("0.00"), "D1"),
        ("C2", Decimal("1000.00"), Decimal("1000.00"), "Kund 10"),
        ("A1", Decimal("300.00"), Decimal("1300.00"), "Kund 10"),
    ]
    # A row with no text of its own takes its voucher's text (#VER), never NULL.
    assert warehouse.sql(
        "select row_text from analytics.fct_gl_transactions"
        " where account_number = '3001' and voucher_series = 'A'"
    ).fetchall() == [("A1",)]
    # The running balance of a balance account starts at its opening balance (#IB).
    assert warehouse.sql(
        "select running_balance from analytics.fct_gl_transactions where account_number = '1930'"
    ).fetchall() == [(Decimal("22500.00"),)]


def test_the_latest_generated_file_of_a_year_is_used_never_both(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    # A June export of the same year, with a voucher the December one no longer has.
    add_sie_file(
        warehouse,
        file_sha256="acme-2024-jun",
        year=YEAR_2024,
        generated_on=date(2024, 6, 30),
        vouchers=[("A", 1, date(2024, 1, 2), [(1930, "99999"), (2099, "-99999")])],
        balances=[("IB", 0, 1930, "10000"), ("UB", 0, 1930, "109999")],
    )
    add_acme_2024(warehouse)
    report = build_models(warehouse, as_of=AS_OF)
    assert report.ok, report.failed_checks
    assert _closing(warehouse, "2024-12")["1930"] == Decimal("22500.00")
    assert warehouse.sql(
        "select file_sha256, financial_year_id from analytics.dim_financial_years"
    ).fetchall() == [("acme-2024-dec", 7)]


def test_same_generation_date_prefers_the_latest_load(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    add_acme_2024(warehouse)
    warehouse.execute(f"update {DATASET}.sie_files set loaded_at = now() - interval 1 day")
    add_sie_file(
        warehouse,
        file_sha256="acme-2024-reloaded",
        year=YEAR_2024,
        generated_on=date(2024, 12, 31),
        vouchers=[("A", 1, date(2024, 1, 2), [(1930, "5"), (2099, "-5")])],
        balances=[("IB", 0, 1930, "10000"), ("UB", 0, 1930, "10005")],
    )
    build_models(warehouse, as_of=AS_OF)
    assert warehouse.sql(
        "select distinct file_sha256 from analytics.fct_gl_transactions"
    ).fetchall() == [("acme-2024-reloaded",)]


def test_trial_balance_check_fails_naming_the_accounts(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    wrong_closing = [
        ("UB", 0, 1930, "22000") if balance[:3] == ("UB", 0, 1930) else balance
        for balance in ACME_2024_BALANCES
    ]
    wrong_closing = [balance for balance in wrong_closing if balance[2] != 4010]  # RES missing
    add_acme_2024(warehouse, balances=wrong_closing)
    report = build_models(warehouse, as_of=AS_OF)
    check = report.check("trial_balance_matches_sie_closing")
    assert check.status == "failed"
    assert [
        (row["account_number"], row["expected_closing"], row["trial_balance_closing"])
        for row in check.sample
    ] == [
        ("1930", Decimal("22000.00"), Decimal("22500.00")),
        ("4010", Decimal("0.00"), Decimal("4000.00")),
    ]


def test_unbalanced_voucher_is_reported(warehouse: duckdb.DuckDBPyConnection) -> None:
    add_sie_file(
        warehouse,
        file_sha256="import-4i",
        year=None,
        generated_on=date(2024, 5, 2),
        vouchers=[
            ("", 1, date(2024, 5, 1), [(1930, "100"), (3001, "-100")]),
            ("", 2, date(2024, 5, 2), [(1930, "100"), (3001, "-90")]),
        ],
    )
    report = build_models(warehouse, as_of=AS_OF)
    # A 4I file has no closing balances to compare: that check holds, the voucher one does not.
    assert report.check("trial_balance_matches_sie_closing").status == "passed"
    check = report.check("vouchers_balance")
    assert check.status == "failed"
    assert check.offending_rows == 1
    assert check.sample[0]["voucher_number"] == 2
    assert check.sample[0]["imbalance"] == Decimal("10.00")
    # Its year spans its vouchers.
    assert warehouse.sql(
        "select financial_year_start, financial_year_end, financial_year"
        " from analytics.dim_financial_years"
    ).fetchall() == [(date(2024, 5, 1), date(2024, 5, 2), "2024/2024")]


def test_income_statement_and_balance_sheet_signs_and_groups(
    acme_sie_only: BuiltWarehouse,
) -> None:
    warehouse = acme_sie_only.connection
    income = dict(
        warehouse.execute(
            "select line_code, year_to_date_amount from analytics.fct_income_statement"
            " where period = '2024-03' and year_to_date_amount <> 0"
        ).fetchall()
    )
    assert income == {
        "net_revenue": Decimal("11100.00"),
        "goods": Decimal("-4000.00"),
        "operating_result": Decimal("7100.00"),
        "result_after_financial_items": Decimal("7100.00"),
        "result_before_tax": Decimal("7100.00"),
        "net_result": Decimal("7100.00"),
    }
    march_revenue = warehouse.sql(
        "select period_amount from analytics.fct_income_statement"
        " where period = '2024-03' and line_code = 'net_revenue'"
    ).fetchone()
    assert march_revenue == (Decimal("1100.00"),)
    balance = dict(
        warehouse.execute(
            "select line_code, closing_balance from analytics.fct_balance_sheet"
            " where period = '2024-03' and row_type = 'line' and closing_balance <> 0"
        ).fetchall()
    )
    assert balance == {
        "trade_receivables": Decimal("1300.00"),
        "cash_and_bank": Decimal("22500.00"),
        "equity": Decimal("-10000.00"),
        "calculated_result": Decimal("-7100.00"),
        "current_liabilities": Decimal("-6700.00"),
    }
    assert sum(balance.values()) == 0
    totals = dict(
        warehouse.execute(
            "select line_code, year_to_date_amount from analytics.fct_balance_sheet"
            " where period = '2024-03' and row_type <> 'line'"
        ).fetchall()
    )
    assert totals == {
        "fixed_assets": Decimal("0.00"),
        "current_assets": Decimal("23800.00"),
        "total_assets": Decimal("23800.00"),
        "total_equity_and_liabilities": Decimal("23800.00"),
    }


def test_bas_groups_put_each_account_in_the_right_line(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    # 1630 and 1790 are in the chart only (no balance, no row): classified all the same.
    extra = ("A", 9, date(2024, 5, 2), [(7960, "1"), (1930, "-1")])
    add_acme_2024(
        warehouse,
        accounts=[*ACME_ACCOUNTS, (1630, "Skattekonto"), (1790, "Förutbetalt")],
        vouchers=[*ACME_2024_VOUCHERS, extra],
        balances=[],
    )
    build_models(warehouse, as_of=AS_OF)
    lines = dict(
        warehouse.execute(
            "select account_number, coalesce(balance_sheet_line, income_statement_line)"
            " from analytics.dim_accounts"
        ).fetchall()
    )
    assert lines["1510"] == "trade_receivables"
    assert lines["1630"] == "other_receivables"
    assert lines["1790"] == "prepaid_expenses"
    assert lines["1930"] == "cash_and_bank"
    assert lines["2440"] == "current_liabilities"
    # BAS group 79 is Övriga rörelsekostnader (exchange losses), not depreciation.
    assert lines["7960"] == "other_operating_expenses"


def test_a_company_rule_in_the_seed_overrides_the_bas_groups_for_that_company_only(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # The user's copy of the project: one row moves acme's 1930 (a K3 company, say, that keeps
    # a deposit there) to short-term investments, and 3001 to other operating income.
    project = tmp_path / "project"
    shutil.copytree(SQL_DIR, project, ignore=shutil.ignore_patterns("target", "logs", ".user.yml"))
    with (project / "seeds" / "account_classification.csv").open("a", encoding="utf-8") as seed:
        seed.write("acme,balance_sheet,1930,1930,short_term_investments\n")
        seed.write("acme,income_statement,30,30,other_operating_income\n")
    add_acme_2024(warehouse)
    add_acme_2024(warehouse, company_id="beta", file_sha256="beta-2024")
    # 1930 declares #KTYP T and #SRU 7281; the others say nothing (BAS class decides).
    warehouse.execute(
        f"update {DATASET}.sie_accounts set account_type = 'T', sru_codes = '7281'"
        " where account_number = 1930"
    )
    report = build_models(warehouse, as_of=AS_OF, sql_dir=project)
    assert report.ok, (report.failed_models, report.failed_checks)
    lines = {
        (company, account): line
        for company, account, line in warehouse.execute(
            "select company_id, account_number, line_code from analytics.fct_trial_balance"
        ).fetchall()
    }
    assert lines[("acme", "1930")] == "short_term_investments"
    assert lines[("acme", "3001")] == "other_operating_income"
    assert lines[("beta", "1930")] == "cash_and_bank"
    assert lines[("beta", "3001")] == "net_revenue"
    income = dict(
        warehouse.execute(
            "select company_id, year_to_date_amount from analytics.fct_income_statement"
            " where period = '2024-03' and line_code = 'other_operating_income'"
        ).fetchall()
    )
    assert income == {"acme": Decimal("11100.00"), "beta": Decimal("0.00")}
    # account_type: #KTYP where declared, else the BAS class; never NULL. SRU codes kept.
    accounts = {
        account: rest
        for account, *rest in warehouse.execute(
            "select account_number, account_type, account_type_source, sru_codes"
            " from analytics.dim_accounts where company_id = 'acme'"
        ).fetchall()
    }
    assert accounts["1930"] == ["T", "KTYP", "7281"]
    assert accounts["2440"] == ["S", "BAS", None]
    assert accounts["3001"] == ["I", "BAS", None]
    assert accounts["4010"] == ["K", "BAS", None]
    assert all(account_type for account_type, _, _ in accounts.values())


def test_vat_summary_leaves_out_the_settlement(warehouse: duckdb.DuckDBPyConnection) -> None:
    settlement = ("A", 2, date(2024, 4, 12), [(2611, "2700"), (2641, "-1000"), (2650, "-1700")])
    add_acme_2024(warehouse, vouchers=[*ACME_2024_VOUCHERS, settlement], balances=[])
    build_models(warehouse, as_of=AS_OF)
    rows = warehouse.execute(
        "select period, output_vat_25, input_vat, net_vat_payable, note"
        " from analytics.fct_vat_summary where period in ('2024-01', '2024-03', '2024-04')"
        " order by period"
    ).fetchall()
    assert [row[:4] for row in rows] == [
        ("2024-01", Decimal("2500.00"), Decimal("0.00"), Decimal("2500.00")),
        ("2024-03", Decimal("200.00"), Decimal("1000.00"), Decimal("-800.00")),
        ("2024-04", Decimal("0.00"), Decimal("0.00"), Decimal("0.00")),
    ]
    assert "not a filed VAT declaration" in rows[0][4]


def test_final_and_provisional_follow_the_latest_locked_period(
    acme_with_api: BuiltWarehouse,
) -> None:
    warehouse = acme_with_api.connection
    assert warehouse.sql(
        "select company_id, locked_through, observations from analytics.dim_locked_period"
    ).fetchall() == [("acme", date(2024, 2, 29), 2)]
    final_periods = warehouse.sql(
        "select distinct period from analytics.fct_general_ledger_by_period where is_final"
        " order by 1"
    ).fetchall()
    assert final_periods == [("2024-01",), ("2024-02",)]
    assert warehouse.sql(
        "select voucher_series || voucher_number, is_final from analytics.fct_gl_transactions"
        " where account_number = '1510' order by voucher_date"
    ).fetchall() == [("C1", True), ("D1", True), ("C2", False), ("A1", False)]
