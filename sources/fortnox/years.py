"""Which financial years a run must fetch: final years already loaded are never fetched again.

A year is *final* when its last day is on or before Fortnox's locked-period end date: nothing in
it can change any more. Once its SIE export was loaded while it was final, a scheduled run skips
it. Open years are fetched every run (their SIE is compared by sha256 and only re-loaded when it
changed). If a period is unlocked again, the year is open again and fetched again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True, slots=True)
class FinancialYear:
    """The part of a Fortnox financial year the loader plans with."""

    id: int
    from_date: date
    to_date: date

    @classmethod
    def from_api(cls, record: Mapping[str, Any]) -> FinancialYear:
        """From a `/3/financialyears` item."""
        return cls(
            id=int(record["Id"]),
            from_date=date.fromisoformat(record["FromDate"]),
            to_date=date.fromisoformat(record["ToDate"]),
        )


@dataclass(frozen=True, slots=True)
class YearPlan:
    """What a run does with one financial year's SIE export, and why."""

    financial_year: FinancialYear
    final: bool
    fetch: bool
    reason: str
    loaded_sha256: str | None
    loaded_books_digest: str | None = None


_GEN_RECORD = re.compile(rb"(?im)^[ \t]*#GEN\b[^\n]*\n?")


def books_digest(sie_export: bytes) -> str:
    """A sha256 of an SIE export without its `#GEN` line (the date the file was generated).

    Fortnox stamps every export with the day it was made, so the file's own sha256 changes
    daily although the books did not; this digest changes only when the books do, and an open
    year is re-loaded only then.
    """
    return hashlib.sha256(_GEN_RECORD.sub(b"", sie_export)).hexdigest()


def is_final(financial_year: FinancialYear, locked_through: date | None) -> bool:
    """True when every day of the year lies inside the locked period."""
    return locked_through is not None and financial_year.to_date <= locked_through


def plan_years(
    financial_years: Sequence[FinancialYear],
    locked_through: date | None,
    loaded: Mapping[str, Mapping[str, Any]],
    *,
    full_refresh: bool = False,
) -> list[YearPlan]:
    """Decide per year whether to fetch its SIE export.

    Args:
        financial_years: the company's years, any order.
        locked_through: Fortnox's locked-period end date, None when nothing is locked.
        loaded: resource state, financial-year id (as text) -> {"sha256", "books_digest",
            "final"} of the file last loaded for that year.
        full_refresh: fetch every year regardless of state.
    """
    plans: list[YearPlan] = []
    for financial_year in sorted(financial_years, key=lambda year: year.from_date):
        final = is_final(financial_year, locked_through)
        previous = loaded.get(str(financial_year.id))
        sha = previous.get("sha256") if previous else None
        digest = previous.get("books_digest") if previous else None
        if full_refresh:
            fetch, reason = True, "full refresh"
        elif previous is None:
            fetch, reason = True, "never loaded"
        elif final and previous.get("final"):
            fetch, reason = False, "final and already loaded"
        elif final:
            fetch, reason = True, "became final since last load"
        else:
            fetch, reason = True, "open year"
        plans.append(YearPlan(financial_year, final, fetch, reason, sha, digest))
    return plans
