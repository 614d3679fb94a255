"""Bookkeeping anomalies beyond the three invariants, each naming its voucher, account or line.

None of these stops a file from loading; each is a row of `sie_findings` an auditor can act on:
a voucher number used twice in a series, a voucher dated outside the financial year, the same
balance record given twice, accounts used but never declared, and account numbers that are
not plain numbers (kept exactly as written, see `tables.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import polars as pl

from sources.sie.checks import INFO, WARNING, Finding


def anomaly_findings(
    vouchers: pl.DataFrame,
    rows: pl.DataFrame,
    balances: pl.DataFrame,
    *,
    declared: set[str],
    declared_lines: Mapping[str, int],
    year0: tuple[date | None, date | None] | None,
) -> list[Finding]:
    """All anomaly findings of one file, in a stable order (by kind, then line)."""
    return [
        *repeated_voucher_numbers(vouchers),
        *vouchers_outside_year(vouchers, year0),
        *repeated_balance_records(balances),
        *account_findings(rows, balances, declared, declared_lines),
    ]


def _subject(series: str | None, number: int | None) -> str:
    return f"{series or ''}:{'' if number is None else number}"


def repeated_voucher_numbers(vouchers: pl.DataFrame) -> list[Finding]:
    """Each #VER whose series and number an earlier #VER already used."""
    numbered = vouchers.filter(pl.col("voucher_number").is_not_null())
    repeats = numbered.with_columns(
        first_line=pl.col("line_no").min().over("series", "voucher_number")
    ).filter(pl.col("line_no") != pl.col("first_line"))
    return [
        Finding(
            "voucher_number_repeated",
            _subject(series, number),
            None,
            None,
            WARNING,
            f"voucher {_subject(series, number)} is given again (first at line {first})",
            line_no,
        )
        for series, number, line_no, first in repeats.select(
            "series", "voucher_number", "line_no", "first_line"
        ).iter_rows()
    ]


def vouchers_outside_year(
    vouchers: pl.DataFrame, year0: tuple[date | None, date | None] | None
) -> list[Finding]:
    """Each voucher dated outside #RAR 0 (unchecked when the file declares no whole year)."""
    if year0 is None or year0[0] is None or year0[1] is None:
        return []
    start, end = year0
    outside = vouchers.filter((pl.col("voucher_date") < start) | (pl.col("voucher_date") > end))
    return [
        Finding(
            "voucher_outside_year",
            _subject(series, number),
            None,
            None,
            WARNING,
            f"voucher {_subject(series, number)} is dated {voucher_date.isoformat()}, outside "
            f"the financial year {start.isoformat()}..{end.isoformat()} (#RAR 0)",
            line_no,
        )
        for series, number, voucher_date, line_no in outside.select(
            "series", "voucher_number", "voucher_date", "line_no"
        ).iter_rows()
    ]


def repeated_balance_records(balances: pl.DataFrame) -> list[Finding]:
    """Each balance record that repeats an earlier one's record, year, period, account and
    objects: the file states one figure twice (both rows are kept; sums would count both)."""
    records = balances.filter(pl.col("object_no") <= 1)
    key = ("record", "year_index", "period", "account_number", "objects_key")
    repeats = records.with_columns(
        first_line=pl.col("line_no").min().over(key),
        first_amount=pl.col("amount").first().over(key),
    ).filter(pl.col("line_no") != pl.col("first_line"))
    findings = []
    for (
        record,
        year,
        period,
        account,
        objects,
        line_no,
        first,
        amount,
        first_amount,
    ) in repeats.select(*key, "line_no", "first_line", "amount", "first_amount").iter_rows():
        what = " ".join(
            str(part)
            for part in (f"#{record}", year, period, account, objects and f"{{{objects}}}")
            if part not in (None, "")
        )
        findings.append(
            Finding(
                "balance_repeated",
                account,
                first_amount,
                amount,
                WARNING,
                f"{what} is given again (first at line {first}): a sum would count it twice",
                line_no,
            )
        )
    return findings


def account_findings(
    rows: pl.DataFrame,
    balances: pl.DataFrame,
    declared: set[str],
    declared_lines: Mapping[str, int],
) -> list[Finding]:
    """Accounts used but not declared, not plain numbers, or equal to another as numbers."""
    first_use = (
        pl.concat(
            [
                rows.select("account_number", "line_no"),
                balances.select("account_number", "line_no"),
            ]
        )
        .group_by("account_number")
        .agg(pl.col("line_no").min())
    )
    used = dict(first_use.iter_rows())
    findings = [
        Finding(
            "account_not_declared",
            account,
            None,
            None,
            INFO,
            f"account {account} is used but not declared by #KONTO",
            line_no,
        )
        for account, line_no in sorted(used.items(), key=lambda item: item[1])
        if account not in declared
    ]
    lines = {**used, **declared_lines}
    by_value: dict[int, list[str]] = {}
    for account in sorted(set(lines), key=lambda a: lines[a]):
        if not (account.isascii() and account.isdigit()):
            findings.append(
                Finding(
                    "account_not_numeric",
                    account,
                    None,
                    None,
                    WARNING,
                    f"account {account!r} is not a number: loaded as written; it has no place "
                    "in the BAS number ranges",
                    lines[account],
                )
            )
            continue
        by_value.setdefault(int(account), []).append(account)
        if account.startswith("0") and len(account) > 1:
            findings.append(
                Finding(
                    "account_leading_zero",
                    account,
                    None,
                    None,
                    INFO,
                    f"account {account} starts with 0: kept as written, not as {int(account)}",
                    lines[account],
                )
            )
    for spellings in by_value.values():
        for account in spellings[1:]:
            findings.append(
                Finding(
                    "accounts_equal_as_numbers",
                    account,
                    None,
                    None,
                    WARNING,
                    f"accounts {', '.join(spellings)} are different accounts with the same "
                    "numeric value: they are kept apart",
                    lines[account],
                )
            )
    return findings
