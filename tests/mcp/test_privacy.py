"""Personal fields (e-mail, phone, address, payment details) stay out unless allowed and asked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.mcp_server.privacy import is_personal_column
from pipelines.mcp_server.server import ServerSettings
from tests.mcp.conftest import ToolFailed, call, mart, with_client


@pytest.fixture(scope="module")
def personal_values(demo_warehouse: Path) -> set[str]:
    """Every e-mail, phone number and street address the demo loaded for customers and
    suppliers: none of them may appear in an answer of a server that does not allow it."""
    values: set[str] = set()
    for table in ("customers", "suppliers"):
        for email, phone, address in mart(
            demo_warehouse, f"select email, phone, address1 from fortnox_raw.{table}"
        ):
            values |= {value for value in (email, phone, address) if value}
    assert len(values) > 30
    return values


def _leaks(answer: object, personal_values: set[str]) -> set[str]:
    text = json.dumps(answer, ensure_ascii=False)
    return {value for value in personal_values if value in text}


def test_personal_columns_are_named_as_such() -> None:
    for column in ("email", "email_invoice", "phone1", "address2", "zip_code", "city", "iban"):
        assert is_personal_column(column), column
    for column in ("customer_name", "company_id", "amount", "account_number", "org_number"):
        assert not is_personal_column(column), column


def test_by_default_no_answer_holds_personal_data(
    demo_warehouse: Path, personal_values: set[str]
) -> None:
    settings = ServerSettings(duckdb_path=demo_warehouse)
    answers = [
        call(settings, "customer", {"customer_number": "1"}),
        call(settings, "supplier", {"supplier_number": "1"}),
        call(settings, "ar_aging", {"page_size": 500}),
        call(settings, "query", {"sql": "select * from fortnox_raw.customers", "max_rows": 500}),
        call(settings, "query", {"sql": "select * from fortnox_raw.suppliers", "max_rows": 500}),
        call(settings, "query", {"sql": "select * from analytics.dim_customers", "max_rows": 500}),
    ]
    for answer in answers:
        assert not _leaks(answer, personal_values)
    assert answers[0]["personal_data"] is None
    assert "email" not in answers[3]["columns"] and "phone" not in answers[3]["columns"]
    assert "name" in answers[3]["columns"]  # the rest of the table is there


def test_asking_a_server_that_does_not_allow_it_is_refused(demo_warehouse: Path) -> None:
    settings = ServerSettings(duckdb_path=demo_warehouse)
    with pytest.raises(ToolFailed, match="--allow-personal-data"):
        call(settings, "customer", {"customer_number": "1", "include_personal_data": True})
    with pytest.raises(ToolFailed, match="--allow-personal-data"):
        call(
            settings,
            "query",
            {"sql": "select email from fortnox_raw.customers", "include_personal_data": True},
        )
    with pytest.raises(ToolFailed, match="email"):
        call(settings, "query", {"sql": "select email from fortnox_raw.customers"})


def test_an_allowing_server_gives_them_only_when_asked(
    demo_warehouse: Path, personal_values: set[str]
) -> None:
    settings = ServerSettings(duckdb_path=demo_warehouse, allow_personal_data=True)
    ((email, phone),) = mart(
        demo_warehouse,
        "select email, phone from fortnox_raw.customers where customer_number = '1'",
    )
    not_asked = call(settings, "customer", {"customer_number": "1"})
    assert not_asked["personal_data"] is None and not _leaks(not_asked, personal_values)
    asked = call(settings, "customer", {"customer_number": "1", "include_personal_data": True})
    assert asked["personal_data"]["email"] == email
    assert asked["personal_data"]["phone"] == phone
    query = call(
        settings,
        "query",
        {
            "sql": "select email from fortnox_raw.customers where customer_number = '1'",
            "include_personal_data": True,
        },
    )
    assert query["rows"] == [[email]] and query["personal_data"] is True
    schema = with_client(settings, lambda client: client.read_resource("warehouse://schema"))
    assert "- email" in schema.contents[0].text
