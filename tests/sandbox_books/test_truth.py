"""The ground truth is JSON-ready, complete, and agrees with the books it describes."""

from __future__ import annotations

import json
import re

from sources.fortnox_sandbox.business import closing_balances
from sources.fortnox_sandbox.model import Company
from sources.fortnox_sandbox.money import format_amount, format_sie_amount, to_sek
from sources.fortnox_sandbox.names import is_valid_luhn, ocr_reference
from sources.fortnox_sandbox.truth import ground_truth

AMOUNT = re.compile(r"^-?\d+\.\d\d$")


def test_truth_shape_and_values(small_company: Company) -> None:
    truth = json.loads(json.dumps(ground_truth(small_company)))
    assert truth["database_number"] == small_company.database_number
    assert truth["organisation_number"] == small_company.organisation_number
    assert truth["business_date"] == "2026-11-20"
    assert truth["locked_through"] == "2026-08-31"
    assert [y["id"] for y in truth["financial_years"]] == [7, 8, 9]
    for year in truth["financial_years"]:
        assert year["voucher_count"] == len(small_company.vouchers[year["id"]])
        rows = [r for v in small_company.vouchers[year["id"]] for r in v.rows if not r.removed]
        assert year["row_count"] == len(rows)
        closing = closing_balances(small_company, year["id"])
        assert year["closing_balances"]["1930"] == format_amount(closing[1930])
        assert all(AMOUNT.match(v) for v in year["closing_balances"].values())
    assert truth["financial_years"][1]["opening_balances"] == {
        account: amount
        for account, amount in truth["financial_years"][0]["closing_balances"].items()
        if int(account) < 3000
    }
    for key in ("open_ar_by_month_end", "open_ap_by_month_end", "ledger_ar_by_month_end"):
        assert len(truth[key]) == 35  # Jan 2024 .. Oct 2026 month ends, then 2026-11-20
        assert all(AMOUNT.match(v) for v in truth[key].values())
    assert len(truth["deliberate_differences"]) == 4
    inside = [d for d in truth["deliberate_differences"] if d["inside_locked_period"]]
    assert 1 <= len(inside) <= 3


def test_money_helpers() -> None:
    assert to_sek(10_000, "11.4215") == 114_215
    assert to_sek(-1, "11.5") == -12  # half away from zero
    assert to_sek(12_345, "1") == 12_345
    assert format_amount(-123_450) == "-1234.50"
    assert format_amount(5) == "0.05"
    assert format_sie_amount(2_926_600) == "29266"
    assert format_sie_amount(-150_050) == "-1500.5"
    assert format_sie_amount(1_205) == "12.05"


def test_ocr_and_luhn() -> None:
    assert ocr_reference(12345) == "1234574"  # length digit 7, Luhn check 4
    assert is_valid_luhn(ocr_reference(98765))
    assert is_valid_luhn("556036-0793")  # a real AB (Volvo Personvagnar)
    assert not is_valid_luhn("556036-0794")
