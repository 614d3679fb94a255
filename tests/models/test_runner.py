"""The models' build (dbt): order from ref(), cycles, skipping on missing raw tables, failures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.transform import (
    SQL_DIR,
    DbtError,
    build_models,
    load_project,
    query_model,
)
from tests.models.conftest import DATASET, BuiltWarehouse, add_acme_2024, add_acme_api_tables

_PROJECT = """name: scratch
version: "1.0.0"
config-version: 2
profile: fortnox
model-paths: ["models"]
test-paths: ["checks"]
models:
  +materialized: table
"""


def _write(directory: Path, layer: str, name: str, sql: str) -> None:
    """One file of a scratch dbt project (`checks` are its tests, the other layers models)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "dbt_project.yml").write_text(_PROJECT, encoding="utf-8")
    folder = directory / ("checks" if layer == "checks" else f"models/{layer}")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.sql").write_text(sql, encoding="utf-8")


def _connect(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(tmp_path / "warehouse.duckdb"))


def test_every_ref_and_source_is_read_from_the_sql() -> None:
    models, checks = load_project(SQL_DIR)
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
    project = tmp_path / "project"
    _write(project, "staging", "stg_a", "-- one row per a\nselect * from {{ ref('int_b') }}")
    _write(project, "intermediate", "int_b", "-- one row per b\nselect * from {{ ref('fct_c') }}")
    _write(project, "marts", "fct_c", "-- one row per c\nselect * from {{ ref('stg_a') }}")
    with pytest.raises(DbtError) as raised:
        build_models(_connect(tmp_path), sql_dir=project)
    assert "stg_a" in str(raised.value) and "fct_c" in str(raised.value)


def test_a_failing_model_skips_its_dependents_and_the_rest_still_builds(tmp_path: Path) -> None:
    project = tmp_path / "project"
    _write(project, "staging", "stg_good", "-- one row per x\nselect 1 as x")
    _write(project, "staging", "stg_bad", "-- one row per x\nselect cast('a' as integer) as x")
    _write(project, "marts", "fct_on_bad", "-- one row per x\nselect * from {{ ref('stg_bad') }}")
    _write(
        project,
        "marts",
        "fct_on_good",
        "-- one row per x\nselect x + 1 as y from {{ ref('stg_good') }}",
    )
    _write(
        project,
        "checks",
        "y_is_two",
        "-- one row per wrong y\nselect * from {{ ref('fct_on_good') }} where y <> 2",
    )
    report = build_models(_connect(tmp_path), sql_dir=project)
    assert report.model("stg_bad").status == "failed"
    assert report.model("fct_on_bad").status == "skipped"
    assert "stg_bad" in report.model("fct_on_bad").reason
    assert report.model("fct_on_good").status == "built"
    assert report.model("fct_on_good").rows == 1
    assert report.check("y_is_two").status == "passed"
    assert not report.ok


def test_a_failed_check_reports_offending_rows(tmp_path: Path) -> None:
    project = tmp_path / "project"
    _write(project, "staging", "stg_numbers", "-- one row per n\nselect range as n from range(10)")
    _write(
        project,
        "checks",
        "no_big",
        "-- one row per big n\nselect n from {{ ref('stg_numbers') }} where n > 2 order by n",
    )
    report = build_models(_connect(tmp_path), sql_dir=project)
    check = report.check("no_big")
    assert check.status == "failed"
    assert check.offending_rows == 7
    assert check.sample == [{"n": 3}, {"n": 4}, {"n": 5}, {"n": 6}, {"n": 7}]
    assert report.failed_checks == [check]


def test_an_in_memory_warehouse_is_refused_with_what_to_do() -> None:
    with pytest.raises(ValueError, match="warehouse file"):
        build_models(duckdb.connect())


def test_sie_only_warehouse_skips_api_models_and_is_all_provisional(
    acme_sie_only: BuiltWarehouse,
) -> None:
    # acme's books built as of 2024-04-15, without any API table.
    warehouse, report = acme_sie_only.connection, acme_sie_only.report
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
    project = tmp_path / "project"
    connection = _connect(tmp_path)
    _write(project, "staging", "stg_n", "-- one row per n\nselect 1 as n")
    assert build_models(connection, sql_dir=project).model("stg_n").rows == 1
    _write(
        project,
        "staging",
        "stg_n",
        "-- one row per n\n{{ config(materialized='view') }}\nselect 2 as n",
    )
    assert build_models(connection, sql_dir=project).model("stg_n").status == "built"
    assert connection.sql("select n from analytics.stg_n").fetchone() == (2,)
    _write(project, "staging", "stg_n", "-- one row per n\nselect 3 as n")
    assert build_models(connection, sql_dir=project).model("stg_n").rows == 1


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
