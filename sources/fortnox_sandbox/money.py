"""Exact money arithmetic for the sandbox: integer öre in, decimal strings out.

One rounding rule (half away from zero to whole öre) is used for every currency conversion, so
the ledger (1510 booked at the invoice rate) and the SEK subledger always agree to the öre.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def to_sek(amount: int, currency_rate: str) -> int:
    """Convert `amount` (1/100 of the document currency) to öre at `currency_rate` SEK/unit.

    Args:
        amount: cents of the document currency, negative for credit notes.
        currency_rate: SEK per unit as Fortnox writes it, e.g. "11.4215" or "1".

    Returns:
        öre, rounded half away from zero (Decimal ROUND_HALF_UP on the magnitude).
    """
    if currency_rate == "1":
        return amount
    return int((Decimal(amount) * Decimal(currency_rate)).quantize(Decimal(1), ROUND_HALF_UP))


def format_amount(ore: int) -> str:
    """Render öre as a decimal string with exactly two decimals ("-1234.50")."""
    sign = "-" if ore < 0 else ""
    whole, cents = divmod(abs(ore), 100)
    return f"{sign}{whole}.{cents:02d}"


def format_sie_amount(ore: int) -> str:
    """Render öre the way Fortnox writes SIE amounts: "29266", "-1500.5", "12.05".

    Decimals appear only when needed and trailing zeros are dropped, as in Fortnox 3.60 files.
    """
    sign = "-" if ore < 0 else ""
    whole, cents = divmod(abs(ore), 100)
    if cents == 0:
        return f"{sign}{whole}"
    if cents % 10 == 0:
        return f"{sign}{whole}.{cents // 10}"
    return f"{sign}{whole}.{cents:02d}"
