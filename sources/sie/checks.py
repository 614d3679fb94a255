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


@dataclass(frozen=True)
class Finding:
    """One failed check: what was expected, what the file says, and how much it matters."""

    check: str
    subject: str
    expected: Decimal | None
    actual: Decimal | None
    severity: str
    message: str


def voucher_balance_findings(rows: pl.DataFrame) -> list[Finding]:
    """Vouchers whose #TRANS amounts do not sum to exactly zero.

    Args:
        rows: voucher rows with `voucher_seq`, `series`, `voucher_number`, `row_type`, `amount`
            (polars Decimal).

    Returns:
        One error finding per unbalanced voucher, subject `series:number`, in file order.
    """
    trans = rows.filter(pl.col("row_type") == "TRANS")
    if trans.is_empty():
        return []
    sums = (
        trans.group_by("voucher_seq", maintain_order=True)
        .agg(
            pl.col("series").first(),
            pl.col("voucher_number").first(),
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
        )
        for series, number, total in sums.select("series", "voucher_number", "total").iter_rows()
    ]


def reconciliation_findings(
    rows: pl.DataFrame, balances: pl.DataFrame, account_types: dict[int, str]
) -> list[Finding]:
    """Accounts whose year-0 movements do not reach the closing balance or the result.

    Checked only when the file carries the balances to check against (4I import files and
    subset exports carry none): IB + ΣTRANS = UB when any `#UB 0` exists, ΣTRANS = RES when any
    `#RES 0` exists; a file with `#UB 0` but no `#RES` at all gets one `res_missing` note.

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
    if not has_ub and not has_res:
        return []
    combined = (
        movements.join(per_account("IB"), on="account_number", how="full", coalesce=True)
        .join(per_account("UB"), on="account_number", how="full", coalesce=True)
        .join(per_account("RES"), on="account_number", how="full", coalesce=True)
        .sort("account_number")
    )
    findings: list[Finding] = []
    missing_res = False
    for account, trans, ib, ub, res in combined.select(
        "account_number", "trans", "ib", "ub", "res"
    ).iter_rows():
        movement = Decimal(trans or 0)
        if _is_balance_account(account, account_types):
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
        elif has_res:
            if movement != Decimal(res or 0):
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
        elif movement:
            missing_res = True
    if missing_res:
        findings.append(
            Finding(
                check="res_missing",
                subject="*",
                expected=None,
                actual=None,
                severity=INFO,
                message="the file has no #RES 0 records: result accounts cannot be reconciled",
            )
        )
    return findings


def _is_balance_account(account: int, account_types: dict[int, str]) -> bool:
    declared = account_types.get(account)
    if declared:
        return declared.upper() in _BALANCE_TYPES
    return account < _FIRST_RESULT_ACCOUNT
