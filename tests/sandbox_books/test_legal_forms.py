"""The sandbox company's legal form matches its books: an aktiebolag by default, or hb/enskild."""

from __future__ import annotations

from collections import Counter
from functools import cache

import pytest

from sources.fortnox_sandbox import chart
from sources.fortnox_sandbox.books import generate_books
from sources.fortnox_sandbox.business import closing_balances
from sources.fortnox_sandbox.model import Company
from sources.fortnox_sandbox.names import luhn_check_digit


@cache
def _books(legal_form: str) -> Company:
    [generated] = generate_books(seed=4, scale="small", legal_form=legal_form)
    return generated


@pytest.fixture(params=["ab", "hb", "enskild"])
def company(request: pytest.FixtureRequest) -> Company:
    return _books(request.param)


def _booked_accounts(company: Company) -> Counter[int]:
    return Counter(
        row.account
        for vouchers in company.vouchers.values()
        for voucher in vouchers
        for row in voucher.rows
        if not row.removed
    )


def _year_end_vouchers(company: Company) -> list[list[tuple[int, int]]]:
    return [
        [(row.account, row.debit - row.credit) for row in voucher.rows]
        for vouchers in company.vouchers.values()
        for voucher in vouchers
        if voucher.description == "Årets resultat"
    ]


def test_name_and_identity_number_say_the_legal_form(company: Company) -> None:
    suffix = {"ab": " AB", "hb": " HB", "enskild": " Enskild firma"}[company.legal_form]
    assert company.name.endswith(suffix)
    assert "Handelsbolag" not in company.name or company.legal_form == "hb"
    digits = company.organisation_number.replace("-", "")
    assert len(digits) == 10 and luhn_check_digit(digits[:9]) == int(digits[9])
    if company.legal_form == "ab":
        assert digits.startswith("55")
    elif company.legal_form == "hb":
        assert digits.startswith("96")
    else:
        assert 1 <= int(digits[2:4]) <= 12  # YYMMDD of the owner's personal identity number


def test_aktiebolag_is_the_default_with_share_capital_and_corporate_tax() -> None:
    [company] = generate_books(seed=4, scale="small")
    assert company.legal_form == "ab"
    booked = _booked_accounts(company)
    first_opening = company.opening_balances[company.financial_years[0].id]
    assert first_opening[chart.SHARE_CAPITAL] == -5_000_000
    assert {chart.SHARE_CAPITAL, chart.INCOME_TAX, chart.INCOME_TAX_LIABILITY} <= set(
        company.accounts
    )
    assert booked[chart.INCOME_TAX] >= 2  # 2024 and 2025 closed with a profit
    for rows in _year_end_vouchers(company):
        assert {account for account, _ in rows} == {chart.YEAR_RESULT, chart.YEAR_RESULT_EQUITY}
    assert not {2010, 2019, 2020, 2029} & set(company.accounts)


@pytest.mark.parametrize("legal_form", ["hb", "enskild"])
def test_partnership_and_sole_trader_have_owners_equity_and_no_corporate_tax(
    legal_form: str,
) -> None:
    company = _books(legal_form)
    booked = _booked_accounts(company)
    opening = company.opening_balances[company.financial_years[0].id]
    aktiebolag_accounts = {2081, 2091, 2098, 2099, 2512, 8910}
    assert not aktiebolag_accounts & set(company.accounts)
    assert not aktiebolag_accounts & set(booked)
    assert not aktiebolag_accounts & set(opening)
    owners = {chart.OWNER_EQUITY: chart.OWNER_YEAR_RESULT}
    if company.legal_form == "hb":
        owners[chart.PARTNER_2_EQUITY] = chart.PARTNER_2_YEAR_RESULT
    assert set(owners) <= set(opening)
    # The equity is the owners': every balance sums to zero with it.
    assert sum(opening.values()) == 0
    closings = _year_end_vouchers(company)
    assert len(closings) >= 2
    for rows in closings:
        assert {account for account, _ in rows} == {chart.YEAR_RESULT, *owners.values()}
        assert sum(amount for _, amount in rows) == 0
    # The year's result moves to the capital account when the next year opens: 2019 is back
    # at zero in the next year's closing, apart from that year's own result.
    second = company.financial_years[1]
    closing = closing_balances(company, second.id)
    result_2025 = dict(_year_end_vouchers(company)[1])
    for equity_account, result_account in owners.items():
        assert closing.get(result_account, 0) == result_2025[result_account]
        assert equity_account in closing


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--legal-form", "llc", "ab, hb or enskild"),
        ("--fiscal-years", "weekly", "calendar or split"),
    ],
)
def test_sandbox_serve_refuses_an_unknown_form_or_year(
    option: str, value: str, message: str
) -> None:
    from typer.testing import CliRunner

    from pipelines.cli import app

    result = CliRunner().invoke(app, ["sandbox", "serve", option, value])
    assert result.exit_code == 2
    assert message in result.output


def test_generate_books_refuses_an_unknown_form() -> None:
    with pytest.raises(ValueError, match="unknown legal form"):
        generate_books(seed=4, scale="small", legal_form="ltd")
    with pytest.raises(ValueError, match="unknown fiscal years"):
        generate_books(seed=4, scale="small", fiscal_years="weekly")
