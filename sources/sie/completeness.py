"""Is the file whole? Findings for what a cut or incomplete file looks like.

A SIE file cut at a line boundary is still well-formed, so the structure checks alone accept
it; and a file cut mid-line may end in a shorter, valid-looking number (`#IB 0 1920 68` from
`68299.70`). Neither may load as "no findings": the last line, the records every file must
carry, and the sections its #SIETYP promises are checked here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import polars as pl

from sources.sie.checks import ERROR, INFO, WARNING, Finding
from sources.sie.fastpath import BLANK, CLOSE, OPEN

VOUCHER_SIE_TYPE = 4
# Records every SIE file must carry, whatever its type (the specification's "obligatorisk").
MANDATORY_LABELS = ("#FLAGGA", "#PROGRAM", "#FORMAT", "#GEN", "#SIETYP", "#FNAMN")
BALANCE_LABELS = ("#IB", "#UB", "#RES", "#OIB", "#OUB", "#PSALDO", "#PBUDGET")


@dataclass(frozen=True)
class FileLayout:
    """How the file ends: whether with a line break, and its last non-blank line."""

    ends_with_line_break: bool
    last_line_no: int
    last_line_kind: int
    last_line_label: str


def file_layout(text: str, lines: pl.DataFrame) -> FileLayout:
    """Where the file ends (`lines` is `fastpath.split_lines(text)`)."""
    last = lines.select("line_no", "kind").filter(pl.col("kind") != BLANK).tail(1)
    line_no, kind = (last.item(0, "line_no"), last.item(0, "kind")) if last.height else (1, BLANK)
    line = lines.get_column("line")[line_no - 1] if last.height else ""
    return FileLayout(
        ends_with_line_break=text.endswith("\n"),
        last_line_no=line_no,
        last_line_kind=kind,
        last_line_label=line.strip().split(maxsplit=1)[0].upper() if line.strip() else "",
    )


def completeness_findings(
    layout: FileLayout,
    *,
    sie_type: int | None,
    labels: Iterable[str],
    has_vouchers: bool,
    has_balances: bool,
    rar_lines: list[tuple[int, int, date | None, date | None]],
) -> list[Finding]:
    """Findings for a missing final line break, missing records and sections, odd #RAR.

    Args:
        layout: how the file ends.
        sie_type: #SIETYP (None when absent: read as type 1).
        labels: the upper-cased labels of every record in the file that is not a #TRANS-family
            or #VER line.
        has_vouchers: whether the file has any #VER.
        has_balances: whether it has any balance record.
        rar_lines: (line, year index, start, end) of each #RAR in file order.
    """
    seen = set(labels) | ({"#VER"} if has_vouchers else set())
    findings: list[Finding] = []
    if not layout.ends_with_line_break:
        # A brace or a label alone cannot be cut short; a record with values can.
        cut_possible = layout.last_line_kind not in (OPEN, CLOSE)
        findings.append(
            Finding(
                "final_line_break",
                str(layout.last_line_no),
                None,
                None,
                ERROR if cut_possible else WARNING,
                f"the file ends without a line break: its last line ({layout.last_line_label}) "
                + ("may be cut short (a truncated file?)" if cut_possible else "is complete"),
                layout.last_line_no,
            )
        )
    findings.extend(
        Finding(
            "missing_record",
            label,
            None,
            None,
            INFO,
            f"the file has no {label} record, which every SIE file must carry",
        )
        for label in MANDATORY_LABELS
        if label not in seen
    )
    effective_type = sie_type or 1
    if has_vouchers and effective_type < VOUCHER_SIE_TYPE:
        findings.append(
            Finding(
                "sie_type_mismatch",
                str(effective_type),
                None,
                None,
                WARNING,
                f"#SIETYP {effective_type} promises no vouchers but the file has #VER records "
                "(loaded, and checked as a type 4 file)",
            )
        )
    if effective_type >= VOUCHER_SIE_TYPE and not has_vouchers:
        findings.append(_missing_section("#VER", f"#SIETYP {effective_type} promises vouchers"))
    if effective_type < VOUCHER_SIE_TYPE and not has_balances:
        findings.append(
            _missing_section("#IB/#UB/#RES", f"#SIETYP {effective_type} promises year balances")
        )
    if has_balances:
        declared_years = {index for _, index, _, _ in rar_lines}
        if 0 not in declared_years:
            findings.append(_missing_section("#RAR 0", "balances need the year they belong to"))
        if "#KONTO" not in seen:
            findings.append(_missing_section("#KONTO", "an export with balances has a chart"))
    findings.extend(_financial_year_findings(rar_lines))
    return findings


def _missing_section(label: str, why: str) -> Finding:
    return Finding(
        "missing_section",
        label,
        None,
        None,
        WARNING,
        f"the file has no {label} records: {why} (a truncated or partial file?)",
    )


def _financial_year_findings(
    rar_lines: list[tuple[int, int, date | None, date | None]],
) -> list[Finding]:
    findings: list[Finding] = []
    first_line: dict[int, int] = {}
    for line_no, index, start, end in rar_lines:
        if index in first_line:
            findings.append(
                Finding(
                    "financial_year_repeated",
                    f"#RAR {index}",
                    None,
                    None,
                    WARNING,
                    f"#RAR {index} is given again (first at line {first_line[index]}): "
                    "the first is used",
                    line_no,
                )
            )
            continue
        first_line[index] = line_no
        if start is not None and end is not None and end < start:
            findings.append(
                Finding(
                    "financial_year_reversed",
                    f"#RAR {index}",
                    None,
                    None,
                    WARNING,
                    f"#RAR {index} ends ({end.isoformat()}) before it starts ({start.isoformat()})",
                    line_no,
                )
            )
    return findings
