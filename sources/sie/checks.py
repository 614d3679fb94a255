"""Bookkeeping checks on a parsed SIE file: findings for an auditor, never reasons to reject it.

Three invariants (sie4.md §1.5): each voucher's #TRANS rows sum to 0; per balance account
IB(0) + ΣTRANS = UB(0); per result account ΣTRANS = RES(0). Balances use #TRANS rows only
(RTRANS mirrors included as their #TRANS twins); #RTRANS and #BTRANS are audit rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import polars as pl

ERROR = "error"
WARNING = "warning"
INFO = "info"

# BAS: accounts 1xxx-2xxx are balance accounts (assets, equity, liabilities), 3xxx+ result accounts.
_FIRST_RESULT_ACCOUNT = 3000
_BALANCE_TYPES = ("T", "S")
_RESULT_TYPES = ("K", "I")


@dataclass(frozen=True)
class Finding:
    """One failed check: what was expected, what the file says, and how much it matters."""

    check: str
    subject: str
    expected: Decimal | None
    actual: Decimal | None
    severity: str
    message: str
    line_no: int | None = None


NOT_CHECKED = "not_checked"
"""The check name of a finding that says an invariant could not run (its subject names it)."""


def not_checked(invariant: str, severity: str, why: str) -> Finding:
    """A finding that an invariant could not be checked: never read as "it holds"."""
    return Finding(NOT_CHECKED, invariant, None, None, severity, f"could not be checked: {why}")


def voucher_balance_findings(rows: pl.DataFrame) -> list[Finding]:
    """Vouchers whose #TRANS amounts do not sum to exactly zero.

    Args:
        rows: voucher rows with `voucher_seq`, `series`, `voucher_number`, `row_type`, `amount`
            (polars Decimal).

    Returns:
        One error finding per unbalanced voucher, subject `series:number` and the #VER line,
        in file order.
    """
    trans = rows.filter(pl.col("row_type") == "TRANS")
    if trans.is_empty():
        return []
    sums = (
        trans.group_by("voucher_seq", maintain_order=True)
        .agg(
            pl.col("series").first(),
            pl.col("voucher_number").first(),
            pl.col("voucher_line_no").first(),
            pl.col("amount").sum().alias("total"),
        )
        .filter(pl.col("total") != 0)
    )
    return [
        Finding(
            check="voucher_balance",
            subject=f"{series or ''}:{'' if number is None else number}",
            expected=Decimal("0.00"),
            actual=Decimal(total),
            severity=ERROR,
            message="the voucher's #TRANS rows do not sum to 0",
            line_no=line_no,
        )
        for series, number, line_no, total in sums.select(
            "series", "voucher_number", "voucher_line_no", "total"
        ).iter_rows()
    ]


def reconciliation_findings(
    rows: pl.DataFrame, balances: pl.DataFrame, account_types: dict[str, str]
) -> list[Finding]:
    """Accounts whose year-0 movements do not reach the closing balance or the result.

    Checked only when the file carries the balances to check against (4I import files and
    subset exports carry none): IB + ΣTRANS = UB when any `#UB 0` exists, ΣTRANS = RES when any
    `#RES 0` exists. Where an input is absent the invariant gets a `not_checked` finding
    (warning when the file has other balances, so the absence is suspicious; info for a file
    with no balances at all, such as a 4I transaction file); so does an account with
    movements whose kind (balance or result) cannot be told (no #KTYP, not a number).

    Args:
        rows: voucher rows with `row_type`, `account_number`, `amount`.
        balances: balance records with `record`, `year_index`, `account_number`, `dimension`,
            `amount` (account-level rows have a null dimension).
        account_types: `#KTYP` per account (T, S, K, I), which overrides the BAS number ranges.

    Returns:
        Warning findings, one per account, ordered by account number.
    """
    movements = (
        rows.filter(pl.col("row_type") == "TRANS")
        .group_by("account_number")
        .agg(pl.col("amount").sum().alias("trans"))
    )
    year0 = balances.filter((pl.col("year_index") == 0) & pl.col("dimension").is_null())

    def per_account(record: str) -> pl.DataFrame:
        return (
            year0.filter(pl.col("record") == record)
            .group_by("account_number")
            .agg(pl.col("amount").sum().alias(record.lower()))
        )

    has_ub = not per_account("UB").is_empty()
    has_res = not per_account("RES").is_empty()
    absent_severity = WARNING if not balances.is_empty() else INFO
    findings: list[Finding] = []
    if not has_ub:
        findings.append(
            not_checked("ib_plus_trans_equals_ub", absent_severity, "the file has no #UB 0 records")
        )
    if not has_res:
        findings.append(
            not_checked("trans_equals_res", absent_severity, "the file has no #RES 0 records")
        )
    if not has_ub and not has_res:
        return findings
    combined = (
        movements.join(per_account("IB"), on="account_number", how="full", coalesce=True)
        .join(per_account("UB"), on="account_number", how="full", coalesce=True)
        .join(per_account("RES"), on="account_number", how="full", coalesce=True)
        .sort("account_number")
    )
    for account, trans, ib, ub, res in combined.select(
        "account_number", "trans", "ib", "ub", "res"
    ).iter_rows():
        movement = Decimal(trans or 0)
        kind = _account_kind(account, account_types)
        if kind is None:
            if movement or ib or ub or res:
                findings.append(
                    Finding(
                        NOT_CHECKED,
                        account,
                        None,
                        None,
                        WARNING,
                        "could not be checked: the account has no #KTYP and is not a number, "
                        "so it is neither a balance nor a result account",
                    )
                )
        elif kind == "balance":
            if has_ub and Decimal(ib or 0) + movement != Decimal(ub or 0):
                findings.append(
                    Finding(
                        check="ib_plus_trans_equals_ub",
                        subject=str(account),
                        expected=Decimal(ub or 0),
                        actual=Decimal(ib or 0) + movement,
                        severity=WARNING,
                        message="IB(0) + ΣTRANS differs from UB(0)",
                    )
                )
        elif has_res and movement != Decimal(res or 0):  # a result account
            findings.append(
                Finding(
                    check="trans_equals_res",
                    subject=str(account),
                    expected=Decimal(res or 0),
                    actual=movement,
                    severity=WARNING,
                    message="ΣTRANS differs from RES(0)",
                )
            )
    return findings


def _account_kind(account: str, account_types: dict[str, str]) -> str | None:
    """`balance` or `result` from #KTYP, else from the BAS number range; None when unknown."""
    declared = (account_types.get(account) or "").upper()
    if declared in _BALANCE_TYPES:
        return "balance"
    if declared in _RESULT_TYPES:
        return "result"
    if not account.isascii() or not account.isdigit():
        return None
    return "balance" if int(account) < _FIRST_RESULT_ACCOUNT else "result"


def opening_balance_findings(
    balances: pl.DataFrame, account_types: dict[str, str]
) -> list[Finding]:
    """Balance accounts whose opening balance (#IB 0) differs from last year's closing (#UB -1).

    Checked only when the file carries both. A difference is often a real closing entry (a
    result moved to equity, VAT settled in the new year), so it is information for an auditor,
    not an error; but it also catches a prior-year figure changed after export.

    Args:
        balances: account-level balance records (`record`, `year_index`, `account_number`,
            `amount`, `line_no`).
        account_types: `#KTYP` per account.
    """

    def amounts(record: str, year: int) -> dict[str, tuple[Decimal, int]]:
        rows = balances.filter((pl.col("record") == record) & (pl.col("year_index") == year))
        return {
            account: (Decimal(amount), line_no)
            for account, amount, line_no in rows.group_by("account_number", maintain_order=True)
            .agg(pl.col("amount").sum(), pl.col("line_no").first())
            .iter_rows()
        }

    opening, prior_closing = amounts("IB", 0), amounts("UB", -1)
    if not opening or not prior_closing:
        return []
    findings = []
    for account in sorted(set(opening) | set(prior_closing)):
        if _account_kind(account, account_types) != "balance":
            continue
        ib, ib_line = opening.get(account, (Decimal("0.00"), None))
        ub, ub_line = prior_closing.get(account, (Decimal("0.00"), None))
        if ib != ub:
            findings.append(
                Finding(
                    "opening_equals_prior_closing",
                    account,
                    ub,
                    ib,
                    INFO,
                    "IB(0) differs from UB(-1): last year's closing balance is not this "
                    "year's opening balance",
                    ib_line if ib_line is not None else ub_line,
                )
            )
    return findings
