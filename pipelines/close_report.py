"""The month-end close report: one self-contained HTML page a controller reads at month end.

It gathers, for one company and one fiscal month, what the models already say: the income
statement and the balance sheet with the previous year beside them, the AR and AP
reconciliation over the months (final and provisional apart), the aging at the month end, the
differences still open with the vouchers that explain them, and how fresh the data is (last
load, locked through, latest voucher). Charts are inline SVG drawn here and the page has no
script, stylesheet or image from anywhere else: it opens offline and prints the same numbers
every time it is built from the same warehouse.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import polars as pl

from pipelines.companies import company_in_model
from pipelines.transform import DEFAULT_DATASET, DEFAULT_MODELS_SCHEMA, query_model

AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", "over 90", "credits")
SUBLEDGER_NAMES = {"AR": "Kundreskontra (AR)", "AP": "Leverantörsreskontra (AP)"}


class CloseReportError(LookupError):
    """The warehouse cannot answer for this company or period (not built, unknown, empty)."""


@dataclass
class CloseReport:
    """Everything the page shows, gathered from the built models."""

    company_id: str
    company_name: str | None
    period: str
    period_end: date
    financial_year: str
    is_final: bool
    income_statement: list[dict[str, Any]]
    balance_sheet: list[dict[str, Any]]
    reconciliations: dict[str, list[dict[str, Any]]]
    aging: dict[str, dict[str, Decimal]]
    open_differences: list[dict[str, Any]]
    locked_through: date | None
    last_load: datetime | None
    latest_voucher: date | None
    notes: list[str] = field(default_factory=list)


def _rows(
    connection: duckdb.DuckDBPyConnection, sql: str, *parameters: Any
) -> list[dict[str, Any]]:
    cursor = connection.execute(sql, list(parameters))
    names = [column[0] for column in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _table_exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    found = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ?"
        " and table_name = ? and table_catalog = current_database()",
        [schema, table],
    ).fetchone()
    return bool(found and found[0])


def gather(
    connection: duckdb.DuckDBPyConnection,
    *,
    company: str | None,
    period: str | None,
    models_schema: str = DEFAULT_MODELS_SCHEMA,
    dataset: str = DEFAULT_DATASET,
) -> CloseReport:
    """Read one company's month from the built models.

    Args:
        connection: The warehouse (read-only is enough).
        company: Org number (any writing) or company id such as a DatabaseNumber
            (`pipelines.companies`); may be None when the warehouse holds one company.
        period: Fiscal month `YYYY-MM`; None is the month of the latest booked voucher.
        models_schema: Where the models were built.
        dataset: Where the raw tables are (for the last load's time).

    Raises:
        CloseReportError: The models are not built, or hold no such period.
        CompanyError: `company` names no company of the warehouse, or several.
    """
    database = connection.execute("select current_database()").fetchone()[0]  # type: ignore[index]
    schema = f'"{database}"."{models_schema}"'
    if not _table_exists(connection, models_schema, "fct_income_statement"):
        raise CloseReportError("the statements are not built: run `fortnox-pipeline models`")
    company = company_in_model(
        connection, dataset=dataset, model_table=f"{schema}.fct_income_statement", given=company
    )
    latest_voucher = connection.execute(
        f"select max(voucher_date) from {schema}.fct_gl_transactions where company_id = ?",
        [company],
    ).fetchone()
    latest = latest_voucher[0] if latest_voucher else None
    if period is None:
        if latest is None:
            raise CloseReportError(f"company {company!r} has no booked vouchers")
        period = latest.strftime("%Y-%m")
    income = _rows(
        connection,
        f"select * from {schema}.fct_income_statement where company_id = ? and period = ?"
        " and financial_year_start = (select max(financial_year_start)"
        f" from {schema}.fct_income_statement where company_id = ? and period = ?)"
        " order by sort_order",
        company,
        period,
        company,
        period,
    )
    if not income:
        raise CloseReportError(f"no statements for company {company!r}, period {period}")
    first = income[0]
    balance = _rows(
        connection,
        f"select * from {schema}.fct_balance_sheet where company_id = ? and period = ?"
        " and financial_year_start = ? order by sort_order",
        company,
        period,
        first["financial_year_start"],
    )
    period_end: date = first["period_end"]
    reconciliations: dict[str, list[dict[str, Any]]] = {}
    open_differences: list[dict[str, Any]] = []
    notes: list[str] = []
    for subledger, mart in (("AR", "fct_ar_reconciliation"), ("AP", "fct_ap_reconciliation")):
        if not _table_exists(connection, models_schema, mart):
            notes.append(
                f"No {subledger} reconciliation: the warehouse has no Fortnox API tables "
                "(a SIE file alone names no control accounts)."
            )
            continue
        rows = _rows(
            connection,
            f"select * from {schema}.{mart} where company_id = ? and is_month_end"
            " and reconciliation_date <= ? order by reconciliation_date",
            company,
            period_end,
        )
        reconciliations[subledger] = rows
        at_end = [row for row in rows if row["reconciliation_date"] == period_end]
        if at_end and at_end[0]["difference"]:
            open_differences.append({"subledger": subledger, **at_end[0]})
    aging = _aging(connection, company, period_end, models_schema, dataset, notes)
    locked = None
    if _table_exists(connection, models_schema, "dim_locked_period"):
        found = connection.execute(
            f"select locked_through from {schema}.dim_locked_period where company_id = ?",
            [company],
        ).fetchone()
        locked = found[0] if found else None
    return CloseReport(
        company_id=company,
        company_name=_company_name(connection, schema, company),
        period=period,
        period_end=period_end,
        financial_year=first["financial_year"],
        is_final=bool(first["is_final"]),
        income_statement=income,
        balance_sheet=balance,
        reconciliations=reconciliations,
        aging=aging,
        open_differences=open_differences,
        locked_through=locked,
        last_load=_last_load(connection, database, dataset, company),
        latest_voucher=latest,
        notes=notes,
    )


def _company_name(connection: duckdb.DuckDBPyConnection, schema: str, company: str) -> str | None:
    found = connection.execute(
        f"select company_name from {schema}.dim_financial_years where company_id = ?"
        " and company_name is not null order by financial_year_start desc limit 1",
        [company],
    ).fetchone()
    return str(found[0]) if found else None


def _aging(
    connection: duckdb.DuckDBPyConnection,
    company: str,
    period_end: date,
    models_schema: str,
    dataset: str,
    notes: list[str],
) -> dict[str, dict[str, Decimal]]:
    """Open amounts (SEK) per aging bucket at the period end, per subledger."""
    try:
        rows = query_model(
            connection,
            "int_subledger_aging",
            dataset=dataset,
            models_schema=models_schema,
            as_of=period_end,
        )
    except (KeyError, LookupError):
        notes.append("No aging: the subledger models are not built.")
        return {}
    rows = rows.filter(pl.col("company_id") == company)
    aging: dict[str, dict[str, Decimal]] = {}
    for subledger in ("AR", "AP"):
        buckets = {bucket: Decimal("0.00") for bucket in AGING_BUCKETS}
        for row in rows.filter(pl.col("subledger") == subledger).iter_rows(named=True):
            buckets[row["aging_bucket"]] += row["open_amount_sek"]
        aging[subledger] = buckets
    return aging


def _last_load(
    connection: duckdb.DuckDBPyConnection, database: str, dataset: str, company: str
) -> datetime | None:
    """The end of the company's latest completed run, else the latest SIE file's load time."""
    for table, column, condition in (
        ("load_runs", "ended_at", "and outcome = 'completed'"),
        ("sie_files", "loaded_at", ""),
    ):
        if not _table_exists(connection, dataset, table):
            continue
        try:
            found = connection.execute(
                f'select max({column}) from "{database}"."{dataset}".{table}'
                f" where company_id = ? {condition}",
                [company],
            ).fetchone()
        except duckdb.Error:
            continue
        if found and found[0] is not None:
            return found[0]
    return None


# -- rendering ------------------------------------------------------------------------------


def _money(value: Decimal | None) -> str:
    if value is None:
        return "–"
    text = f"{value:,.2f}".replace(",", "\u202f")
    return text.replace("-", "−")


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _statement_table(
    title: str, rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]
) -> str:
    head = "".join(f'<th class="num">{_e(label)}</th>' for label, _ in columns)
    body = []
    for row in rows:
        kind = row["row_type"]
        cells = "".join(f'<td class="num">{_money(row[key])}</td>' for _, key in columns)
        body.append(f'<tr class="{_e(kind)}"><td>{_e(row["line_name"])}</td>{cells}</tr>')
    return (
        f"<h3>{_e(title)}</h3><table><thead><tr><th>Rad</th>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def reconciliation_chart(subledger: str, rows: Sequence[dict[str, Any]]) -> str:
    """Ledger and subledger at each month end as two lines; below, the difference as bars.

    Final (locked) months are drawn solid, provisional ones hollow and dashed, so that what
    can still change is told apart at a glance; a green line marks the lock. The difference
    has its own scale (it is small beside the balances). AP is shown as a liability (credit
    positive).
    """
    if not rows:
        return f"<p>No month ends to chart for {_e(subledger)}.</p>"
    sign = Decimal(-1) if subledger == "AP" else Decimal(1)
    ledger = [sign * row["ledger_balance"] for row in rows]
    sub = [sign * row["subledger_balance"] for row in rows]
    differences = [sign * row["difference"] for row in rows]
    width, left, right = 860, 96, 56
    top, panel_h, gap, diff_h, bottom = 16, 170, 34, 70, 44
    height = top + panel_h + gap + diff_h + bottom
    plot_w = width - left - right

    def scale(values: Sequence[Decimal], y_top: float, h: float) -> Any:
        low, high = min([*values, Decimal(0)]), max([*values, Decimal(0)])
        if high == low:
            high = low + 1
        return lambda value: y_top + float((high - value) / (high - low)) * h, low, high

    y, low, high = scale([*ledger, *sub], top, panel_h)
    diff_top = top + panel_h + gap
    dy, dlow, dhigh = scale(differences, diff_top, diff_h)
    step = plot_w / max(1, len(rows) - 1)

    def x(index: int) -> float:
        return left + index * step if len(rows) > 1 else left + plot_w / 2

    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" aria-label="{_e(subledger)} reconciliation by month end">'
    ]
    for axis_y, ticks in (
        (y, (low, (low + high) / 2, high)),
        (dy, (dlow, dhigh) if dlow != dhigh else (dlow,)),
    ):
        parts.append(
            f'<line x1="{left}" y1="{axis_y(Decimal(0)):.1f}" x2="{left + plot_w}" '
            f'y2="{axis_y(Decimal(0)):.1f}" class="axis"/>'
        )
        for tick in ticks:
            parts.append(
                f'<text x="{left - 6}" y="{axis_y(tick) + 4:.1f}" class="tick" '
                f'text-anchor="end">{_money(Decimal(round(tick)))}</text>'
            )
    parts.append(
        f'<text x="{left}" y="{diff_top - 8}" class="tick">differens (ledger − subledger)</text>'
    )
    bar = max(2.0, min(16.0, step * 0.6))
    for index, row in enumerate(rows):
        final = row["status"] == "final"
        y0, y1 = sorted((dy(Decimal(0)), dy(differences[index])))
        parts.append(
            f'<rect x="{x(index) - bar / 2:.1f}" y="{y0:.1f}" width="{bar:.1f}" '
            f'height="{max(1.0, y1 - y0):.1f}" class="diff {"final" if final else "prov"}">'
            f"<title>{_e(row['reconciliation_date'])} difference {_money(differences[index])}"
            f" ({_e(row['status'])})</title></rect>"
        )
    for series, css in ((ledger, "ledger"), (sub, "sub")):
        for index in range(1, len(rows)):
            dashed = rows[index]["status"] != "final"
            parts.append(
                f'<line x1="{x(index - 1):.1f}" y1="{y(series[index - 1]):.1f}" '
                f'x2="{x(index):.1f}" y2="{y(series[index]):.1f}" '
                f'class="{css}{" dashed" if dashed else ""}"/>'
            )
        for index, value in enumerate(series):
            final = rows[index]["status"] == "final"
            parts.append(
                f'<circle cx="{x(index):.1f}" cy="{y(value):.1f}" r="{3.5 if css == "sub" else 5}" '
                f'class="{css} {"final" if final else "prov"}"><title>'
                f"{_e(rows[index]['reconciliation_date'])} {css} {_money(value)} "
                f"({_e(rows[index]['status'])})</title></circle>"
            )
    labels = {0, len(rows) - 1, *range(0, len(rows), max(1, len(rows) // 6))}
    for index in sorted(labels):
        day = rows[index]["reconciliation_date"]
        parts.append(
            f'<text x="{x(index):.1f}" y="{height - bottom + 16}" class="tick" '
            f'text-anchor="middle">{_e(day.strftime("%Y-%m"))}</text>'
        )
    locked = [index for index, row in enumerate(rows) if row["status"] == "final"]
    if locked and len(locked) < len(rows):
        edge = (x(locked[-1]) + x(locked[-1] + 1)) / 2
        parts.append(
            f'<line x1="{edge:.1f}" y1="{top}" x2="{edge:.1f}" y2="{diff_top + diff_h}" '
            f'class="lock"/><text x="{edge - 4:.1f}" y="{top + 10}" class="tick" '
            f'text-anchor="end">låst t.o.m. (locked) {_e(rows[locked[-1]]["reconciliation_date"])}'
            "</text>"
        )
    parts.append(
        f'<g class="legend" transform="translate({left},{height - 10})">'
        '<circle cx="0" cy="-4" r="5" class="ledger final"/>'
        '<text x="9" y="0">huvudbok (ledger)</text>'
        '<circle cx="150" cy="-4" r="4" class="sub final"/>'
        '<text x="158" y="0">reskontra (subledger)</text>'
        '<rect x="320" y="-9" width="10" height="10" class="diff final"/>'
        '<text x="334" y="0">differens, final</text>'
        '<rect x="440" y="-9" width="10" height="10" class="diff prov"/>'
        '<circle cx="460" cy="-4" r="4" class="sub prov"/>'
        '<text x="470" y="0">preliminär (provisional): hollow, dashed</text></g>'
    )
    parts.append("</svg>")
    return "".join(parts)


def aging_chart(aging: dict[str, dict[str, Decimal]]) -> str:
    """Open amount per aging bucket, AR and AP side by side (credits below the axis)."""
    if not aging:
        return "<p>No aging.</p>"
    width, height, left, top, bottom = 760, 240, 92, 16, 44
    plot_w, plot_h = width - left - 16, height - top - bottom
    values = [amount for buckets in aging.values() for amount in buckets.values()]
    high = max([*values, Decimal(0)])
    low = min([*values, Decimal(0)])
    if high == low:
        high = low + 1
    span = high - low

    def y(value: Decimal) -> float:
        return top + float((high - value) / span) * plot_h

    group = plot_w / len(AGING_BUCKETS)
    bar = group / (len(aging) + 1)
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" aria-label="aging buckets">',
        f'<line x1="{left}" y1="{y(Decimal(0)):.1f}" x2="{left + plot_w}" '
        f'y2="{y(Decimal(0)):.1f}" class="axis"/>',
    ]
    for tick in (low, high):
        parts.append(
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" class="tick" text-anchor="end">'
            f"{_money(Decimal(round(tick)))}</text>"
        )
    for position, bucket in enumerate(AGING_BUCKETS):
        for offset, (subledger, buckets) in enumerate(
            sorted(aging.items(), key=lambda i: i[0] != "AR")
        ):
            amount = buckets[bucket]
            y0, y1 = sorted((y(Decimal(0)), y(amount)))
            bar_x = left + position * group + bar / 2 + offset * bar
            parts.append(
                f'<rect x="{bar_x:.1f}" y="{y0:.1f}" width="{bar * 0.9:.1f}" '
                f'height="{max(0.5, y1 - y0):.1f}" class="bar {subledger.lower()}">'
                f"<title>{_e(subledger)} {_e(bucket)}: {_money(amount)}</title></rect>"
            )
        parts.append(
            f'<text x="{left + position * group + group / 2:.1f}" y="{height - bottom + 16}" '
            f'class="tick" text-anchor="middle">{_e(bucket)}</text>'
        )
    parts.append(
        f'<g class="legend" transform="translate({left},{height - 10})">'
        '<rect x="0" y="-9" width="10" height="10" class="bar ar"/><text x="14" y="0">AR</text>'
        '<rect x="60" y="-9" width="10" height="10" class="bar ap"/><text x="74" y="0">AP</text>'
        "</g></svg>"
    )
    return "".join(parts)


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1040px;
color:#1d2330;background:#fff}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d7dbe3}
h3{font-size:15px;margin:16px 0 6px}.meta{color:#555;font-size:13px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}
.badge.final{background:#dff3e4;color:#1c6b34}.badge.prov{background:#fff1d6;color:#8a5a00}
table{border-collapse:collapse;font-size:13px;width:100%}
th,td{padding:3px 8px;border-bottom:1px solid #eef0f4;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.subtotal td,tr.total td{font-weight:600;border-top:1px solid #9aa3b5}
tr.total td{border-bottom:2px solid #1d2330}tr.excluded td{color:#888;font-style:italic}
.cols{display:block}
svg.chart{max-width:100%;height:auto;font-size:11px}
.axis{stroke:#9aa3b5;stroke-width:1}.tick{fill:#555}.lock{stroke:#1c6b34;stroke-dasharray:4 3}
line.ledger{stroke:#2b5fab;stroke-width:2}line.sub{stroke:#d9822b;stroke-width:2}
line.dashed{stroke-dasharray:5 4}
circle.ledger.final{fill:#2b5fab}circle.ledger{fill-opacity:.9}circle.sub.final{fill:#d9822b}
circle.prov{fill:#fff;stroke-width:2}circle.ledger.prov{stroke:#2b5fab}
circle.sub.prov{stroke:#d9822b}
rect.diff.final{fill:#c0392b}rect.diff.prov{fill:#f2b8b0}
rect.bar.ar{fill:#2b5fab}rect.bar.ap{fill:#d9822b}
.diffs td{vertical-align:top}.ok{color:#1c6b34}.warn{color:#c0392b}
"""


def render_html(report: CloseReport) -> str:
    """The report as one HTML document with inline style and SVG, nothing fetched."""
    status = (
        '<span class="badge final">final (locked)</span>'
        if report.is_final
        else '<span class="badge prov">provisional (not locked)</span>'
    )
    title = f"Månadsbokslut {report.period} – {report.company_name or report.company_id}"
    income = _statement_table(
        "Resultaträkning (income statement)",
        report.income_statement,
        [
            ("Period", "period_amount"),
            ("Ackumulerat (year to date)", "year_to_date_amount"),
            ("Föregående år ack. (previous year)", "comparative_year_to_date_amount"),
        ],
    )
    balance = _statement_table(
        "Balansräkning (balance sheet)",
        report.balance_sheet,
        [
            ("Ingående (year opening)", "opening_amount"),
            (f"{report.period_end}", "year_to_date_amount"),
            ("Ett år tidigare (a year earlier)", "comparative_amount"),
        ],
    )
    charts = []
    for subledger, rows in report.reconciliations.items():
        charts.append(f"<h3>{_e(SUBLEDGER_NAMES[subledger])}</h3>")
        charts.append(reconciliation_chart(subledger, rows))
        latest = rows[-1] if rows else None
        if latest and latest.get("foreign_payments_year_to_date"):
            charts.append(
                f'<p class="meta">{latest["foreign_payments_year_to_date"]} payment(s) in another '
                f"currency this financial year; realised exchange differences "
                f"{_money(latest['exchange_difference_year_to_date'])} SEK (gain +, booked on "
                "3960/7960, not a difference).</p>"
            )
    if report.open_differences:
        items = []
        for row in report.open_differences:
            vouchers = (row.get("explaining_vouchers") or "").split("; ")
            voucher_list = "".join(f"<li>{_e(voucher)}</li>" for voucher in vouchers if voucher)
            unexplained = row["unexplained_difference"]
            items.append(
                f"<tr><td>{_e(SUBLEDGER_NAMES[row['subledger']])}</td>"
                f'<td class="num">{_money(row["difference"])}</td>'
                f'<td class="num">{_money(row["explained_amount"])}</td>'
                f'<td class="num {"warn" if unexplained else "ok"}">{_money(unexplained)}</td>'
                f"<td>{_e(row['status'])}</td><td><ul>{voucher_list or '<li>none</li>'}</ul></td>"
                "</tr>"
            )
        differences = (
            '<table class="diffs"><thead><tr><th>Reskontra</th><th class="num">Differens</th>'
            '<th class="num">Förklarad</th><th class="num">Oförklarad</th><th>Status</th>'
            "<th>Förklarande verifikationer (explaining vouchers: on the control account, no"
            " invoice or payment behind them)</th></tr></thead>"
            f"<tbody>{''.join(items)}</tbody></table>"
        )
    else:
        differences = '<p class="ok">No open differences at the month end.</p>'
    freshness = (
        "<table><tbody>"
        "<tr><td>Senaste laddning (last load)</td>"
        f"<td>{_e(report.last_load or 'unknown')}</td></tr>"
        f"<tr><td>Låst t.o.m. (locked through)</td>"
        f"<td>{_e(report.locked_through or 'no lock: every figure is provisional')}</td></tr>"
        f"<tr><td>Senaste verifikation (latest voucher)</td>"
        f"<td>{_e(report.latest_voucher or 'none')}</td></tr>"
        "</tbody></table>"
    )
    notes = "".join(f'<p class="meta">{_e(note)}</p>' for note in report.notes)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="sv"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{_e(title)}</h1>"
        f'<p class="meta">Company {_e(report.company_id)} · financial year '
        f"{_e(report.financial_year)} · period ending {_e(report.period_end)} · {status}</p>"
        f"<h2>Dataaktualitet (freshness)</h2>{freshness}"
        f'<h2>Rapporter (statements)</h2><div class="cols"><div>{income}</div>'
        f"<div>{balance}</div></div>"
        "<h2>Avstämning reskontra mot huvudbok (AR/AP reconciliation)</h2>"
        f"{''.join(charts)}{notes}"
        f"<h2>Öppna differenser (open differences at {_e(report.period_end)})</h2>{differences}"
        f"<h2>Åldersanalys per {_e(report.period_end)} (aging, SEK)</h2>"
        f"{aging_chart(report.aging)}"
        "</body></html>\n"
    )
