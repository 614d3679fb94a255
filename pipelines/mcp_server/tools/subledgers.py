"""Customer and supplier ledgers: `ar_aging`/`ap_aging`, `reconciliation`, `customer`/`supplier`.

AR and AP are one implementation in the models (`int_open_items`, `int_subledger_*`), so they
are one here too, told apart by `ledger`. The marts are built for one as-of date (the build's
"today"); another date is evaluated on the fly with `query_model`, which only creates
temporary tables in the session, so the warehouse stays untouched.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import duckdb

from pipelines.mcp_server.answers import (
    Aging,
    AgingBucket,
    AgingItem,
    Counterparty,
    Document,
    ExplainingRow,
    Reconciliation,
    amount,
    status,
)
from pipelines.mcp_server.context import (
    ToolInputError,
    about,
    has_relation,
    page_of,
    paging,
    require_models,
    resolve_company,
)
from pipelines.mcp_server.privacy import is_personal_column
from pipelines.transform import query_model

Ledger = Literal["AR", "AP"]

BUILT_AS_OF_SQL = """
select max(reconciliation_date) from analytics.int_reconciliation_dates
where company_id = ? and is_as_of
"""

AGING_SQL = """
select document_number, counterparty_number, counterparty_name, invoice_date, due_date,
    days_past_due, aging_bucket, aging_bucket_order, currency, open_amount, open_amount_sek,
    status
from analytics.int_subledger_aging
where company_id = ? and subledger = ?
"""

RECONCILIATION_SQL = """
select reconciliation_date, control_accounts, ledger_balance, subledger_balance, open_documents,
    difference, explained_amount, unexplained_difference, status
from analytics.int_subledger_reconciliation
where company_id = ? and subledger = ? and reconciliation_date = ?
"""

EXPLAINING_ROWS_SQL = """
select voucher_series, voucher_number, voucher_date, cast(account_number as varchar), amount,
    voucher_text
