"""The SIE export looks like Fortnox 3.60's and satisfies the three SIE bookkeeping invariants.

The file is read back with the tiny tokenizer in conftest, independent of the project's reader.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest

from sources.fortnox_sandbox.model import Company
from sources.fortnox_sandbox.sie_writer import write_sie
from tests.sandbox_books.conftest import parse, tokens


@pytest.fixture(scope="module")
def sie_by_year(small_company: Company) -> dict[int, bytes]:
    return {year.id: write_sie(small_company, year.id) for year in small_company.financial_years}


def test_bytes_are_cp437_with_crlf(sie_by_year: dict[int, bytes]) -> None:
    content = sie_by_year[8]
    assert content.count(b"\n") == content.count(b"\r\n") > 100
    assert "Årets resultat".encode("cp437") in content
    assert b"\x8f" in content  # Å in CP437
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")


def test_header_is_fortnox_360(small_company: Company, sie_by_year: dict[int, bytes]) -> None:
    lines = sie_by_year[8].decode("cp437").split("\r\n")
    assert lines[:5] == [
        "#FLAGGA 0",
        "#FORMAT PC8",
        "#SIETYP 4",
        '#PROGRAM "Fortnox" 3.60.16',
        "#GEN 20261120",
    ]
    assert lines[5] == f"#FNR {small_company.fortnox_customer_id}"
    assert lines[6] == f'#FNAMN "{small_company.name}"'
    assert lines[7].startswith('#ADRESS "" "') and lines[7].endswith('"" ')
    assert len(tokens(lines[7])) == 5
    assert lines[8:13] == [
        "#RAR 0 20250101 20251231",
        "#RAR -1 20240101 20241231",
        f"#ORGNR {small_company.organisation_number}",
        "#OMFATTN 20251231",
        "#KPTYP EUBAS97",
    ]
    assert lines[13] == ""
    assert '#DIM 1 "Kostnadsställe"' in lines and '#DIM 6 "Projekt"' in lines
    first_year = sie_by_year[7].decode("cp437").split("\r\n")
    assert not any(line.startswith("#RAR -1") for line in first_year)


def test_three_invariants_hold_in_every_year(
    small_company: Company, sie_by_year: dict[int, bytes]
) -> None:
    for year_id, content in sie_by_year.items():
        parsed = parse(content)
        assert len(parsed["vouchers"]) == len(small_company.vouchers[year_id])
        per_account: dict[int, Decimal] = defaultdict(Decimal)
        for voucher in parsed["vouchers"]:
            assert sum(amount for _a, _o, amount in voucher["trans"]) == 0, voucher
            for account, _objects, amount in voucher["trans"]:
                per_account[account] += amount
        balances = parsed["balances"]
        accounts = {a for (_label, _year, a) in balances} | set(per_account)
        for account in accounts:
            if account < 3000:
                opening = balances.get(("#IB", "0", account), Decimal(0))
                closing = balances.get(("#UB", "0", account), Decimal(0))
                assert opening + per_account[account] == closing, (year_id, account)
            else:
                assert per_account[account] == balances.get(("#RES", "0", account), Decimal(0))
        if year_id != 7:  # year -1 is the previous file's year 0
            previous = parse(sie_by_year[year_id - 1])["balances"]
            for (label, year, account), amount in balances.items():
                if year == "-1":
                    assert previous[(label, "0", account)] == amount


def test_vouchers_are_ordered_and_show_corrections(sie_by_year: dict[int, bytes]) -> None:
    parsed = parse(sie_by_year[8])
    keys = [(v["series"], v["number"]) for v in parsed["vouchers"]]
    assert keys == sorted(keys)
    labels = parsed["labels"]
    assert labels["#RTRANS"] > 0 and labels["#BTRANS"] > 0
    text = parsed["text"]
    assert "#TRANS 1510 {} " in text
    btrans = next(line for line in text.split("\r\n") if line.startswith("#BTRANS"))
    fields = tokens(btrans)
    assert fields[4] == "" and fields[6] == "0" and " " in fields[7]  # ... "" "" 0 "First Last"
    plain = next(line for line in text.split("\r\n") if line.startswith("#TRANS 1930"))
    assert plain.endswith(' "" "" 0')


def test_escaped_quote_in_text(sie_by_year: dict[int, bytes]) -> None:
    content = sie_by_year[9]
    assert b'\\"faktura\\"' in content
    parsed = parse(content)
    assert any('"faktura"' in v["text"] for v in parsed["vouchers"])


def test_amounts_use_decimals_only_when_needed(sie_by_year: dict[int, bytes]) -> None:
    amounts = [
        tokens(line)[3]
        for line in sie_by_year[8].decode("cp437").split("\r\n")
        if line.startswith("#TRANS")
    ]
    assert any("." not in amount for amount in amounts)
    assert any("." in amount for amount in amounts)
    assert not any(amount.endswith(".00") or amount.endswith(".0") for amount in amounts)


def test_psaldo_is_the_change_per_period(
    small_company: Company, sie_by_year: dict[int, bytes]
) -> None:
    text = sie_by_year[8].decode("cp437")
    psaldo = [tokens(line) for line in text.split("\r\n") if line.startswith("#PSALDO 0 ")]
    assert any(fields[4] == "{}" for fields in psaldo)
    assert any(fields[4].startswith('{6 "') for fields in psaldo)
    per_account: dict[int, Decimal] = defaultdict(Decimal)
    for fields in psaldo:
        if fields[4] == "{}":
            assert fields[2].startswith("2025")
            per_account[int(fields[3])] += Decimal(fields[5])
    for voucher in parse(sie_by_year[8])["vouchers"]:
        for account, _objects, amount in voucher["trans"]:
            per_account[account] -= amount
    assert all(value == 0 for value in per_account.values())


@pytest.mark.parametrize("sie_type", [1, 2, 3])
def test_lower_types_leave_out_what_they_should(small_company: Company, sie_type: int) -> None:
    text = write_sie(small_company, 8, sie_type).decode("cp437")
    assert f"#SIETYP {sie_type}\r\n" in text
    assert "#VER" not in text and "#TRANS" not in text
    assert "#UB 0 " in text and "#RES 0 " in text
    assert ("#PSALDO" in text) == (sie_type >= 2)
    assert ("#OBJEKT" in text) == (sie_type >= 3)


def test_unknown_year_or_type_is_refused(small_company: Company) -> None:
    with pytest.raises(KeyError):
        write_sie(small_company, 99)
    with pytest.raises(ValueError):
        write_sie(small_company, 8, 5)
