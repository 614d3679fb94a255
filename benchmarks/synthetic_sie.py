"""A stand-in SIE 4 writer for the benchmark: Fortnox-shaped books of any size, no sandbox needed.

Used only when the sandbox's `generate_books`/`write_sie` are not importable. The file imitates a
Fortnox 3.60 export (CP437, CRLF, unquoted series and numbers, `""` transdat, project objects,
about 5 % #RTRANS/#BTRANS rows) and reconciles: IB + ΣTRANS = UB, ΣTRANS = RES.
"""

from __future__ import annotations

import random
from collections import defaultdict

_ACCOUNTS = {
    1510: "Kundfordringar",
    1930: "Företagskonto",
    2440: "Leverantörsskulder",
    2610: "Utgående moms 25 %",
    2640: "Ingående moms",
    3001: "Försäljning inom Sverige, 25 % moms",
    4010: "Inköp material och varor",
    5010: "Lokalhyra",
    6110: "Kontorsmateriel",
    6570: "Bankkostnader",
}
_SERIES = "ABCDEFGHIJKLMN"


def synthetic_sie(vouchers: int, *, seed: int = 1, year: int = 2025) -> bytes:
    """Build a balanced SIE 4E file with `vouchers` vouchers of four #TRANS rows each.

    Args:
        vouchers: number of #VER blocks (rows are about 4.2 per voucher, mirrors included).
        seed: random seed, so the same call gives the same bytes.
        year: the financial year (calendar year).

    Returns:
        The file as CP437 bytes with CRLF line endings.
    """
    rng = random.Random(seed)
    lines = [
        "#FLAGGA 0",
        "#FORMAT PC8",
        "#SIETYP 4",
        '#PROGRAM "Fortnox" 3.60.16',
        f"#GEN {year + 1}0115",
        "#FNR 123456",
        '#FNAMN "Benchmark Bokföring AB"',
        f"#RAR 0 {year}0101 {year}1231",
        f"#RAR -1 {year - 1}0101 {year - 1}1231",
        "#ORGNR 556677-8899",
        f"#OMFATTN {year}1231",
        "#KPTYP EUBAS97",
        '#DIM 1 "Kostnadsställe"',
        '#DIM 6 "Projekt"',
        '#OBJEKT 6 "P1040" "Ombyggnad"',
        '#OBJEKT 6 "8" "Mässa"',
    ]
    lines += [f'#KONTO {number} "{name}"' for number, name in _ACCOUNTS.items()]
    opening = {1930: 50_000_000, 2440: -50_000_000}
    movements: defaultdict[int, int] = defaultdict(int)
    body: list[str] = []
    per_series = max(1, vouchers // len(_SERIES))
    for index in range(vouchers):
        series = _SERIES[min(index // per_series, len(_SERIES) - 1)]
        number = index - _SERIES.index(series) * per_series + 1
        day = f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        net = rng.randint(100, 2_000_000)
        vat = net // 4
        expense = rng.choice((4010, 5010, 6110, 6570))
        rows = [(1930, -(net + vat)), (2640, vat), (expense, net // 2), (expense, net - net // 2)]
        body.append(f'#VER {series} {number} {day} "Leverantörsfaktura {index}" {day}')
        body.append("{")
        for row_index, (account, ore) in enumerate(rows):
            movements[account] += ore
            objects = '{6 "P1040"}' if row_index == 3 and index % 3 == 0 else "{}"
            amount = _kronor(ore)
            if index % 40 == 0 and row_index == 2:
                body.append(f'#BTRANS {account} {{}} {amount} "" "" 0 "Anna Andersson"')
                body.append(f'#RTRANS {account} {{}} {amount} "" "" 0 "Anna Andersson"')
            body.append(f'#TRANS {account} {objects} {amount} "" "" 0')
        body.append("}")
    for account in sorted(_ACCOUNTS):
        if account < 3000:
            lines.append(f"#IB 0 {account} {_kronor(opening.get(account, 0))} 0")
            lines.append(
                f"#UB 0 {account} {_kronor(opening.get(account, 0) + movements[account])} 0"
            )
        else:
            lines.append(f"#RES 0 {account} {_kronor(movements[account])} 0")
    lines.append("")
    lines += body
    return ("\r\n".join(lines) + "\r\n").encode("cp437")


def _kronor(ore: int) -> str:
    sign = "-" if ore < 0 else ""
    return f"{sign}{abs(ore) // 100}.{abs(ore) % 100:02d}"