from analytics.int_unmatched_control_rows
where company_id = ? and subledger = ? and voucher_date <= ?
order by voucher_date, voucher_series, voucher_number, row_no
"""

COUNTERPARTY_SQL = {
    "AR": "select customer_name from analytics.dim_customers"
    " where company_id = ? and customer_number = ?",
    "AP": "select supplier_name from analytics.dim_suppliers"
    " where company_id = ? and supplier_number = ?",
}

DOCUMENTS_SQL = {
    "AR": """
        with payments as (
            select invoice_number, sum(amount) as paid_sek, max(payment_date) as last_paid
            from analytics.stg_fortnox__invoice_payments
            where company_id = $company and is_booked
            group by invoice_number
        )
        select cast(invoice_number as varchar), invoice_date, due_date, currency, total,
            is_cancelled, is_booked, coalesce(payments.paid_sek, 0), payments.last_paid
        from analytics.stg_fortnox__invoices
        left join payments using (invoice_number)
        where company_id = $company and customer_number = $number
        order by invoice_date desc, invoice_number desc
    """,
    "AP": """
        with payments as (
            select given_number, sum(amount) as paid_sek, max(payment_date) as last_paid
            from analytics.stg_fortnox__supplier_invoice_payments
            where company_id = $company and is_booked
            group by given_number
        )
        select cast(given_number as varchar), invoice_date, due_date, currency, total,
            is_cancelled, is_booked, coalesce(payments.paid_sek, 0), payments.last_paid
        from analytics.stg_fortnox__supplier_invoices
        left join payments using (given_number)
        where company_id = $company and supplier_number = $number
        order by invoice_date desc, given_number desc
    """,
}

OPEN_ITEMS_SQL = """
select cast(document_number as varchar), open_amount, open_amount_sek
from analytics.int_open_items
where company_id = ? and subledger = ? and counterparty_number = ? and reconciliation_date = ?
"""

COUNTERPARTY_MODELS = {
    "AR": ("dim_customers", "stg_fortnox__invoices", "stg_fortnox__invoice_payments"),
    "AP": (
        "dim_suppliers",
        "stg_fortnox__supplier_invoices",
        "stg_fortnox__supplier_invoice_payments",
    ),
}

PERSONAL_SOURCE = {
    "AR": ("customers", "customer_number"),
    "AP": ("suppliers", "supplier_number"),
}


def _built_as_of(connection: duckdb.DuckDBPyConnection, company_id: str) -> date | None:
    row = connection.execute(BUILT_AS_OF_SQL, [company_id]).fetchone()
    return row[0] if row else None


def _register_evaluated(
    connection: duckdb.DuckDBPyConnection, model: str, as_of: date, view: str
) -> None:
    """A model evaluated for another as-of date, registered in this session as `view`."""
    catalog = connection.execute("select current_database()").fetchone()[0]  # type: ignore[index]
    try:
        frame = query_model(connection, model, as_of=as_of)
    except LookupError as error:
        raise ToolInputError(f"{error}: run `fortnox-pipeline models` first") from None
    finally:
        # query_model resets the search path, and with it the session's default catalog.
        connection.execute(f'use "{catalog}"')
    connection.register(view, frame.to_arrow())


def aging(
    connection: duckdb.DuckDBPyConnection,
    *,
    ledger: Ledger,
    company: str | None,
    as_of: date | None,
    page: int,
    page_size: int,
) -> Aging:
    """Open invoices on a date by days past due: buckets, totals and the items, largest first."""
    require_models(connection, "int_subledger_aging", "int_reconciliation_dates")
    company_id = resolve_company(connection, company)
    page, page_size = paging(page, page_size, 500)
    built = _built_as_of(connection, company_id)
    when = as_of or built
    sql = AGING_SQL
    if as_of is not None and as_of != built:
        _register_evaluated(connection, "int_subledger_aging", as_of, "evaluated_aging")
        sql = AGING_SQL.replace("analytics.int_subledger_aging", "evaluated_aging")
    rows = connection.execute(sql, [company_id, ledger]).fetchall()
    totals: dict[tuple[int, str], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    for row in rows:
        bucket = totals[(row[7], row[6])]
        bucket[0] += 1
        bucket[1] += row[10]
    rows.sort(key=lambda row: (-abs(row[10]), str(row[0])))
    chosen = rows[(page - 1) * page_size : page * page_size]
    return Aging(
        about=about(connection, company_id, when),
        ledger=ledger,
        status=status(rows[0][11] if rows else _status_on(connection, company_id, when)),
        buckets=[
            AgingBucket(aging_bucket=name, documents=count, open_amount_sek=amount(total) or "0")
            for (_, name), (count, total) in sorted(totals.items())
        ],
        total_open_sek=amount(sum((row[10] for row in rows), Decimal(0))) or "0",
        page=page_of(page, page_size, len(rows)),
        items=[
            AgingItem(
                document_number=str(row[0]),
                counterparty_number=row[1],
                counterparty_name=row[2],
                invoice_date=row[3],
                due_date=row[4],
                days_past_due=row[5],
                aging_bucket=row[6],
                currency=row[8],
                open_amount=amount(row[9]) or "0",
                open_amount_sek=amount(row[10]) or "0",
            )
            for row in chosen
        ],
    )


def _status_on(connection: duckdb.DuckDBPyConnection, company_id: str, day: date | None) -> str:
    locked = about(connection, company_id, day).locked_through
    return "final" if day is not None and locked is not None and day <= locked else "provisional"


def reconciliation(
    connection: duckdb.DuckDBPyConnection,
    *,
    ledger: Ledger,
    company: str | None,
    as_of: date | None,
) -> Reconciliation:
    """The subledger against the ledger on a date, and the rows that explain the difference."""
    require_models(connection, "int_subledger_reconciliation", "int_unmatched_control_rows")
    company_id = resolve_company(connection, company)
    day = as_of or _built_as_of(connection, company_id)
    if day is None:
        raise ToolInputError(
            "the models have no reconciliation date: run `fortnox-pipeline models`"
        )
    row = connection.execute(RECONCILIATION_SQL, [company_id, ledger, day]).fetchone()
    if row is None:
        _register_evaluated(
            connection, "int_subledger_reconciliation", day, "evaluated_reconciliation"
        )
        row = connection.execute(
            RECONCILIATION_SQL.replace(
                "analytics.int_subledger_reconciliation", "evaluated_reconciliation"
            ),
            [company_id, ledger, day],
        ).fetchone()
    if row is None:
        raise ToolInputError(
            f"no {ledger} reconciliation for {company_id} on {day}: the date is outside the "
            "loaded financial years"
        )
    context = about(connection, company_id, day)
    explaining = connection.execute(EXPLAINING_ROWS_SQL, [company_id, ledger, day]).fetchall()
    locked = context.locked_through
    return Reconciliation(
        about=context,
        ledger=ledger,
        reconciliation_date=row[0],
        control_accounts=row[1],
        ledger_balance=amount(row[2]) or "0",
        subledger_balance=amount(row[3]) or "0",
        open_documents=row[4],
        difference=amount(row[5]) or "0",
        explained_amount=amount(row[6]) or "0",
        unexplained_difference=amount(row[7]) or "0",
        status=status(row[8]),
        explaining_rows=[
            ExplainingRow(
                voucher_series=series,
                voucher_number=number,
                voucher_date=voucher_date,
                account_number=account,
                amount=amount(value) or "0",
                text=text,
                status=status(locked is not None and voucher_date <= locked),
            )
            for series, number, voucher_date, account, value, text in explaining
        ],
    )


def _personal_fields(
    connection: duckdb.DuckDBPyConnection, ledger: Ledger, company_id: str, number: str
) -> dict[str, Any]:
    """The counterparty's personal columns from the raw table (whatever the load kept)."""
    table, key = PERSONAL_SOURCE[ledger]
    if not has_relation(connection, "fortnox_raw", table):
        return {}
    relation = connection.execute(
        f"select * from fortnox_raw.{table} where company_id = ? and {key} = ?"
        " order by _dlt_load_id desc limit 1",
        [company_id, number],
    )
    names = [column[0] for column in relation.description or []]
    row = relation.fetchone()
    if row is None:
        return {}
    return {
        name: value
        for name, value in zip(names, row, strict=True)
        if is_personal_column(name) and value not in (None, "")
    }


