"""The BAS chart subset, voucher series, predefined accounts and dimensions of a sandbox company.

Account names follow Fortnox's own BAS texts (checked against a Fortnox SIE export) and the SRU
codes are the INK2 codes Fortnox attaches, so a SIE reader or an accountant sees familiar books.
"""

from __future__ import annotations

from typing import Final

from sources.fortnox_sandbox.model import Account, CostCenter, VoucherSeries

# Accounts the generator books on by name, so the code reads like the bookkeeping it does.
FIXED_ASSETS: Final = 1220
ACCUMULATED_DEPRECIATION: Final = 1229
RECEIVABLES: Final = 1510
TAX_ACCOUNT: Final = 1630
BANK: Final = 1930
SHARE_CAPITAL: Final = 2081
RETAINED_EARNINGS: Final = 2091
YEAR_RESULT_EQUITY: Final = 2099
LOAN: Final = 2350
PAYABLES: Final = 2440
INCOME_TAX_LIABILITY: Final = 2512
OUTPUT_VAT_25: Final = 2611
OUTPUT_VAT_12: Final = 2621
OUTPUT_VAT_6: Final = 2631
INPUT_VAT: Final = 2641
VAT_SETTLEMENT: Final = 2650
EMPLOYEE_TAX: Final = 2710
SOCIAL_FEES_LIABILITY: Final = 2730
OTHER_INCOME: Final = 3990
CURRENCY_GAIN: Final = 3960
BANK_FEES: Final = 6570
OTHER_EXTERNAL_COSTS: Final = 6990
WAGES_WORKERS: Final = 7010
WAGES_SALARIED: Final = 7210
SOCIAL_FEES: Final = 7510
DEPRECIATION: Final = 7832
CURRENCY_LOSS: Final = 7960
INTEREST_COSTS: Final = 8410
INCOME_TAX: Final = 8910
YEAR_RESULT: Final = 8999
# Handelsbolag and enskild firma: the owners' equity (BAS 2010-2029), no share capital.
OWNER_EQUITY: Final = 2010
OWNER_WITHDRAWALS: Final = 2013
OWNER_YEAR_RESULT: Final = 2019
PARTNER_2_EQUITY: Final = 2020
PARTNER_2_YEAR_RESULT: Final = 2029

# Legal forms the generator books for: aktiebolag, handelsbolag, enskild firma.
LEGAL_FORMS: Final = ("ab", "hb", "enskild")
# Accounts only an aktiebolag has: share capital, retained earnings, corporate income tax.
AKTIEBOLAG_ONLY: Final = frozenset({2081, 2091, 2098, 2099, 2512, 8910})
OWNER_ACCOUNTS: Final[dict[str, tuple[tuple[int, str, int], ...]]] = {
    "hb": (
        (2010, "Eget kapital, delägare 1", 7302),
        (2013, "Övriga egna uttag, delägare 1", 7302),
        (2019, "Årets resultat, delägare 1", 7302),
        (2020, "Eget kapital, delägare 2", 7302),
        (2029, "Årets resultat, delägare 2", 7302),
    ),
    "enskild": (
        (2010, "Eget kapital", 7302),
        (2013, "Övriga egna uttag", 7302),
        (2019, "Årets resultat", 7302),
    ),
}

OUTPUT_VAT_BY_RATE: Final[dict[int, int]] = {
    25: OUTPUT_VAT_25,
    12: OUTPUT_VAT_12,
    6: OUTPUT_VAT_6,
}

# (number, Fortnox/BAS name, SRU code). Names keep Fortnox's spelling, double space included.
BAS_ACCOUNTS: Final[tuple[tuple[int, str, int], ...]] = (
    (1220, "Inventarier och verktyg", 7215),
    (1229, "Ackumulerade avskrivningar på inventarier och verktyg", 7215),
    (1250, "Datorer", 7215),
    (1259, "Ackumulerade avskrivningar på datorer", 7215),
    (1510, "Kundfordringar", 7251),
    (1630, "Avräkning för skatter och avgifter (skattekonto)", 7261),
    (1790, "Övriga förutbetalda kostnader och upplupna intäkter", 7263),
    (1910, "Kassa", 7281),
    (1930, "Checkräkningskonto", 7281),
    (2081, "Aktiekapital", 7301),
    (2091, "Balanserad vinst eller förlust", 7302),
    (2098, "Vinst eller förlust från föregående år", 7302),
    (2099, "Årets resultat", 7302),
    (2350, "Andra långfristiga skulder till kreditinstitut", 7352),
    (2440, "Leverantörsskulder", 7365),
    (2512, "Beräknad inkomstskatt", 7368),
    (2611, "Utgående moms på försäljning inom Sverige, 25 %", 7369),
    (2621, "Utgående moms på försäljning inom Sverige, 12 %", 7369),
    (2631, "Utgående moms på försäljning inom Sverige, 6 %", 7369),
    (2641, "Debiterad ingående moms", 7369),
    (2650, "Redovisningskonto för moms", 7369),
    (2710, "Personalskatt", 7369),
    (2730, "Lagstadgade sociala avgifter och  särskild löneskatt", 7369),
    (2990, "Övriga upplupna kostnader och förutbetalda intäkter", 7370),
    (3001, "Försäljning inom Sverige, 25 % moms", 7410),
    (3002, "Försäljning inom Sverige, 12 % moms", 7410),
    (3003, "Försäljning inom Sverige, 6 % moms", 7410),
    (3041, "Försäljning tjänst inom Sverige, 25 % moms", 7410),
    (3308, "Försäljning tjänster till annat EU-land", 7410),
    (3740, "Öres- och kronutjämning", 7410),
    (3960, "Valutakursvinster på fordringar och skulder av rörelsekaraktär", 7413),
    (3990, "Övriga ersättningar och intäkter", 7413),
    (4010, "Inköp av material och varor", 7511),
    (5010, "Lokalhyra", 7513),
    (5060, "Städning och renhållning", 7513),
    (5410, "Förbrukningsinventarier", 7513),
    (5420, "Programvaror", 7513),
    (5460, "Förbrukningsmaterial", 7513),
    (5611, "Drivmedel för personbilar", 7513),
    (5800, "Resekostnader", 7513),
    (5910, "Annonsering", 7513),
    (6071, "Representation, avdragsgill", 7513),
    (6110, "Kontorsmateriel", 7513),
    (6212, "Mobiltelefon", 7513),
    (6230, "Datakommunikation", 7513),
    (6250, "Postbefordran", 7513),
    (6310, "Företagsförsäkringar", 7513),
    (6420, "Ersättningar till revisor", 7513),
    (6530, "Redovisningstjänster", 7513),
    (6540, "IT-tjänster", 7513),
    (6570, "Bankkostnader", 7513),
    (6990, "Övriga externa kostnader", 7513),
    (7010, "Löner till kollektivanställda", 7514),
    (7210, "Löner till tjänstemän", 7514),
    (7510, "Lagstadgade sociala avgifter", 7514),
    (7690, "Övriga personalkostnader", 7514),
    (7832, "Avskrivningar på inventarier och verktyg", 7515),
    (7960, "Valutakursförluster på fordringar och skulder av rörelsekaraktär", 7513),
    (8410, "Räntekostnader för långfristiga skulder", 7522),
    (8910, "Skatt som belastar årets resultat", 7528),
    (8999, "Årets resultat", 7450),
)

