"""Small pieces with sharp edges: exact money in JSON, the CLI's rate-limit syntax."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import typer

from pipelines.cli.sandbox import parse_rate_limit
from sources.fortnox_sandbox.serialize import money, money_text, rate, render_json


@pytest.mark.parametrize(
    ("ore", "text", "number"),
    [
        (0, "0.00", "0"),
        (5, "0.05", "0.05"),
        (-5, "-0.05", "-0.05"),
        (123456789, "1234567.89", "1234567.89"),
        (-150050, "-1500.50", "-1500.5"),
        (150000, "1500.00", "1500"),
    ],
)
def test_money_is_written_exactly_in_shortest_form(ore: int, text: str, number: str) -> None:
    # Real Fortnox writes numbers in their shortest form (fact sheet: `0`, `1.12`, `1500`).
    assert render_json({"Total": money(ore)}) == f'{{"Total":{number}}}'.encode()
    assert money_text(ore) == text
    parsed = json.loads(render_json({"Total": money(ore)}), parse_float=Decimal)
    assert parsed["Total"] == Decimal(ore) / 100


def test_rates_keep_their_decimals_and_strings_stay_strings() -> None:
    body = render_json({"CurrencyRate": rate("11.4215"), "Name": "Åkeri \x01 \\u0000 AB"})
    assert body.startswith(b'{"CurrencyRate":11.4215,')
    assert json.loads(body)["Name"] == "Åkeri \x01 \\u0000 AB"


@pytest.mark.parametrize(
    ("text", "parsed"), [("25/5", (25, 5.0)), ("300/60", (300, 60.0)), ("off", None)]
)
def test_rate_limit_option(text: str, parsed: tuple[int, float] | None) -> None:
    assert parse_rate_limit(text) == parsed


@pytest.mark.parametrize("text", ["25", "a/b", "0/5", "25/0"])
def test_bad_rate_limit_option(text: str) -> None:
    with pytest.raises(typer.BadParameter):
        parse_rate_limit(text)
