"""SIE export of a sandbox company's financial year, byte for byte in the style of Fortnox 3.60.

CP437 bytes, CRLF line ends, the Fortnox header, #KONTO/#SRU, dimensions and objects, #IB/#UB
and #RES for years 0 and -1, #PSALDO per period (types 2-4) and, for type 4, every voucher with
its #TRANS rows, struck rows as #BTRANS and added rows as #RTRANS followed by their #TRANS twin.
"""

from __future__ import annotations

from datetime import date

from sources.fortnox_sandbox import chart
from sources.fortnox_sandbox.business import closing_balances, year_movements
from sources.fortnox_sandbox.collector import collector_paused
from sources.fortnox_sandbox.model import Company, FinancialYear
from sources.fortnox_sandbox.money import format_sie_amount

PROGRAM_LINE = '#PROGRAM "Fortnox" 3.60.16'


def quote(text: str) -> str:
    """Quote a SIE text field; a `"` inside is written `\\"` (the format's only escape)."""
    return '"' + text.replace('"', '\\"') + '"'


def _ymd(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _objects(cost_center: str, project: str) -> str:
    """The object list of a row: `{}`, `{1 "ADM"}`, `{6 "1001"}` or both."""
    if not cost_center and not project:
        return "{}"
    parts = []
    if cost_center:
        parts.append(f"1 {quote(cost_center)}")
    if project:
        parts.append(f"6 {quote(project)}")
    return "{" + " ".join(parts) + "}"


def _previous_year(company: Company, financial_year: FinancialYear) -> FinancialYear | None:
    years = sorted(company.financial_years, key=lambda year: year.from_date)
    position = years.index(financial_year)
    return years[position - 1] if position > 0 else None


def _balance_lines(
    company: Company, financial_year: FinancialYear, year_index: int, out: list[str]
) -> None:
    """#IB, #UB (balance accounts) and #RES (P&L accounts) of one year, zero amounts left out."""
    opening = company.opening_balances.get(financial_year.id, {})
    closing = closing_balances(company, financial_year.id)
    for account in sorted(opening):
        if chart.is_balance_account(account) and opening[account]:
            out.append(f"#IB {year_index} {account} {format_sie_amount(opening[account])}")
    for account in sorted(closing):
        amount = closing[account]
        if chart.is_balance_account(account) and amount:
            out.append(f"#UB {year_index} {account} {format_sie_amount(amount)}")
    for account in sorted(closing):
        amount = closing[account]
        if not chart.is_balance_account(account) and amount:
            out.append(f"#RES {year_index} {account} {format_sie_amount(amount)}")


def _period_lines(
    company: Company, financial_year: FinancialYear, year_index: int, out: list[str]
) -> None:
    """#PSALDO: each period's change per account (`{}`) and per project (`{6 "P"}`)."""
    per_account: dict[tuple[str, int], int] = {}
    per_project: dict[tuple[str, int, str], int] = {}
    for voucher in company.vouchers.get(financial_year.id, ()):
        day = voucher.transaction_date
        period = f"{day.year:04d}{day.month:02d}"
        for row in voucher.rows:
            if row.removed:
                continue
            amount = row.debit - row.credit
            key = (period, row.account)
            per_account[key] = per_account.get(key, 0) + amount
            if row.project:
                project_key = (period, row.account, row.project)
                per_project[project_key] = per_project.get(project_key, 0) + amount
    lines: list[tuple[str, int, str, str]] = []
    for (period, account), amount in per_account.items():
        if amount:
            lines.append((period, account, "", f"{{}} {format_sie_amount(amount)}"))
    for (period, account, project), amount in per_project.items():
        if amount:
            lines.append(
                (period, account, project, f"{{6 {quote(project)}}} {format_sie_amount(amount)}")
            )
    lines.sort()
    out.extend(
        f"#PSALDO {year_index} {period} {account} {tail} 0"
        for period, account, _project, tail in lines
    )


def _voucher_lines(company: Company, financial_year: FinancialYear, out: list[str]) -> None:
    """Every voucher of the year in series, number order, in Fortnox's row syntax."""
    vouchers = sorted(
        company.vouchers.get(financial_year.id, ()), key=lambda v: (v.series, v.number)
    )
    append = out.append
    amount_text = format_sie_amount
    objects_cache: dict[tuple[str, str], str] = {}
    dates: dict[date, str] = {}
    for voucher in vouchers:
        transaction_date = dates.get(voucher.transaction_date)
        if transaction_date is None:
            transaction_date = dates[voucher.transaction_date] = _ymd(voucher.transaction_date)
        registration_date = dates.get(voucher.registration_date)
        if registration_date is None:
            registration_date = dates[voucher.registration_date] = _ymd(voucher.registration_date)
        append(
            f"#VER {voucher.series} {voucher.number} {transaction_date} "
            f"{quote(voucher.description)} {registration_date}\r\n{{"
        )
        for row in voucher.rows:
            if row.cost_center or row.project:
                key = (row.cost_center, row.project)
                objects = objects_cache.get(key)
                if objects is None:
                    objects = objects_cache[key] = _objects(*key)
            else:
                objects = "{}"
            text = quote(row.description) if row.description else '""'
            body = f'{row.account} {objects} {amount_text(row.debit - row.credit)} "" {text} 0'
            if row.removed:
                append(f"#BTRANS {body} {quote(row.changed_by)}")
            elif row.added_later:
                append(f"#RTRANS {body} {quote(row.changed_by)}\r\n#TRANS {body}")
            else:
                append(f"#TRANS {body}")
        append("}")


def write_sie(company: Company, financial_year_id: int, sie_type: int = 4) -> bytes:
    """Export one financial year as a SIE file of type 1-4, as Fortnox 3.60 writes it.

    Args:
        company: the books to export.
        financial_year_id: the Fortnox financial year Id (year 0 of the file).
        sie_type: 1 (balances), 2 (+ periods), 3 (+ objects), or 4 (+ vouchers).

    Returns:
        The file as CP437 bytes with CRLF line ends. `#GEN` is the business date, never the
        wall clock, so the same books always give the same bytes.

    Raises:
        KeyError: unknown financial year id.
        ValueError: sie_type outside 1-4.
    """
    if sie_type not in (1, 2, 3, 4):
        raise ValueError(f"SIE type must be 1-4, got {sie_type}")
    with collector_paused():
        return _write(company, financial_year_id, sie_type)


def _write(company: Company, financial_year_id: int, sie_type: int) -> bytes:
    """`write_sie` without the argument check."""
    by_id = {year.id: year for year in company.financial_years}
    financial_year = by_id[financial_year_id]
    previous = _previous_year(company, financial_year)
    address_line = " ".join(
        quote(value) for value in ("", company.address, f"{company.zip_code} {company.city}", "")
    )
    out = [
        "#FLAGGA 0",
        "#FORMAT PC8",
        f"#SIETYP {sie_type}",
        PROGRAM_LINE,
        f"#GEN {_ymd(company.business_date)}",
        f"#FNR {company.fortnox_customer_id or company.database_number}",
        f"#FNAMN {quote(company.name)}",
        f"#ADRESS {address_line} ",
        f"#RAR 0 {_ymd(financial_year.from_date)} {_ymd(financial_year.to_date)}",
    ]
    if previous is not None:
        out.append(f"#RAR -1 {_ymd(previous.from_date)} {_ymd(previous.to_date)}")
    out += [
        f"#ORGNR {company.organisation_number}",
        f"#OMFATTN {_ymd(financial_year.to_date)}",
        "#KPTYP EUBAS97",
        "",
    ]
    for number in sorted(company.accounts):
        account = company.accounts[number]
        out.append(f"#KONTO {number} {quote(account.description)}")
        if account.sru is not None:
            out.append(f"#SRU {number} {account.sru}")
    out.append('#DIM 1 "Kostnadsställe"')
    out.append('#DIM 6 "Projekt"')
    if sie_type >= 3:
        # An object added after the year ended is not one of that year's (a closed year's
        # export stays the same when the registers grow).
        ended = financial_year.to_date
        for code in sorted(company.cost_centers):
            center = company.cost_centers[code]
            if center.created is None or center.created <= ended:
                out.append(f"#OBJEKT 1 {quote(code)} {quote(center.description)}")
        for project_number in sorted(company.projects):
            project = company.projects[project_number]
            if project.created is None or project.created <= ended:
                out.append(f"#OBJEKT 6 {quote(project_number)} {quote(project.description)}")
    _balance_lines(company, financial_year, 0, out)
    if previous is not None:
        _balance_lines(company, previous, -1, out)
    if sie_type >= 2:
        _period_lines(company, financial_year, 0, out)
        if previous is not None:
            _period_lines(company, previous, -1, out)
    if sie_type == 4:
        _voucher_lines(company, financial_year, out)
    out.append("")
    return "\r\n".join(out).encode("cp437", errors="replace")


__all__ = ["quote", "write_sie", "year_movements"]