# Fortnox's predefined-account names (as GET /3/predefinedaccounts returns them on a real
# company), plus the descriptive aliases the rest of this project was specified against.
PREDEFINED_ACCOUNTS: Final[dict[str, int]] = {
    "CUSTCLAIM": RECEIVABLES,
    "SUPDEBT": PAYABLES,
    "BG": BANK,
    "CASH": 1910,
    "CASHBYCARD": BANK,
    "OUTVAT_MP1": OUTPUT_VAT_25,
    "OUTVAT_MP2": OUTPUT_VAT_12,
    "OUTVAT_MP3": OUTPUT_VAT_6,
    "INVAT": INPUT_VAT,
    "SALES": 3001,
    "SALES2": 3041,
    "SALESEUREV2": 3308,
    "CURRENCYWIN": CURRENCY_GAIN,
    "CURRENCYLOSS": CURRENCY_LOSS,
    "ROUNDOFF": 3740,
    "PURCASE": 4010,
    "ACCRINVOICE": 2990,
    "ACCRSINVOICE": 1790,
    # Aliases (not Fortnox names) kept for readers that look these up by meaning.
    "CUSTOMERRECEIVABLES": RECEIVABLES,
    "SUPPLIERDEBT": PAYABLES,
    "BANK": BANK,
    "CURRENCY_PROFIT": CURRENCY_GAIN,
    "CURRENCY_LOSS": CURRENCY_LOSS,
}

VOUCHER_SERIES: Final[tuple[tuple[str, str, bool], ...]] = (
    ("A", "Redovisning", True),
    ("B", "Leverantörsfakturor", False),
    ("C", "Kundfakturor", False),
    ("D", "Kundinbetalningar", False),
    ("E", "Leverantörsutbetalningar", False),
)

# Cost centres (SIE dimension 1): code, name, and whether staff there are on hourly wages.
COST_CENTERS: Final[tuple[tuple[str, str, bool], ...]] = (
    ("ADM", "Administration och ekonomi", False),
    ("SÄLJ", "Försäljning", False),
    ("KONS", "Konsultavdelningen", False),
    ("PROD", "Produktion och lager", True),
    ("UTV", "Utveckling", False),
)


def build_accounts(legal_form: str = "ab") -> dict[int, Account]:
    """Return the chart as Fortnox serves it: one `Account` per number, SRU code attached.

    An aktiebolag has share capital (2081), retained earnings (2091-2099) and corporate income
    tax (2512, 8910); a handelsbolag or an enskild firma has the owners' capital accounts
    (2010-2029) instead, and no corporate tax (its owners are taxed privately).
    """
    accounts = [
        (number, name, sru)
        for number, name, sru in BAS_ACCOUNTS
        if legal_form == "ab" or number not in AKTIEBOLAG_ONLY
    ]
    accounts.extend(OWNER_ACCOUNTS.get(legal_form, ()))
    return {
        number: Account(number=number, description=name, sru=sru)
        for number, name, sru in sorted(accounts)
    }


def build_voucher_series() -> dict[str, VoucherSeries]:
    """Return the five voucher series the generator books in (A manual, B-E automatic)."""
    return {
        code: VoucherSeries(code=code, description=description, manual=manual)
        for code, description, manual in VOUCHER_SERIES
    }


def build_cost_centers() -> dict[str, CostCenter]:
    """Return the company's cost centres keyed by code (codes are strings, as in Fortnox)."""
    return {code: CostCenter(code=code, description=name) for code, name, _hourly in COST_CENTERS}


def is_balance_account(account: int) -> bool:
    """Tell balance-sheet accounts (BAS 1xxx-2xxx, carried over as IB) from P&L accounts."""
    return account < 3000
