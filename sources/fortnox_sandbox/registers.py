"""The registers around the books: articles, orders, offers, price lists and prices, tax
reductions, currencies, terms of payment, units, contracts, and the archive and inbox (metadata).

They hang together with the books: articles are the products the company invoices (same
descriptions, accounts and VAT rates), orders and offers go to the company's customers with
those articles, price list A is the one every customer uses, contracts are its support
agreements, currencies carry the EUR rate of the invoices, and the inbox holds the supplier
invoices' scans. Generated once per company from the seed (`ensure_registers`) and moved on
each business day by `registers_day` (`daily.py`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Final

from sources.fortnox_sandbox.business import STOCKHOLM, euro_rate
from sources.fortnox_sandbox.catalogue import DOMESTIC_PRODUCTS, EXPORT_PRODUCTS
from sources.fortnox_sandbox.model import Company

UNITS: Final = (("st", "Styck", "pcs"), ("h", "Timme", "hour"), ("mån", "Månad", "month"))
TERMS_OF_PAYMENT: Final = (10, 15, 20, 30, 60)


@dataclass(slots=True)
class Article:
    """An article: one of the products the company invoices."""

    number: str
    description: str
    unit: str
    sales_price: int  # öre, excluding VAT
    purchase_price: int
    vat_percent: int
    account: int
    quantity_in_stock: int = 0
    webshop: bool = False
    last_modified: datetime | None = None


@dataclass(slots=True)
class DocumentRow:
    """A row of an order or offer (an article at a quantity)."""

    article_number: str
    description: str
    quantity: int
    price: int
    vat_percent: int
    account: int
    unit: str


@dataclass(slots=True)
class SalesDocument:
    """An order or an offer."""

    document_number: int
    customer_number: str
    customer_name: str
    document_date: date
    currency: str
    rows: list[DocumentRow]
    cancelled: bool = False
    sent: bool = True
    project: str = ""
    delivery_date: date | None = None
    last_modified: datetime | None = None

    @property
    def total(self) -> int:
        """Incl. VAT, öre."""
        return sum(row.quantity * row.price * (100 + row.vat_percent) // 100 for row in self.rows)


@dataclass(slots=True)
class Contract:
    """A support agreement invoiced monthly."""

    document_number: int
    customer_number: str
    customer_name: str
    period_start: date
    period_end: date
    monthly: int  # öre excl. VAT
    status: str = "ACTIVE"
    last_modified: datetime | None = None


@dataclass(slots=True)
class TaxReduction:
    """A ROT/RUT tax reduction claimed on an invoice."""

    id: int
    customer_name: str
    reference_number: int
    social_security_number: str
    approved_amount: int
    reference_document_type: str = "INVOICE"


@dataclass(slots=True)
class ArchiveFile:
    """File metadata in the archive or inbox (never the bytes)."""

    id: str
    name: str
    folder: str  # "" = root, else a subfolder name
    size: int
    comments: str = ""


@dataclass
class Registers:
    """Everything in this module for one company."""

    articles: dict[str, Article]
    orders: dict[int, SalesDocument]
    offers: dict[int, SalesDocument]
    price_lists: dict[str, tuple[str, str, bool]]  # code -> (description, comments, preselected)
    prices: dict[tuple[str, str], int]  # (price list, article) -> öre
    tax_reductions: dict[int, TaxReduction]
    units: dict[str, tuple[str, str]]  # code -> (description, English)
    terms_of_payment: dict[str, str]  # code -> description
    contracts: dict[int, Contract]
    archive: dict[str, ArchiveFile]
    inbox: dict[str, ArchiveFile]
    next_document: dict[str, int] = field(default_factory=dict)
    # What the previous business day created to be deleted the next (kind -> key).
    to_delete: dict[str, str] = field(default_factory=dict)


def _stamp(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(8 + rng.randint(0, 9), rng.randint(0, 59)), STOCKHOLM)


def _rows(rng: random.Random, articles: list[Article]) -> list[DocumentRow]:
    return [
        DocumentRow(a.number, a.description, rng.randint(1, 10), a.sales_price, a.vat_percent,
                    a.account, a.unit)
        for a in rng.sample(articles, k=rng.randint(1, 3))
    ]  # fmt: skip


def ensure_registers(company: Company, seed: int) -> Registers:
    """The company's registers, generated once (deterministic from seed and company)."""
    if company.registers is None:
        company.registers = _generate(company, seed)
    registers: Registers = company.registers
    return registers


