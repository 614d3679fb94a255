"""What a business day does to the registers: edits, new orders and offers, and deletions.

Fortnox lets a company delete what nothing refers to: a draft invoice, a customer without
invoices, a cost center or project no voucher uses, an article on no document. So each day
creates one of each (`grow`), and the next day deletes them (`retire`, before that day's
bookkeeping, so no voucher of the books ever refers to them). A pipeline that loaded in
between must notice the deletions. Records touched get `last_modified = clock()`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sources.fortnox_sandbox.model import Company, CostCenter, Customer, Invoice, Project
from sources.fortnox_sandbox.registers import Article, SalesDocument, _rows, ensure_registers


def retire(company: Company, seed: int) -> dict[str, int]:
    """Delete what the previous day created to be deleted; returns counts per kind."""
    registers = ensure_registers(company, seed)
    deleted: dict[str, int] = {}
    places: dict[str, dict[Any, Any]] = {
        "invoice": company.invoices,
        "customer": company.customers,
        "cost_center": company.cost_centers,
        "project": company.projects,
        "article": registers.articles,
    }
    for kind, key in sorted(registers.to_delete.items()):
        records = places[kind]
        record_key: Any = int(key) if kind == "invoice" else key
        if records.pop(record_key, None) is not None:
            deleted[kind] = deleted.get(kind, 0) + 1
    registers.to_delete.clear()
    return deleted


def grow(company: Company, seed: int, clock: Callable[[], datetime]) -> dict[str, int]:
    """The day's register work after the bookkeeping; returns counts of what it did."""
    registers = ensure_registers(company, seed)
    day = company.business_date
    rng = random.Random(f"{seed}:{company.database_number}:registers:{day.isoformat()}")
    stamp = clock()
    counts: dict[str, int] = {}

    # Edits: a price change and a renamed cost center (register edits, not new records).
    article = registers.articles[rng.choice(sorted(registers.articles))]
    article.sales_price += 100 * rng.randint(1, 20)
    article.last_modified = stamp
    code = sorted(company.cost_centers)[day.toordinal() % len(company.cost_centers)]
    center = company.cost_centers[code]
    center.note = f"Granskad {day.isoformat()}"
    counts["edited"] = 2

    # New sales documents, for existing customers with existing articles.
    customers = [c for c in company.customers.values() if c.active]
    catalogue = list(registers.articles.values())
    for kind, documents in (("orders", registers.orders), ("offers", registers.offers)):
        number = registers.next_document[kind]
        registers.next_document[kind] = number + 1
        customer = rng.choice(customers)
        documents[number] = SalesDocument(
            document_number=number,
            customer_number=customer.number,
            customer_name=customer.name,
            document_date=day,
            currency=customer.currency,
            rows=_rows(rng, catalogue),
            sent=False,
            delivery_date=day + timedelta(days=14) if kind == "orders" else None,
            last_modified=stamp,
        )
        counts[f"new_{kind}"] = 1

    # Things the next day deletes: nothing refers to them in between.
    invoice_number = company.simulation.next_invoice if company.simulation else (
        max(company.invoices, default=0) + 1
    )  # fmt: skip
    if company.simulation is not None:
        company.simulation.next_invoice = invoice_number + 1
    customer_number = str(max((int(n) for n in company.customers if n.isdigit()), default=0) + 1)
    company.customers[customer_number] = Customer(
        number=customer_number,
        name=f"Prospekt {customer_number} AB",
        organisation_number="",
        address="",
        zip_code="",
        city="",
        last_modified=stamp,
    )
    company.invoices[invoice_number] = Invoice(
        document_number=invoice_number,
        customer_number=customer.number,
        customer_name=customer.name,
        invoice_date=day,
        due_date=day + timedelta(days=30),
        currency="SEK",
        currency_rate="1",
        rows=[],  # a draft just opened: real Fortnox sends "InvoiceRows": []
        net=0,
        total_vat=0,
        total=0,
        balance=0,
        ocr="",
        booked=False,
        sent=False,
        last_modified=stamp,
    )
    center_code = f"T{day.strftime('%m%d')}"
    company.cost_centers[center_code] = CostCenter(
        center_code, f"Tillfälligt {day.isoformat()}", created=day
    )
    project_number = f"9{day.strftime('%y%m%d')}"
    company.projects[project_number] = Project(
        number=project_number,
        description=f"Förstudie {day.isoformat()}",
        status="NOTSTARTED",
        start_date=day + timedelta(days=60),
        last_modified=stamp,
        created=day,
    )
    article_number = str(registers.next_document["articles"])
    registers.next_document["articles"] += 1
    registers.articles[article_number] = Article(
        number=article_number,
        description=f"Provartikel {day.isoformat()}",
        unit="st",
        sales_price=10_000,
        purchase_price=6_000,
        vat_percent=25,
        account=3001,
        last_modified=stamp,
    )
    registers.to_delete = {
        "invoice": str(invoice_number),
        "customer": customer_number,
        "cost_center": center_code,
        "project": project_number,
        "article": article_number,
    }
    counts["new_draft_invoices"] = 1
    counts["to_delete_tomorrow"] = len(registers.to_delete)
    return counts