def counterparty(
    connection: duckdb.DuckDBPyConnection,
    *,
    ledger: Ledger,
    company: str | None,
    number: str,
    personal: bool,
    page: int,
    page_size: int,
) -> Counterparty:
    """One customer or supplier: name, invoices newest first with what is open, open total."""
    require_models(
        connection, "int_open_items", "int_reconciliation_dates", *COUNTERPARTY_MODELS[ledger]
    )
    company_id = resolve_company(connection, company)
    page, page_size = paging(page, page_size, 200)
    name_row = connection.execute(COUNTERPARTY_SQL[ledger], [company_id, number]).fetchone()
    documents = connection.execute(
        DOCUMENTS_SQL[ledger], {"company": company_id, "number": number}
    ).fetchall()
    if name_row is None and not documents:
        kind = "customer" if ledger == "AR" else "supplier"
        raise ToolInputError(f"no {kind} number {number!r} in company {company_id}")
    day = _built_as_of(connection, company_id)
    open_items = {
        document: (open_amount, open_sek)
        for document, open_amount, open_sek in connection.execute(
            OPEN_ITEMS_SQL, [company_id, ledger, number, day]
        ).fetchall()
    }
    chosen = documents[(page - 1) * page_size : page * page_size]
    return Counterparty(
        about=about(connection, company_id, day),
        ledger=ledger,
        number=number,
        name=name_row[0] if name_row else None,
        personal_data=(
            _personal_fields(connection, ledger, company_id, number) if personal else None
        ),
        open_total_sek=amount(sum((sek for _, sek in open_items.values()), Decimal(0))) or "0",
        status=status(_status_on(connection, company_id, day)),
        page=page_of(page, page_size, len(documents)),
        documents=[
            Document(
                document_number=document,
                invoice_date=invoice_date,
                due_date=due_date,
                currency=currency,
                total=amount(total),
                open_amount=amount(open_items.get(document, (Decimal(0), None))[0]),
                is_cancelled=cancelled,
                is_booked=booked,
                paid_sek=amount(paid) or "0",
                last_payment_date=last_paid,
            )
            for (
                document,
                invoice_date,
                due_date,
                currency,
                total,
                cancelled,
                booked,
                paid,
                last_paid,
            ) in chosen
        ],
    )