def _generate(company: Company, seed: int) -> Registers:
    rng = random.Random(f"{seed}:{company.database_number}:registers")
    first_day = min(year.from_date for year in company.financial_years)
    today = company.business_date
    articles: dict[str, Article] = {}
    for position, product in enumerate((*DOMESTIC_PRODUCTS, *EXPORT_PRODUCTS), start=1):
        text = product.description.lower()
        unit = "h" if "timmar" in text or "consulting" in text else (
            "mån" if "månad" in text or "monthly" in text else "st"
        )  # fmt: skip
        price = (product.min_price + product.max_price) // 2 // 100 * 100
        articles[str(position)] = Article(
            number=str(position),
            description=product.description,
            unit=unit,
            sales_price=price,
            purchase_price=price * 6 // 10 // 100 * 100,
            vat_percent=product.vat_percent,
            account=product.account,
            quantity_in_stock=rng.randint(0, 40) if unit == "st" else 0,
            last_modified=_stamp(first_day + timedelta(days=rng.randint(0, 60)), rng),
        )
    catalogue = list(articles.values())
    customers = [c for c in company.customers.values() if c.active]
    documents: dict[str, dict[int, SalesDocument]] = {"orders": {}, "offers": {}}
    for kind, count in (("orders", 12), ("offers", 8)):
        for number in range(1, count + 1):
            customer = rng.choice(customers)
            day = today - timedelta(days=rng.randint(1, 120))
            documents[kind][number] = SalesDocument(
                document_number=number,
                customer_number=customer.number,
                customer_name=customer.name,
                document_date=day,
                currency=customer.currency,
                rows=_rows(rng, catalogue),
                cancelled=rng.random() < 0.1,
                sent=rng.random() < 0.8,
                delivery_date=day + timedelta(days=14) if kind == "orders" else None,
                last_modified=_stamp(day, rng),
            )
    prices = {("A", a.number): a.sales_price for a in catalogue}
    prices.update({("B", a.number): a.sales_price * 9 // 10 // 100 * 100 for a in catalogue})
    booked = sorted(
        (i for i in company.invoices.values() if i.booked and not i.credit and i.currency == "SEK"),
        key=lambda invoice: invoice.document_number,
    )
    tax_reductions = {
        index: TaxReduction(
            id=index,
            customer_name=invoice.customer_name,
            reference_number=invoice.document_number,
            social_security_number=f"19{rng.randint(50, 99)}{rng.randint(1, 12):02d}"
            f"{rng.randint(1, 28):02d}-{rng.randint(1000, 9999)}",
            approved_amount=min(invoice.net * 3 // 10, 5_000_000) // 100 * 100,
        )
        for index, invoice in enumerate(booked[-3:], start=1)
    }
    support = [c for c in customers if c.currency == "SEK"][:4]
    contracts = {
        number: Contract(
            document_number=number,
            customer_number=customer.number,
            customer_name=customer.name,
            period_start=date(today.year, 1, 1),
            period_end=date(today.year, 12, 31),
            monthly=rng.randint(15, 90) * 10_000,
            last_modified=_stamp(date(today.year, 1, 1), rng),
        )
        for number, customer in enumerate(support, start=1)
    }
    inbox = {
        f"in-{invoice.given_number}": ArchiveFile(
            id=f"in-{invoice.given_number}",
            name=f"faktura_{invoice.supplier_number}_{invoice.invoice_number}.pdf",
            folder="inbox_s",
            size=rng.randint(40_000, 400_000),
        )
        for invoice in list(company.supplier_invoices.values())[-5:]
    }
    archive = {
        f"ar-{year.id}": ArchiveFile(
            id=f"ar-{year.id}",
            name=f"bokslut_{year.from_date.year}.pdf",
            folder="Bokslut",
            size=rng.randint(100_000, 900_000),
            comments=f"Räkenskapsår {year.from_date.year}",
        )
        for year in company.financial_years
        if year.to_date < today
    }
    archive["ar-avtal"] = ArchiveFile("ar-avtal", "hyresavtal.pdf", "", 250_000, "Lokalhyra")
    return Registers(
        articles=articles,
        orders=documents["orders"],
        offers=documents["offers"],
        price_lists={
            "A": ("Standardprislista", "", True),
            "B": ("Avtalskunder", "10 % rabatt", False),
        },
        prices=prices,
        tax_reductions=tax_reductions,
        units={code: (text, english) for code, text, english in UNITS},
        terms_of_payment={str(days): f"{days} dagar netto" for days in TERMS_OF_PAYMENT},
        contracts=contracts,
        archive=archive,
        inbox=inbox,
        next_document={"orders": 13, "offers": 9, "articles": len(articles) + 1},
    )


def euro_today(company: Company) -> str:
    """The EUR rate of the business date (the rate the day's EUR invoices use)."""
    return euro_rate(company.business_date)
