"""The model runner: order from the SQL itself, cycles, skipping on missing raw tables, failures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.models import (
    SQL_DIR,
    ModelCycleError,
    build_models,
    load_project,
    query_model,
)
from tests.models.conftest import DATASET, add_acme_2024, add_acme_api_tables


def _write(directory: Path, layer: str, name: str, sql: str) -> None:
    (directory / layer).mkdir(parents=True, exist_ok=True)
    (directory / layer / f"{name}.sql").write_text(sql, encoding="utf-8")


def test_build_order_follows_the_tables_each_sql_reads() -> None:
    models, checks = load_project(SQL_DIR)
    position = {model.name: index for index, model in enumerate(models)}
    for model in models:
        for parent in model.model_inputs:
            assert position[parent] < position[model.name], (parent, model.name)
    trial_balance = next(model for model in models if model.name == "fct_trial_balance")
    assert trial_balance.model_inputs == {
        "int_account_year_balances",
        "int_account_lines",
        "dim_accounts",
        "dim_locked_period",
    }
    assert trial_balance.raw_inputs == frozenset()
    staging = next(model for model in models if model.name == "stg_fortnox__invoices")
    assert staging.raw_inputs == {"invoices"}
    assert {check.name for check in checks} >= {
        "trial_balance_matches_sie_closing",
        "vouchers_balance",
    }


def test_every_model_starts_with_its_grain() -> None:
    models, checks = load_project(SQL_DIR)
    for unit in [*models, *checks]:
        assert unit.grain.startswith("one row per"), unit.name


def test_a_cycle_is_an_error_naming_the_models(tmp_path: Path) -> None:
    _write(tmp_path, "staging", "stg_a", "-- one row per a\nselect * from int_b")
    _write(tmp_path, "intermediate", "int_b", "-- one row per b\nselect * from fct_c")
    _write(tmp_path, "marts", "fct_c", "-- one row per c\nselect * from stg_a")
    with pytest.raises(ModelCycleError) as raised:
        load_project(tmp_path)
    assert set(raised.value.cycle) == {"stg_a", "int_b", "fct_c"}
    assert "stg_a" in str(raised.value) and "fct_c" in str(raised.value)


def test_a_failing_model_skips_its_dependents_and_the_rest_still_builds(tmp_path: Path) -> None:
    _write(tmp_path, "staging", "stg_good", "-- one row per x\nselect 1 as x")
    _write(tmp_path, "staging", "stg_bad", "-- one row per x\nselect 1 / 'a' as x")
    _write(tmp_path, "marts", "fct_on_bad", "-- one row per x\nselect * from stg_bad")
    _write(tmp_path, "marts", "fct_on_good", "-- one row per x\nselect x + 1 as y from stg_good")
    _write(
        tmp_path,
        "checks",
        "y_is_two",
        "-- one row per wrong y\nselect * from fct_on_good where y <> 2",
    )
    connection = duckdb.connect()
    report = build_models(connection, sql_dir=tmp_path)
    assert report.model("stg_bad").status == "failed"
    assert report.model("fct_on_bad").status == "skipped"
    assert "stg_bad" in report.model("fct_on_bad").reason
    assert report.model("fct_on_good").status == "built"
    assert report.model("fct_on_good").rows == 1
    assert report.check("y_is_two").status == "passed"
    assert not report.ok


def test_a_failed_check_reports_offending_rows(tmp_path: Path) -> None:
    _write(tmp_path, "staging", "stg_numbers", "-- one row per n\nselect range as n from range(10)")
    _write(
        tmp_path, "checks", "no_big", "-- one row per big n\nselect n from stg_numbers where n > 2"
    )
    report = build_models(duckdb.connect(), sql_dir=tmp_path)
    check = report.check("no_big")
    assert check.status == "failed"
    assert check.offending_rows == 7
    assert check.sample == [{"n": 3}, {"n": 4}, {"n": 5}, {"n": 6}, {"n": 7}]
    assert report.failed_checks == [check]


def test_sie_only_warehouse_skips_api_models_and_is_all_provisional(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    add_acme_2024(warehouse)
    report = build_models(warehouse, as_of=date(2024, 4, 15))
    assert report.model("fct_trial_balance").status == "built"
    # No document tables: no documents (an absent table reads as empty) ...
    assert report.model("stg_fortnox__invoices").status == "built"
    assert report.model("fct_ar_aging").rows == 0
    # ... but no reconciliation either: its control accounts come from Fortnox's predefined
    # accounts, which SIE files do not carry.
    assert report.model("fct_ar_reconciliation").status == "skipped"
    assert report.model("int_control_accounts").status == "skipped"
    assert "predefined_accounts" in report.model("int_control_accounts").reason
    # locked_period is optional: an empty stand-in, not a skip.
    assert report.model("dim_locked_period").status == "built"
    assert report.model("dim_locked_period").rows == 0
    assert report.ok, report.failed_checks
    assert warehouse.sql(
        "select count(*), count(*) filter (where is_final) from analytics.fct_gl_transactions"
    ).fetchone() == (13, 0)
    schemas = {
        row[0] for row in warehouse.sql("select schema_name from duckdb_schemas()").fetchall()
    }
    assert "analytics_empty_inputs" not in schemas


def test_a_model_skipped_now_drops_its_stale_table(warehouse: duckdb.DuckDBPyConnection) -> None:
    add_acme_2024(warehouse)
    add_acme_api_tables(warehouse)
    assert (
        build_models(warehouse, as_of=date(2024, 4, 15)).model("fct_ar_reconciliation").status
        == "built"
    )
    warehouse.execute(f"drop table {DATASET}.predefined_accounts")
    report = build_models(warehouse, as_of=date(2024, 4, 15))
    assert report.model("fct_ar_reconciliation").status == "skipped"
    tables = {
        row[0]
        for row in warehouse.sql(
            "select table_name from duckdb_tables() where schema_name = 'analytics'"
        ).fetchall()
    }
    assert "fct_ar_reconciliation" not in tables
    assert "fct_trial_balance" in tables


def test_query_model_answers_for_another_date_without_writing(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as connection:
        add_acme_2024(connection)
        add_acme_api_tables(connection)
        build_models(connection, as_of=date(2024, 4, 15))
    with duckdb.connect(str(path), read_only=True) as reader:
        earlier = query_model(reader, "fct_ar_reconciliation", as_of=date(2024, 2, 15))
        assert sorted(earlier["reconciliation_date"].to_list()) == [
            date(2024, 1, 31),
            date(2024, 2, 15),
        ]
        stored = reader.sql(
            "select max(reconciliation_date) from analytics.fct_ar_reconciliation"
        ).fetchone()
    assert stored == (date(2024, 4, 15),)


def test_views_resolve_for_an_analyst_without_a_search_path(tmp_path: Path) -> None:
    path = tmp_path / "fortnox.duckdb"
    with duckdb.connect(str(path)) as connection:
        add_acme_2024(connection)
        report = build_models(connection, as_of=date(2024, 4, 15))
        assert report.model("fct_gl_transactions").rows is None  # a view: nothing copied
    with duckdb.connect(str(path), read_only=True) as analyst:
        assert analyst.sql("select count(*) from analytics.fct_gl_transactions").fetchone() == (13,)


def test_a_model_may_change_from_table_to_view(tmp_path: Path) -> None:
    _write(tmp_path, "staging", "stg_n", "-- one row per n\nselect 1 as n")
    connection = duckdb.connect()
    assert build_models(connection, sql_dir=tmp_path).model("stg_n").rows == 1
    _write(tmp_path, "staging", "stg_n", "-- one row per n\n-- materialized: view\nselect 2 as n")
    assert build_models(connection, sql_dir=tmp_path).model("stg_n").status == "built"
    assert connection.sql("select n from analytics.stg_n").fetchone() == (2,)
    _write(tmp_path, "staging", "stg_n", "-- one row per n\nselect 3 as n")
    assert build_models(connection, sql_dir=tmp_path).model("stg_n").rows == 1


def test_a_company_without_supplier_documents_still_reconciles_its_receivables(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    """dlt creates no table for a resource that returned no rows: a company that never had a
    supplier invoice has no `supplier_invoices` table, and that must not cost it its AR."""
    add_acme_2024(warehouse)
    add_acme_api_tables(warehouse)
    complete = build_models(warehouse, as_of=date(2024, 4, 15))
    expected = warehouse.sql(
        "select * from analytics.fct_ar_reconciliation order by all"
    ).fetchall()
    assert complete.model("fct_ar_reconciliation").status == "built" and expected
    warehouse.execute(f"drop table {DATASET}.supplier_invoices")
    warehouse.execute(f"drop table {DATASET}.supplier_invoice_payments")
    report = build_models(warehouse, as_of=date(2024, 4, 15))
    assert report.model("fct_ar_reconciliation").status == "built"
    assert report.model("fct_ar_aging").status == "built"
    assert (
        warehouse.sql("select * from analytics.fct_ar_reconciliation order by all").fetchall()
        == expected
    )
    assert report.model("fct_ap_reconciliation").status == "built"
    assert warehouse.sql("select count(*) from analytics.fct_ap_aging").fetchone() == (0,)
