"""`query` runs one SELECT and nothing else; no tool can write, because DuckDB refuses it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from pipelines.mcp_server.query_guard import QueryRefused, check_select, run_query
from pipelines.mcp_server.server import ServerSettings
from pipelines.mcp_server.warehouse import WarehouseReader
from tests.mcp.conftest import ToolFailed, call

REFUSED = {
    "insert": "insert into analytics.dim_accounts select * from analytics.dim_accounts",
    "update": "update analytics.dim_accounts set account_name = 'x'",
    "delete": "delete from fortnox_raw.load_runs",
    "create": "create table analytics.notes (note varchar)",
    "create as": "create table analytics.copy as select * from analytics.dim_accounts",
    "drop": "drop table analytics.fct_trial_balance",
    "alter": "alter table analytics.dim_accounts add column x int",
    "attach": "attach '/tmp/other.duckdb' as other",
    "detach": "detach fortnox",
    "copy": "copy analytics.dim_customers to '/tmp/customers.csv'",
    "copy select": "copy (select * from analytics.dim_customers) to '/tmp/customers.csv'",
    "export": "export database '/tmp/everything'",
    "pragma": "pragma database_list",
    "pragma table_info": "pragma table_info('analytics.dim_accounts')",
    "install": "install httpfs",
    "load": "load httpfs",
    "set": "set enable_external_access = true",
    "call": "call pragma_database_list()",
    "checkpoint": "checkpoint",
    "use": "use memory",
    "begin": "begin transaction",
    "two statements": "select 1; select 2",
    "select then drop": "select 1; drop table analytics.dim_accounts",
    "comment then insert": "/* select */ insert into fortnox_raw.load_runs"
    " select * from fortnox_raw.load_runs",
    "with insert": "with x as (select 1) insert into analytics.dim_accounts select * from x",
    "read a file": "select * from read_csv('/etc/passwd')",
    "read text": "select * from read_text('/etc/hostname')",
    "a file as a table": "select * from '/etc/passwd'",
    "query() runs other sql": "select * from query('select * from fortnox.fortnox_raw.customers')",
    "the attached catalog": "select * from fortnox.fortnox_raw.customers",
    "another schema": "select * from fortnox.customers",
    "empty": "  -- nothing\n",
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("sql", REFUSED.values(), ids=REFUSED.keys())
def test_the_guard_refuses_anything_but_one_select(sql: str) -> None:
    with duckdb.connect(":memory:") as connection, pytest.raises(QueryRefused):
        check_select(connection, sql)


@pytest.mark.parametrize(
    "sql",
    [
        "select 1",
        "  -- a comment first\nselect count(*) from analytics.fct_trial_balance;",
        "with t as (select * from analytics.dim_accounts) select count(*) from t",
        "from analytics.dim_accounts select account_number limit 3",
        "(select 1) union all (select 2)",
        "select table_name from information_schema.tables",
        "select * from range(3)",
        "values (1, 'a')",
    ],
)
def test_the_guard_lets_a_select_through(sql: str) -> None:
    with duckdb.connect(":memory:") as connection:
        assert check_select(connection, sql)


def test_refusals_through_the_tool_leave_the_warehouse_as_it_was(warehouse_copy: Path) -> None:
    before = _sha256(warehouse_copy)
    settings = ServerSettings(duckdb_path=warehouse_copy)
    for name in ("insert", "create", "attach", "copy", "pragma", "install", "two statements"):
        with pytest.raises(ToolFailed, match=r"only a read-only SELECT|exactly one statement"):
            call(settings, "query", {"sql": REFUSED[name]})
    with pytest.raises(ToolFailed, match="read_csv"):
        call(settings, "query", {"sql": REFUSED["read a file"]})
    with pytest.raises(ToolFailed, match="not other catalogs or schemas"):
        call(settings, "query", {"sql": REFUSED["the attached catalog"]})
    assert _sha256(warehouse_copy) == before


@pytest.mark.parametrize(
    "statement",
    [
        "insert into analytics.dim_accounts select * from analytics.dim_accounts",
        "delete from fortnox_raw.load_runs",
        "create table analytics.notes (note varchar)",
        "drop table analytics.fct_trial_balance",
    ],
)
def test_a_write_through_a_tools_connection_fails_because_it_is_read_only(
    warehouse_copy: Path, statement: str
) -> None:
    """What every tool reads through: DuckDB itself refuses the write, whatever the SQL."""
    before = _sha256(warehouse_copy)
    reader = WarehouseReader(warehouse_copy)
    with reader.session() as connection, pytest.raises(duckdb.Error, match="read-only"):
        connection.execute(statement)
    with reader.bare_session() as connection, pytest.raises(duckdb.Error, match="read-only"):
        connection.execute(
            statement.replace("analytics.", "fortnox.analytics.").replace(
                "fortnox_raw.", "fortnox.fortnox_raw."
            )
        )
    assert _sha256(warehouse_copy) == before


def test_files_are_out_of_reach_even_past_the_guard(warehouse_copy: Path, tmp_path: Path) -> None:
    target = tmp_path / "leak.csv"
    with WarehouseReader(warehouse_copy).session() as connection:
        for statement in (
            f"copy (select * from fortnox_raw.customers) to '{target}'",
            "select * from read_csv('/etc/passwd')",
            f"attach '{tmp_path / 'other.duckdb'}' as other",
        ):
            with pytest.raises(duckdb.PermissionException):
                connection.execute(statement)
    assert not target.exists()


def test_a_long_query_is_interrupted_at_the_timeout(demo_warehouse: Path) -> None:
    with (
        WarehouseReader(demo_warehouse).bare_session() as connection,
        pytest.raises(QueryRefused, match=r"ran longer than 0\.5 s"),
    ):
        run_query(
            connection,
            "select count(*) from range(1000000000000) as a(i) where i % 7 = 3",
            catalog="fortnox",
            row_cap=10,
            timeout_seconds=0.5,
            personal=False,
        )


def test_the_row_cap_keeps_the_querys_own_order(demo_warehouse: Path) -> None:
    with WarehouseReader(demo_warehouse).bare_session() as connection:
        result = run_query(
            connection,
            "select voucher_date from analytics.fct_gl_transactions order by voucher_date desc",
            catalog="fortnox",
            row_cap=50,
            timeout_seconds=10,
            personal=False,
        )
    dates = [row[0] for row in result.rows]
    assert len(dates) == 50 and result.truncated
    assert dates == sorted(dates, reverse=True)
