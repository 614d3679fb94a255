"""Every tool over the demo's warehouse, its answer checked against the marts it reads."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.mcp_server.server import ServerSettings
from tests.mcp.conftest import call, mart, with_client

TOOLS = {
    "list_companies",
    "trial_balance",
    "income_statement",
    "balance_sheet",
    "ar_aging",
    "ap_aging",
    "reconciliation",
    "general_ledger",
    "voucher",
    "customer",
    "supplier",
    "sie_findings",
    "query",
}


@pytest.fixture(scope="module")
def settings(demo_warehouse: Path) -> ServerSettings:
    return ServerSettings(duckdb_path=demo_warehouse)


@pytest.fixture(scope="module")
def company(demo_warehouse: Path) -> str:
    rows = mart(demo_warehouse, "select distinct company_id from analytics.dim_financial_years")
    assert len(rows) == 1
    return str(rows[0][0])


def _no_floats(value: Any, where: str = "answer") -> None:
    """Amounts travel as exact decimal strings: no float anywhere in an answer."""
    assert not isinstance(value, float), where
    if isinstance(value, dict):
        for key, item in value.items():
            _no_floats(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _no_floats(item, f"{where}[{index}]")


def _about_is_stamped(answer: dict[str, Any], company: str, demo_warehouse: Path) -> None:
    about = answer["about"]
    assert about["company_id"] == company
    locked = mart(
        demo_warehouse,
        "select locked_through from analytics.dim_locked_period where company_id = ?",
        [company],
    )[0][0]
    assert about["locked_through"] == locked.isoformat()
    loaded = mart(
        demo_warehouse,
        "select max(ended_at) from fortnox_raw.load_runs where company_id = ?",
        [company],
    )[0][0]
    assert about["loaded_at"].replace("Z", "+00:00") == loaded.isoformat()
    _no_floats(answer)


def test_tools_are_listed_with_descriptions_and_typed_schemas(settings: ServerSettings) -> None:
    tools = with_client(settings, lambda client: client.list_tools()).tools
    assert {tool.name for tool in tools} == TOOLS
    for tool in tools:
        assert tool.description and len(tool.description) > 40, tool.name
        assert tool.outputSchema is not None, tool.name
        assert tool.annotations is not None and tool.annotations.readOnlyHint, tool.name
    voucher = next(tool for tool in tools if tool.name == "voucher")
    assert set(voucher.inputSchema["required"]) == {"series", "number", "financial_year"}


def test_resource_and_prompt_help_an_agent_start(settings: ServerSettings) -> None:
    async def work(client: Any) -> tuple[str, str]:
        schema = await client.read_resource("warehouse://schema")
        prompt = await client.get_prompt("month_end_checklist", {"period": "2026-10"})
        return schema.contents[0].text, prompt.messages[0].content.text

    schema, checklist = with_client(settings, work)
    assert "## analytics.fct_trial_balance" in schema
    assert "one row per company, financial year and account" in schema
    assert "- email" not in schema  # personal columns are not even named by default
    assert "2026-10" in checklist and "reconciliation" in checklist


def test_list_companies_has_freshness(
    settings: ServerSettings, company: str, demo_warehouse: Path
) -> None:
    answer = call(settings, "list_companies")
    (listed,) = answer["companies"]
    assert listed["company_id"] == company
    assert listed["last_load_outcome"] == "completed"
    years = mart(
        demo_warehouse,
        "select financial_year, is_final from analytics.dim_financial_years"
        " where company_id = ? order by financial_year_start",
        [company],
    )
    assert [(y["financial_year"], y["status"]) for y in listed["financial_years"]] == [
        (label, "final" if final else "provisional") for label, final in years
    ]
    assert listed["locked_through"] is not None
    # The organisation number as every table's company_key, beside the DatabaseNumber.
    ((key, org_number),) = mart(
        demo_warehouse,
        "select company_key, organization_number from fortnox_raw.company_information"
        " where company_id = ?",
        [company],
    )
    ((dim_key, dim_ids),) = mart(
        demo_warehouse,
        "select company_key, company_ids from analytics.dim_companies"
        " where list_contains(company_ids, ?)",
        [company],
    )
    assert re.fullmatch(r"\d{6}-\d{4}", key)
    assert listed["company_key"] == key == dim_key and listed["org_number"] == org_number
    assert dim_ids[0] == company
    # Any tool takes the company_key as its company.
    by_key = call(settings, "trial_balance", {"company": key, "period": "2026-08"})
    assert by_key["about"]["company_id"] == company
    assert by_key == call(settings, "trial_balance", {"company": company, "period": "2026-08"})


def test_trial_balance_matches_the_mart_and_balances(
    settings: ServerSettings, company: str, demo_warehouse: Path
) -> None:
    answer = call(settings, "trial_balance", {"financial_year": "2026", "period": "2026-08"})
    _about_is_stamped(answer, company, demo_warehouse)
    assert answer["period"] == "2026-08" and answer["about"]["as_of_date"] == "2026-08-31"
    expected = {
        str(account): closing
        for account, closing in mart(
            demo_warehouse,
            "select account_number, closing_balance from analytics.fct_general_ledger_by_period"
            " where company_id = ? and financial_year = '2026' and period = '2026-08'",
            [company],
        )
        if closing
    }
    rows = answer["rows"]
    assert {
        r["account_number"]: Decimal(r["closing_balance"])
        for r in rows
        if Decimal(r["closing_balance"])
    } == expected
    for row in rows:
        opening, debit, credit = (Decimal(row[k]) for k in ("opening_balance", "debit", "credit"))
        assert opening + debit - credit == Decimal(row["closing_balance"]), row
        assert row["status"] == "final"  # August 2026 is inside the locked period
    assert answer["totals"]["debit"] == answer["totals"]["credit"]
    assert Decimal(answer["totals"]["closing_balance"]) == 0


def test_income_statement_matches_the_mart_with_prior_year(
    settings: ServerSettings, company: str, demo_warehouse: Path
) -> None:
    answer = call(settings, "income_statement", {"period": "2026-10"})
    _about_is_stamped(answer, company, demo_warehouse)
    assert answer["comparative_period"] == "2025-10"
    current = {
        code: (period, ytd, prior)
        for code, period, ytd, prior in mart(
            demo_warehouse,
            "select line_code, period_amount, year_to_date_amount,"
            " comparative_year_to_date_amount from analytics.fct_income_statement"
            " where company_id = ? and period = '2026-10'",
            [company],
        )
    }
    assert {line["line_code"] for line in answer["lines"]} == set(current)
    for line in answer["lines"]:
        period, ytd, prior = current[line["line_code"]]
        assert Decimal(line["period_amount"]) == period
        assert Decimal(line["year_to_date_amount"]) == ytd
        if prior is not None:
            assert Decimal(line["comparative_amount"]) == prior
        assert line["status"] == "provisional"  # October 2026 is after the locked period
    assert Decimal(answer["totals"]["net_result"]) == current["net_result"][1]


def test_balance_sheet_balances_and_is_final_inside_the_locked_period(
    settings: ServerSettings, company: str, demo_warehouse: Path
) -> None:
    answer = call(settings, "balance_sheet", {"period": "2026-08"})
    _about_is_stamped(answer, company, demo_warehouse)
    assert {line["status"] for line in answer["lines"]} == {"final"}
    totals = {key: Decimal(value) for key, value in answer["totals"].items()}
    assert totals["total_assets"] > 0
    assert totals["total_assets"] == totals["total_equity_and_liabilities"]
    at_month_end = dict(
        mart(
            demo_warehouse,
            "select line_code, year_to_date_amount from analytics.fct_balance_sheet"
            " where company_id = ? and period = '2026-08'",
            [company],
        )
    )
    assert {
        line["line_code"]: Decimal(line["year_to_date_amount"]) for line in answer["lines"]
    } == at_month_end


@pytest.mark.parametrize(("tool", "side"), [("ar_aging", "ar"), ("ap_aging", "ap")])
def test_aging_matches_the_mart(
    settings: ServerSettings, company: str, demo_warehouse: Path, tool: str, side: str
) -> None:
    answer = call(settings, tool, {"page_size": 3})
    _about_is_stamped(answer, company, demo_warehouse)
    rows = mart(
        demo_warehouse,
        f"select aging_bucket, count(*), sum(open_amount_sek) from analytics.fct_{side}_aging"
        " where company_id = ? group by 1",
        [company],
    )
    assert {
        b["aging_bucket"]: (b["documents"], Decimal(b["open_amount_sek"]))
        for b in answer["buckets"]
    } == {bucket: (count, total) for bucket, count, total in rows}
    assert answer["page"]["total_rows"] == sum(count for _, count, _ in rows)
    assert len(answer["items"]) == 3 and answer["page"]["next_page"] == 2
    amounts = [abs(Decimal(item["open_amount_sek"])) for item in answer["items"]]
    assert amounts == sorted(amounts, reverse=True)


def test_aging_on_another_date_equals_the_open_items_of_that_month_end(
    settings: ServerSettings, company: str, demo_warehouse: Path
) -> None:
    answer = call(settings, "ap_aging", {"as_of": "2026-06-30", "page_size": 500})
    ((count, total),) = mart(
        demo_warehouse,
        "select count(*), sum(open_amount_sek) from analytics.int_open_items"
        " where company_id = ? and subledger = 'AP' and reconciliation_date = '2026-06-30'",
        [company],
    )
    assert answer["page"]["total_rows"] == count
    assert Decimal(answer["total_open_sek"]) == total
    assert answer["status"] == "final" and answer["about"]["as_of_date"] == "2026-06-30"


@pytest.mark.parametrize(
    ("ledger", "day"), [("AR", None), ("AP", "2026-03-31"), ("AR", "2026-03-15")]
)
def test_reconciliation_matches_the_mart_and_explains_the_difference(
    settings: ServerSettings, company: str, demo_warehouse: Path, ledger: str, day: str | None
) -> None:
    arguments = {"ledger": ledger} | ({"as_of": day} if day else {})
    answer = call(settings, "reconciliation", arguments)
    _about_is_stamped(answer, company, demo_warehouse)
    explained = sum((Decimal(row["amount"]) for row in answer["explaining_rows"]), Decimal(0))
    assert explained == Decimal(answer["explained_amount"])
    assert Decimal(answer["difference"]) == Decimal(answer["ledger_balance"]) - Decimal(
        answer["subledger_balance"]
    )
    assert (
        Decimal(answer["unexplained_difference"]) == 0
    )  # the sandbox's differences are all explained
    if day is None or day.endswith("31"):
        where = "is_as_of" if day is None else f"reconciliation_date = '{day}'"
        ((ledger_balance, subledger_balance, status),) = mart(
            demo_warehouse,
            "select ledger_balance, subledger_balance, status"
            f" from analytics.fct_{ledger.lower()}_reconciliation where company_id = ? and {where}",
            [company],
        )
        assert Decimal(answer["ledger_balance"]) == ledger_balance
        assert Decimal(answer["subledger_balance"]) == subledger_balance
        assert answer["status"] == status


def test_general_ledger_filters_pages_and_sums(
    settings: ServerSettings, company: str, demo_warehouse: Path
) -> None:
    arguments = {"account": "1510", "date_from": "2026-01-01", "date_to": "2026-06-30"}
    first = call(settings, "general_ledger", arguments | {"page_size": 5})
    second = call(settings, "general_ledger", arguments | {"page_size": 5, "page": 2})
    ((count, total),) = mart(
        demo_warehouse,
        "select count(*), sum(amount) from analytics.fct_gl_transactions where company_id = ?"
        " and account_number = 1510 and voucher_date between '2026-01-01' and '2026-06-30'",
        [company],
    )
    assert first["page"]["total_rows"] == count and count > 10
    assert Decimal(first["sum_amount"]) == total
    assert first["page"]["next_page"] == 2
    keys = [(r["voucher_series"], r["voucher_number"], r["row_no"]) for r in first["rows"]]
    assert not set(keys) & {
        (r["voucher_series"], r["voucher_number"], r["row_no"]) for r in second["rows"]
    }
    assert all(r["account_number"] == "1510" for r in first["rows"] + second["rows"])
    assert first["about"]["as_of_date"] == "2026-06-30"
    text = call(settings, "general_ledger", {"text": "utan OCR"})
    assert text["page"]["total_rows"] >= 1
    assert text["about"]["as_of_date"] == max(r["voucher_date"] for r in text["rows"])
    assert all("utan ocr" in (r["voucher_text"] or "").lower() for r in text["rows"])


def test_voucher_has_its_rows_and_balances(
    settings: ServerSettings, company: str, demo_warehouse: Path
) -> None:
    ((series, number, year),) = mart(
        demo_warehouse,
        "select voucher_series, voucher_number, financial_year"
        " from analytics.int_unmatched_control_rows where company_id = ? and subledger = 'AR'"
        " order by voucher_date limit 1",
        [company],
    )
    answer = call(settings, "voucher", {"series": series, "number": number, "financial_year": year})
    _about_is_stamped(answer, company, demo_warehouse)
    rows = mart(
        demo_warehouse,
        "select cast(account_number as varchar), amount from analytics.fct_gl_transactions"
        " where company_id = ? and voucher_series = ? and voucher_number = ?"
        " and financial_year = ? order by row_no",
        [company, series, number, year],
    )
    assert [(r["account_number"], Decimal(r["amount"])) for r in answer["rows"]] == rows
    assert answer["balanced"] is True
    assert all(row["account_name"] for row in answer["rows"])


@pytest.mark.parametrize(
    ("tool", "side", "key"),
    [("customer", "ar", "customer_number"), ("supplier", "ap", "supplier_number")],
)
def test_counterparty_open_items_and_history(
    settings: ServerSettings, company: str, demo_warehouse: Path, tool: str, side: str, key: str
) -> None:
    ((number, open_total),) = mart(
        demo_warehouse,
        f"select {key}, sum(open_amount_sek) from analytics.fct_{side}_aging where company_id = ?"
        " group by 1 order by 2 desc limit 1",
        [company],
    )
    answer = call(settings, tool, {f"{tool}_number": number, "page_size": 200})
    _about_is_stamped(answer, company, demo_warehouse)
    assert Decimal(answer["open_total_sek"]) == open_total
    assert answer["personal_data"] is None
    table = "stg_fortnox__invoices" if side == "ar" else "stg_fortnox__supplier_invoices"
    ((documents,),) = mart(
        demo_warehouse,
        f"select count(*) from analytics.{table} where company_id = ? and {key} = ?",
        [company, number],
    )
    assert answer["page"]["total_rows"] == documents == len(answer["documents"])
    document_key = "invoice_number" if side == "ar" else "given_number"
    payments = table.replace("_invoices", "_invoice_payments")
    ((paid,),) = mart(
        demo_warehouse,
        f"select sum(payments.amount) from analytics.{payments}"
        f" as payments join analytics.{table} as invoices using (company_id, {document_key})"
        f" where company_id = ? and invoices.{key} = ? and payments.is_booked",
        [company, number],
    )
    assert sum(Decimal(d["paid_sek"]) for d in answer["documents"]) == paid


def test_sie_findings_lists_what_the_checks_found(warehouse_copy: Path, company: str) -> None:
    with duckdb.connect(str(warehouse_copy)) as connection:
        connection.execute(
            'insert into fortnox_raw.sie_findings (file_sha256, company_id, "check", subject,'
            " expected, actual, severity, message, financial_year_id)"
            " select file_sha256, company_id, 'unbalanced_voucher', 'A 7', '0.00', '10.00',"
            " 'error', 'voucher A 7 does not balance', financial_year_id"
            " from analytics.dim_financial_years where financial_year = '2026'"
        )
    settings = ServerSettings(duckdb_path=warehouse_copy)
    answer = call(settings, "sie_findings")
    assert answer["files_checked"] == 3
    (finding,) = answer["findings"]
    assert finding["check"] == "unbalanced_voucher" and finding["financial_year"] == "2026"
    assert call(settings, "sie_findings", {"severity": "warning"})["findings"] == []


def test_query_answers_with_exact_decimals_and_a_row_cap(
    settings: ServerSettings, company: str, demo_warehouse: Path
) -> None:
    sql = (
        "select company_id, cast(account_number as varchar) as account, sum(amount) as total"
        " from analytics.fct_gl_transactions group by all order by account"
    )
    answer = call(settings, "query", {"sql": sql, "max_rows": 5})
    expected = mart(demo_warehouse, sql)
    assert answer["truncated"] is True and answer["row_count"] == 5
    assert answer["rows"] == [[c, a, format(t, "f")] for c, a, t in expected[:5]]
    assert answer["about"][0]["company_id"] == company
    _no_floats(answer)
    everything = call(settings, "query", {"sql": sql, "max_rows": 500})
    assert everything["truncated"] is False and everything["row_count"] == len(expected)


def test_unknown_inputs_get_errors_an_agent_can_act_on(settings: ServerSettings) -> None:
    from tests.mcp.conftest import ToolFailed

    with pytest.raises(ToolFailed, match=r"no company 'nope'.*companies: "):
        call(settings, "trial_balance", {"company": "nope"})
    with pytest.raises(
        ToolFailed, match=r"no financial year '1999'.*loaded years: 2024, 2025, 2026"
    ):
        call(settings, "voucher", {"series": "A", "number": 1, "financial_year": "1999"})
    with pytest.raises(ToolFailed, match="no voucher Z999"):
        call(settings, "voucher", {"series": "Z", "number": 999, "financial_year": "2026"})
