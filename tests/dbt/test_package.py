"""Another dbt project depends on ours as a package (a local path in its packages.yml) and builds
a model on our marts."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.transform import SQL_DIR
from tests.models.conftest import add_acme_2024, add_acme_api_tables

# A full parse of two projects and a build of every model: about a minute on a loaded 2-core
# machine.
pytestmark = pytest.mark.slow


def test_a_project_builds_on_our_marts_as_a_package(tmp_path: Path) -> None:
    from dbt.cli.main import dbtRunner

    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        add_acme_2024(connection)
        add_acme_api_tables(connection)
    project = tmp_path / "consumer"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        'name: consumer\nversion: "1.0.0"\nconfig-version: 2\nprofile: fortnox\n'
        "models:\n  consumer:\n    +materialized: table\n",
        encoding="utf-8",
    )
    (project / "packages.yml").write_text(f"packages:\n  - local: {SQL_DIR}\n", encoding="utf-8")
    (project / "models" / "closing_by_account.sql").write_text(
        "select account_number, sum(closing_balance) as closing_balance\n"
        "from {{ ref('fortnox', 'fct_trial_balance') }}\ngroup by account_number\n",
        encoding="utf-8",
    )
    arguments = [
        "--project-dir", str(project), "--profiles-dir", str(SQL_DIR),
        "--log-path", str(tmp_path / "logs"), "--no-version-check",
        "--no-send-anonymous-usage-stats",
    ]  # fmt: skip
    os.environ["FORTNOX_DUCKDB"] = str(warehouse)
    os.environ["FORTNOX_AS_OF_DATE"] = date(2024, 4, 15).isoformat()
    try:
        assert dbtRunner().invoke(["deps", *arguments]).success
        built = dbtRunner().invoke(["build", "--target-path", str(tmp_path / "target"), *arguments])
        assert built.success, built.exception
    finally:
        del os.environ["FORTNOX_DUCKDB"], os.environ["FORTNOX_AS_OF_DATE"]
    # Not read-only: dbt-duckdb keeps its own read-write connection open in this process.
    with duckdb.connect(str(warehouse)) as connection:
        rows = dict(connection.sql("select * from analytics.closing_by_account").fetchall())
        ours = dict(
            connection.sql(
                "select account_number, sum(closing_balance) from analytics.fct_trial_balance"
                " group by account_number"
            ).fetchall()
        )
    assert rows == ours and rows
