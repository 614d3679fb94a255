"""One day of business for a sandbox company, used both to generate the books and to advance them.

Each day books what a Swedish services company books: customer invoices (series C) and their
payments (D), supplier invoices (B) and payments (E), and in series A payroll, tax and VAT
settlements, bank fees, depreciation, loan interest, year-end closing and the deliberate
reconciliation differences. Payments are planned when an invoice is created and kept in
`company.simulation`, so a later `advance` continues the same business deterministically.
"""

from __future__ import annotations

import itertools
import random
from bisect import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sources.fortnox_sandbox import chart
from sources.fortnox_sandbox.catalogue import (
    CORRECTION_ACCOUNTS,
    DOMESTIC_PRODUCTS,
    EXPORT_PRODUCTS,
    RENT,
    CostItem,
    Product,
)
from sources.fortnox_sandbox.model import (
    Company,
    DeliberateDifference,
    FinancialYear,
    Invoice,
    InvoicePayment,
    InvoiceRow,
    SupplierInvoice,
    SupplierInvoicePayment,
    SupplierInvoiceRow,
    Voucher,
    VoucherRow,
)
from sources.fortnox_sandbox.money import to_sek
from sources.fortnox_sandbox.names import ocr_reference

STOCKHOLM = ZoneInfo("Europe/Stockholm")

EMPLOYEE_TAX_RATE = 0.31  # preliminary income tax withheld from gross salary
SOCIAL_FEE_RATE = 0.3142  # arbetsgivaravgifter
CORPORATE_TAX_RATE = 0.206
INVOICE_LINE_COUNTS = (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15)
SUPPLIER_LINE_COUNTS = (1, 2, 3, 3, 4, 5, 6, 8)
SALES_COST_CENTERS = ("KONS", "KONS", "SÄLJ", "UTV", "PROD")
PURCHASE_COST_CENTERS = ("ADM", "ADM", "SÄLJ", "KONS", "PROD", "UTV")
DOMESTIC_WEIGHTS = tuple(itertools.accumulate(p.weight for p in DOMESTIC_PRODUCTS))
EXPORT_WEIGHTS = tuple(itertools.accumulate(p.weight for p in EXPORT_PRODUCTS))
RECLASSIFIABLE_ACCOUNTS = tuple(a for a in CORRECTION_ACCOUNTS if 4000 <= a < 7000)
T = TypeVar("T")

# Planned events: (kind, document number, amount). Kinds: AR / AP payments, CREDIT notes.
PlannedEvent = tuple[str, int, int]
# A scheduled manual voucher: (text, rows as (account, amount debit-positive)).
ManualVoucher = tuple[str, tuple[tuple[int, int], ...]]
# A scheduled deliberate difference: (ledger, amount on the ledger account, counter account, text).
PlannedDifference = tuple[str, int, int, str]


@dataclass(slots=True)
class AdvanceSummary:
    """What one business day added or changed (counts), returned by `advance_business_day`."""

    business_date: date
    new_invoices: int = 0
    modified_invoices: int = 0
    new_invoice_payments: int = 0
    new_supplier_invoices: int = 0
    modified_supplier_invoices: int = 0
    new_supplier_invoice_payments: int = 0
    new_vouchers: int = 0
    new_financial_years: int = 0


@dataclass(slots=True)
class SimulationState:
    """The generator's running bookkeeping for one company (stored in `Company.simulation`)."""

    customer_invoices_per_weekday: float
    supplier_invoices_per_weekday: float
    supplier_amount_factor: float
    monthly_rent: int
    monthly_salaries: dict[str, int]  # gross per cost centre, öre
    monthly_depreciation: int
    monthly_interest: int
    customer_numbers: list[str]
    customer_cum_weights: list[float]
    supplier_numbers: list[str]
    supplier_items: dict[str, tuple[CostItem, ...]]
    landlord: str
    users: list[str]
    correction_rate: float
    draft_after: date | None = None
    next_invoice: int = 1
    next_invoice_payment: int = 1
    next_supplier_invoice: int = 1
    next_supplier_payment: int = 1
    next_voucher: dict[tuple[int, str], int] = field(default_factory=dict)
    vat_month: dict[int, int] = field(default_factory=dict)
    planned: dict[date, list[PlannedEvent]] = field(default_factory=dict)
    manual: dict[date, list[ManualVoucher]] = field(default_factory=dict)
    differences: dict[date, list[PlannedDifference]] = field(default_factory=dict)


def day_random(seed: int, company: Company, day: date) -> random.Random:
    """The random stream of one company's business day: the same day always books the same."""
    return random.Random(f"{seed}:{company.database_number}:{day.isoformat()}")


def euro_rate(day: date) -> str:
    """A deterministic EUR/SEK rate for `day` (about 11.0-11.7), four decimals like Fortnox.

    Integer triangle waves, not floating-point trigonometry, so every platform agrees.
    """
    ordinal = day.toordinal()
    slow = abs(ordinal % 290 - 145) - 72  # -72 .. 73 over about ten months
    fast = abs(ordinal % 19 - 9) - 4  # -4 .. 5 over a few weeks
    rate = 113_500 + slow * 40 + fast * 90  # in 1/10000 SEK
    return f"{rate // 10_000}.{rate % 10_000:04d}"


def month_end(day: date) -> date:
    """Last day of `day`'s month."""
    first_next = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first_next - timedelta(days=1)


def months_after(day: date, months: int, on_day: int) -> date:
    """The `on_day`th of the month `months` months after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, on_day)


def next_banking_day(day: date) -> date:
    """`day`, or the Monday after it when it falls on a weekend (banks book on weekdays)."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def salary_day(day: date) -> date:
    """The month's pay day: the 25th, or the last weekday before it, as Swedish payrolls do."""
    payday = day.replace(day=25)
    while payday.weekday() >= 5:
        payday -= timedelta(days=1)
    return payday


def _row(account: int, amount: int, cost_center: str = "", project: str = "") -> VoucherRow:
    """A voucher row from a debit-positive amount (the sign picks the debit or credit column)."""
    if amount >= 0:
        return VoucherRow(account, amount, 0, "", cost_center, project)
    return VoucherRow(account, 0, -amount, "", cost_center, project)


@dataclass(slots=True)
class InvoicePricing:
    """An invoice's rows summed the way Fortnox books them, so invoice and credit note agree.

    Attributes:
        net_by_key: net per (account, cost centre, project): the voucher's sales rows.
        vat_by_rate: VAT per rate, each rounded once on its rate's net (not per line).
        net: the invoice's net in its currency (öre).
        total_vat: the sum of `vat_by_rate`.
        total: net plus VAT, the invoice's total and its balance when created.
    """

    net_by_key: dict[tuple[int, str, str], int]
    vat_by_rate: dict[int, int]
    net: int
    total_vat: int
    total: int


def _price_invoice_rows(rows: list[InvoiceRow]) -> InvoicePricing:
    """Group an invoice's rows by booking key and VAT rate and compute its totals."""
    net_by_key: dict[tuple[int, str, str], int] = {}
    net_by_rate: dict[int, int] = {}
    key_net = net_by_key.get  # bound once: this runs for every invoice of a large book
    rate_net = net_by_rate.get
    for row in rows:
        line_net = row.quantity * row.price
        key = (row.account, row.cost_center, row.project)
        net_by_key[key] = key_net(key, 0) + line_net
        net_by_rate[row.vat_percent] = rate_net(row.vat_percent, 0) + line_net
    vat_by_rate = {rate: _vat(net, rate) for rate, net in net_by_rate.items()}
    net = sum(net_by_rate.values())
    total_vat = sum(vat_by_rate.values())
    return InvoicePricing(net_by_key, vat_by_rate, net, total_vat, net + total_vat)


def _link_voucher(document: Invoice | SupplierInvoice, voucher: Voucher) -> None:
    """Point an invoice at the voucher that booked it (Fortnox's VoucherSeries/Number/Year)."""
    document.voucher_series = voucher.series
    document.voucher_number = voucher.number
    document.voucher_year = voucher.financial_year_id


def _between(random_value: float, low: int, high: int) -> int:
    """An integer in [low, high] from one `random()` draw (several times cheaper than randint)."""
    return low + int(random_value * (high - low + 1))


def _pick(random_value: float, choices: Sequence[T]) -> T:
    """One element of `choices` from one `random()` draw."""
    return choices[int(random_value * len(choices))]


def _vat(net: int, percent: int) -> int:
    """VAT on `net` öre at `percent`, rounded half away from zero to whole öre."""
    magnitude = (abs(net) * percent + 50) // 100
    return magnitude if net >= 0 else -magnitude


class BusinessDay:
    """Books one day of business into a company; `run()` returns what it did.

    Args:
        company: the books to extend; `company.simulation` must hold a `SimulationState`.
        day: the date being booked (the new business date).
        rng: this day's random stream (see `day_random`).
        clock: when set (advance), every created or modified record is stamped with it;
            otherwise (generation) stamps are drawn within office hours of `day`.
        registration_horizon: latest registration date a voucher may carry.
        ensure_activity: book at least one new invoice and one invoice payment (advance).
    """

    def __init__(
        self,
        company: Company,
        day: date,
        rng: random.Random,
        clock: Callable[[], datetime] | None = None,
        registration_horizon: date | None = None,
        ensure_activity: bool = False,
    ) -> None:
        self.company = company
        self.state: SimulationState = company.simulation
        self.day = day
        self.rng = rng
        self.clock = clock
        self.horizon = registration_horizon or day
        self.ensure_activity = ensure_activity
        self._active_projects: list[str] | None = None
        self.summary = AdvanceSummary(business_date=day)
        self.modified_invoices: set[int] = set()
        self.modified_supplier_invoices: set[int] = set()
        self.financial_year = self._financial_year_for(day)

    # -- infrastructure ---------------------------------------------------------------------

    @property
    def active_projects(self) -> list[str]:
        """Projects running today (started, not ended, not waiting to start), for row tags."""
        if self._active_projects is None:
            day = self.day
            self._active_projects = [
                number
                for number, project in self.company.projects.items()
                if project.status != "NOTSTARTED"
                and (project.start_date is None or project.start_date <= day)
                and (project.end_date is None or day <= project.end_date)
            ] or list(self.company.projects)
        return self._active_projects

    def _financial_year_for(self, day: date) -> FinancialYear:
        """The year containing `day`, opening a new calendar-length one after the last."""
        years = self.company.financial_years
        for financial_year in reversed(years):
            if financial_year.from_date <= day <= financial_year.to_date:
                return financial_year
        last = years[-1]
        if day < last.from_date:
            raise ValueError(f"{day} is before the company's first financial year")
        new_year = FinancialYear(
            id=last.id + 1,
            from_date=last.to_date + timedelta(days=1),
            to_date=last.to_date.replace(year=last.to_date.year + 1),
        )
        years.append(new_year)
        self.company.vouchers.setdefault(new_year.id, [])
        self.company.opening_balances.setdefault(new_year.id, {})
        self.summary.new_financial_years += 1
        return new_year

    def stamp(self) -> datetime:
        """The last-modified time of a record touched today (aware, Europe/Stockholm)."""
        if self.clock is not None:
            return self.clock()
        minute = _between(self.rng.random(), 7 * 60 + 30, 18 * 60 - 1)
        return datetime.combine(self.day, time(minute // 60, minute % 60), STOCKHOLM)

    def voucher(
        self,
        series: str,
        description: str,
        reference_type: str,
        reference_number: str,
        rows: list[VoucherRow],
        registration_date: date | None = None,
    ) -> Voucher:
        """Book a voucher on today's date with the next number of its series in today's year."""
        financial_year = self.financial_year
        key = (financial_year.id, series)
        number = self.state.next_voucher.get(key, 1)
        self.state.next_voucher[key] = number + 1
        registered = registration_date or self.day
        voucher = Voucher(
            series=series,
            number=number,
            financial_year_id=financial_year.id,
            transaction_date=self.day,
            description=description,
            reference_type=reference_type,
            reference_number=reference_number,
            registration_date=min(max(registered, self.day), max(self.horizon, self.day)),
            rows=rows,
        )
        self.company.vouchers[financial_year.id].append(voucher)
        self.summary.new_vouchers += 1
        return voucher

    def maybe_correct(self, voucher: Voucher) -> None:
        """Now and then strike one P&L row and book its replacement, as a later correction would.

        Only result accounts are touched (never 1510, 2440 or VAT), and the replacement carries
        the same amount, so the voucher still balances and the subledgers still reconcile.
        """
        rng = self.rng
        if rng.random() >= self.state.correction_rate:
            return
        candidates = [
            index
            for index, row in enumerate(voucher.rows)
            if row.account in CORRECTION_ACCOUNTS and not row.removed
        ]
        if not candidates:
            return
        original = voucher.rows[_pick(rng.random(), candidates)]
        original.removed = True
        user = _pick(rng.random(), self.state.users)
        original.changed_by = user
        cost_centers = list(self.company.cost_centers)
        if rng.random() < 0.5 or not cost_centers:
            account = _pick(rng.random(), CORRECTION_ACCOUNTS[original.account])
            cost_center = original.cost_center
        else:
            account = original.account
            choices = [code for code in cost_centers if code != original.cost_center]
            cost_center = _pick(rng.random(), choices)
        voucher.rows.append(
            VoucherRow(
                account,
                original.debit,
                original.credit,
                original.description,
                cost_center,
                original.project,
                added_later=True,
                changed_by=user,
            )
        )

    # -- the day ------------------------------------------------------------------------------

    def run(self) -> AdvanceSummary:
        """Book everything that happens on this day, in the order an office would."""
        day = self.day
        state = self.state
        weekday = day.weekday() < 5
        if day.day == 1:
            self.rent_invoice()
        for kind, document_number, amount in state.planned.pop(day, []):
            if kind == "AR":
                self.customer_payment(document_number, amount)
            elif kind == "AP":
                self.supplier_payment(document_number, amount)
            elif kind == "CREDIT":
                self.credit_note(document_number)
        if weekday:
            for _ in range(self._draw(state.customer_invoices_per_weekday)):
                self.customer_invoice()
            for _ in range(self._draw(state.supplier_invoices_per_weekday)):
                self.supplier_invoice()
        if state.draft_after is not None and day == self.horizon:
            self.customer_invoice(draft=True)  # the generated books end with a draft open
        if self.ensure_activity:
            self._ensure_activity()
        for text, amounts in state.manual.pop(day, []):
            self.voucher("A", text, "MANUAL", "", [_row(a, x) for a, x in amounts if x])
        for planned_difference in state.differences.pop(day, []):
            self.deliberate_difference(*planned_difference)
        if day.day == 15 and day.month % 3 == 0:
            self.reclassification()
        if day == salary_day(day):
            self.payroll()
        if day == month_end(day):
            self.month_end_closing()
            if day == self.financial_year.to_date:
                self.year_end_closing()
        self.summary.modified_invoices = len(self.modified_invoices)
        self.summary.modified_supplier_invoices = len(self.modified_supplier_invoices)
        return self.summary

    def _ensure_activity(self) -> None:
        """Guarantee a new invoice and a modified one, so every advanced day has changes."""
        if self.summary.new_invoices == 0:
            self.customer_invoice()
        if self.modified_invoices:
            return
        for invoice in self.company.invoices.values():
            if (
                invoice.booked
                and not invoice.cancelled
                and invoice.balance > 0
                and invoice.currency == "SEK"
                and invoice.invoice_date < self.day
            ):
                self.customer_payment(invoice.document_number, invoice.balance)
                return

    def _draw(self, rate: float) -> int:
        """An integer count with mean `rate` (the fractional part decides one extra)."""
        whole = int(rate)
        return whole + (1 if self.rng.random() < rate - whole else 0)

    def _plan(self, when: date, event: PlannedEvent) -> None:
        """Schedule a payment or credit note; weekends roll forward to Monday like a bank."""
        self.state.planned.setdefault(next_banking_day(when), []).append(event)

    # -- customer side ------------------------------------------------------------------------

    def customer_invoice(self, draft: bool = False) -> Invoice:
        """Create, book (series C) and plan the payment of one customer invoice.

        Args:
            draft: leave it unbooked and unsent (a draft someone is still working on).
        """
        rng = self.rng
        state = self.state
        company = self.company
        weights = state.customer_cum_weights
        customer_number = state.customer_numbers[bisect(weights, rng.random() * weights[-1])]
        customer = company.customers[customer_number]
        export = customer.currency != "SEK"
        products: tuple[Product, ...] = EXPORT_PRODUCTS if export else DOMESTIC_PRODUCTS
        random_value = rng.random
        line_count = _pick(random_value(), INVOICE_LINE_COUNTS)
        product_weights = EXPORT_WEIGHTS if export else DOMESTIC_WEIGHTS
        lines = rng.choices(products, cum_weights=product_weights, k=line_count)
        cost_center = _pick(random_value(), SALES_COST_CENTERS)
        projects = self.active_projects
        project = _pick(random_value(), projects) if random_value() < 0.4 else ""
        rows: list[InvoiceRow] = []
        for product in lines:
            # Consultancies invoice several projects and departments on one invoice; Fortnox
            # books one voucher row per (account, cost centre, project), as grouped below.
            line_cc = cost_center
            if random_value() < 0.5:
                line_cc = _pick(random_value(), SALES_COST_CENTERS)
            line_project = project
            if project and random_value() < 0.4:
                line_project = _pick(random_value(), projects)
            rows.append(
                InvoiceRow(
                    product.description,
                    product.account,
                    _between(random_value(), 1, product.max_quantity),
                    _between(random_value(), product.min_price // 100, product.max_price // 100)
                    * 100,
                    product.vat_percent,
                    line_cc,
                    line_project,
                )
            )
        pricing = _price_invoice_rows(rows)
        number = state.next_invoice
        state.next_invoice += 1
        currency_rate = euro_rate(self.day) if export else "1"
        invoice = Invoice(
            document_number=number,
            customer_number=customer.number,
            customer_name=customer.name,
            invoice_date=self.day,
            due_date=self.day + timedelta(days=customer.terms_of_payment),
            currency=customer.currency,
            currency_rate=currency_rate,
            rows=rows,
            net=pricing.net,
            total_vat=pricing.total_vat,
            total=pricing.total,
            balance=pricing.total,
            ocr=ocr_reference(number),
            cost_center=cost_center,
            project=project,
            terms_of_payment=customer.terms_of_payment,
            last_modified=self.stamp(),
        )
        company.invoices[number] = invoice
        self.summary.new_invoices += 1
        if rng.random() < 0.02 and not draft:
            invoice.cancelled = True
            invoice.booked = False
            invoice.sent = False
            return invoice
        recent = state.draft_after is not None and self.day > state.draft_after
        if draft or (recent and rng.random() < 0.3):
            invoice.booked = False
            invoice.sent = False
            return invoice
        self._book_customer_invoice(invoice, pricing)
        self._plan_customer_payments(invoice)
        return invoice

    def _book_customer_invoice(self, invoice: Invoice, pricing: InvoicePricing) -> None:
        """Book an invoice or credit note: 1510 against sales per account and VAT per rate."""
        rate = invoice.currency_rate
        total_sek = to_sek(invoice.total, rate)
        rows = [_row(chart.RECEIVABLES, total_sek)]
        vat_rows: list[VoucherRow] = []
        vat_month = self.state.vat_month
        for vat_percent, vat in pricing.vat_by_rate.items():
            if vat_percent == 0 or vat == 0:
                continue
            vat_account = chart.OUTPUT_VAT_BY_RATE[vat_percent]
            vat_sek = to_sek(vat, rate)
            vat_rows.append(_row(vat_account, -vat_sek))
            vat_month[vat_account] = vat_month.get(vat_account, 0) - vat_sek
        remaining = total_sek + sum(row.debit - row.credit for row in vat_rows)
        net_by_key = pricing.net_by_key
        keys = list(net_by_key)
        for index, key in enumerate(keys):
            amount = to_sek(net_by_key[key], rate)
            if index == len(keys) - 1:
                amount = remaining  # the rounding of a converted invoice lands on its last row
            remaining -= amount
            account, cost_center, project = key
            rows.append(_row(account, -amount, cost_center, project))
        rows.extend(vat_rows)
        kind = "Kreditfaktura" if invoice.credit else "Kundfaktura"
        voucher = self.voucher(
            "C",
            f"{kind} {invoice.document_number}, {invoice.customer_name}",
            "INVOICE",
            str(invoice.document_number),
            rows,
        )
        self.maybe_correct(voucher)
        _link_voucher(invoice, voucher)

    def _plan_customer_payments(self, invoice: Invoice) -> None:
        """Decide when (and whether) the customer pays: on time, late, in parts, or never."""
        rng = self.rng
        due = invoice.due_date
        number = invoice.document_number
        total = invoice.total
        roll = rng.random()
        if roll < 0.04:
            return  # never paid: stays open and becomes overdue
        if invoice.currency != "SEK":
            self._plan(due + timedelta(days=_between(rng.random(), -6, 20)), ("AR", number, total))
            return
        if roll < 0.12:
            first = (total * _between(rng.random(), 30, 70) // 100) // 100 * 100
            first_date = due + timedelta(days=_between(rng.random(), -3, 10))
            self._plan(first_date, ("AR", number, first))
            if rng.random() < 0.85:
                last_date = first_date + timedelta(days=_between(rng.random(), 12, 60))
                self._plan(last_date, ("AR", number, total - first))
                self._maybe_plan_credit(number, last_date)
            return
        if roll < 0.25:
            paid = due + timedelta(days=_between(rng.random(), 8, 70))
        else:
            paid = due + timedelta(days=_between(rng.random(), -10, 4))
        paid = max(paid, invoice.invoice_date + timedelta(days=1))
        self._plan(paid, ("AR", number, total))
        self._maybe_plan_credit(number, paid)

    def _maybe_plan_credit(self, number: int, paid: date) -> None:
        """Some fully paid invoices are later credited (a complaint, a price adjustment)."""
        if self.rng.random() < 0.035:
            self._plan(
                paid + timedelta(days=_between(self.rng.random(), 5, 45)), ("CREDIT", number, 0)
            )

    def customer_payment(self, document_number: int, amount: int) -> InvoicePayment | None:
        """Book a payment (or a refund, when negative) of an invoice in series D."""
        invoice = self.company.invoices[document_number]
        if invoice.cancelled or not invoice.booked:
            return None
        if (amount > 0 and amount > invoice.balance) or (amount < 0 and amount < invoice.balance):
            amount = invoice.balance
        if amount == 0:
            return None
        state = self.state
        number = state.next_invoice_payment
        state.next_invoice_payment += 1
        if invoice.currency == "SEK":
            payment_rate = "1"
            bank = ledger = amount
            rows = [_row(chart.BANK, bank), _row(chart.RECEIVABLES, -ledger)]
        else:
            payment_rate = euro_rate(self.day)
            bank = to_sek(amount, payment_rate)
            ledger = to_sek(amount, invoice.currency_rate)
            rows = [_row(chart.BANK, bank), _row(chart.RECEIVABLES, -ledger)]
            difference = bank - ledger
            if difference > 0:
                rows.append(_row(chart.CURRENCY_GAIN, -difference))
            elif difference < 0:
                rows.append(_row(chart.CURRENCY_LOSS, -difference))
        text = "Återbetalning" if amount < 0 else "Inbetalning"
        voucher = self.voucher(
            "D",
            f"{text} faktura {document_number}, {invoice.customer_name}",
            "INVOICEPAYMENT",
            str(number),
            rows,
        )
        stamp = self.stamp()
        payment = InvoicePayment(
            number=number,
            invoice_number=document_number,
            amount=amount,
            amount_sek=bank,
            currency=invoice.currency,
            currency_rate=payment_rate,
            payment_date=self.day,
            voucher_series=voucher.series,
            voucher_number=voucher.number,
            voucher_year=voucher.financial_year_id,
            last_modified=stamp,
        )
        self.company.invoice_payments[number] = payment
        self._settle(invoice, amount, stamp)
        self.modified_invoices.add(document_number)
        self.summary.new_invoice_payments += 1
        return payment

    def _settle(self, invoice: Invoice | SupplierInvoice, amount: int, stamp: datetime) -> None:
        """Apply a payment to an invoice's balance; reaching zero sets the final pay date."""
        invoice.balance -= amount
        if invoice.balance == 0:
            invoice.final_pay_date = self.day
        invoice.last_modified = stamp

    def credit_note(self, original_number: int) -> Invoice | None:
        """Credit a fully paid SEK invoice with a negative invoice, refunded later or left open."""
        original = self.company.invoices[original_number]
        if original.balance != 0 or original.currency != "SEK" or original.credit:
            return None
        if original.credit_invoice_reference is not None:
            return None
        state = self.state
        number = state.next_invoice
        state.next_invoice += 1
        rows = [
            InvoiceRow(
                r.description,
                r.account,
                -r.quantity,
                r.price,
                r.vat_percent,
                r.cost_center,
                r.project,
            )
            for r in original.rows
        ]
        pricing = _price_invoice_rows(rows)
        stamp = self.stamp()
        credit = Invoice(
            document_number=number,
            customer_number=original.customer_number,
            customer_name=original.customer_name,
            invoice_date=self.day,
            due_date=self.day + timedelta(days=original.terms_of_payment),
            currency="SEK",
            currency_rate="1",
            rows=rows,
            net=pricing.net,
            total_vat=pricing.total_vat,
            total=pricing.total,
            balance=pricing.total,
            ocr=ocr_reference(number),
            credit=True,
            credit_invoice_reference=original_number,
            cost_center=original.cost_center,
            project=original.project,
            terms_of_payment=original.terms_of_payment,
            last_modified=stamp,
        )
        self.company.invoices[number] = credit
        self.summary.new_invoices += 1
        self._book_customer_invoice(credit, pricing)
        original.credit_invoice_reference = number
        original.last_modified = stamp
        self.modified_invoices.add(original_number)
        if self.rng.random() < 0.75:
            refund_day = self.day + timedelta(days=_between(self.rng.random(), 5, 30))
            self._plan(refund_day, ("AR", number, credit.total))
        return credit

    # -- supplier side ------------------------------------------------------------------------

    def supplier_invoice(self, supplier_number: str | None = None, amount: int = 0) -> None:
        """Register and book (series B) one supplier invoice and plan its payment."""
        rng = self.rng
        state = self.state
        if supplier_number is None:
            supplier_number = _pick(rng.random(), state.supplier_numbers)
        supplier = self.company.suppliers[supplier_number]
        items = state.supplier_items[supplier_number]
        random_value = rng.random
        line_count = 1 if amount else _pick(random_value(), SUPPLIER_LINE_COUNTS)
        cost_rows: list[SupplierInvoiceRow] = []
        vat = 0
        cost_center = _pick(random_value(), PURCHASE_COST_CENTERS)
        project = _pick(random_value(), self.active_projects) if random_value() < 0.2 else ""
        factor = state.supplier_amount_factor
        for _ in range(line_count):
            item = items[0] if amount else _pick(random_value(), items)
            if amount:
                net = amount
            else:
                raw = _between(random_value(), item.min_net // 100, item.max_net // 100) * 100
                net = max(100, int(raw * factor) // 100 * 100)
            line_cc = cost_center
            if random_value() >= 0.6:
                line_cc = _pick(random_value(), PURCHASE_COST_CENTERS)
            cost_rows.append(
                SupplierInvoiceRow(item.account, net, 0, item.description, line_cc, project)
            )
            vat += _vat(net, item.vat_percent)
        net_total = sum(row.debit for row in cost_rows)
        total = net_total + vat
        given = state.next_supplier_invoice
        state.next_supplier_invoice += 1
        booking_rows = [SupplierInvoiceRow(chart.PAYABLES, 0, total, supplier.name)]
        booking_rows.extend(cost_rows)
        if vat:
            booking_rows.append(SupplierInvoiceRow(chart.INPUT_VAT, vat, 0, "Ingående moms"))
        invoice = SupplierInvoice(
            given_number=given,
            supplier_number=supplier.number,
            supplier_name=supplier.name,
            invoice_number=str(_between(rng.random(), 10_000, 999_999)),
            invoice_date=self.day,
            due_date=self.day + timedelta(days=supplier.terms_of_payment),
            currency="SEK",
            currency_rate="1",
            rows=booking_rows,
            total=total,
            vat=vat,
            balance=total,
            ocr=ocr_reference(_between(rng.random(), 100_000, 9_999_999)),
            cost_center=cost_center,
            project=project,
            last_modified=self.stamp(),
        )
        self.company.supplier_invoices[given] = invoice
        self.summary.new_supplier_invoices += 1
        voucher_rows = [
            _row(r.account, r.debit - r.credit, r.cost_center, r.project) for r in booking_rows
        ]
        if vat:
            self.state.vat_month[chart.INPUT_VAT] = (
                self.state.vat_month.get(chart.INPUT_VAT, 0) + vat
            )
        voucher = self.voucher(
            "B",
            f"Leverantörsfaktura {given}, {supplier.name}",
            "SUPPLIERINVOICE",
            str(given),
            voucher_rows,
            registration_date=self.day + timedelta(days=_between(rng.random(), 0, 4)),
        )
        self.maybe_correct(voucher)
        _link_voucher(invoice, voucher)
        self._plan_supplier_payments(invoice)

    def _plan_supplier_payments(self, invoice: SupplierInvoice) -> None:
        """Most suppliers are paid on the due date; a few late, in two parts, or not yet."""
        rng = self.rng
        roll = rng.random()
        due = invoice.due_date
        if roll < 0.03:
            return
        if roll < 0.08:
            first = invoice.total // 2 // 100 * 100
            self._plan(due, ("AP", invoice.given_number, first))
            later = due + timedelta(days=_between(rng.random(), 10, 40))
            self._plan(later, ("AP", invoice.given_number, invoice.total - first))
            return
        paid = (
            due + timedelta(days=_between(rng.random(), 5, 30))
            if roll < 0.15
            else due - timedelta(days=_between(rng.random(), 0, 2))
        )
        self._plan(max(paid, invoice.invoice_date), ("AP", invoice.given_number, invoice.total))

    def supplier_payment(self, given_number: int, amount: int) -> None:
        """Pay a supplier invoice from the bank account (series E)."""
        invoice = self.company.supplier_invoices[given_number]
        amount = min(amount, invoice.balance)
        if amount <= 0:
            return
        state = self.state
        number = state.next_supplier_payment
        state.next_supplier_payment += 1
        voucher = self.voucher(
            "E",
            f"Utbetalning leverantörsfaktura {given_number}, {invoice.supplier_name}",
            "SUPPLIERPAYMENT",
            str(number),
            [_row(chart.PAYABLES, amount), _row(chart.BANK, -amount)],
        )
        stamp = self.stamp()
        self.company.supplier_invoice_payments[number] = SupplierInvoicePayment(
            number=number,
            invoice_number=given_number,
            amount=amount,
            amount_sek=amount,
            currency="SEK",
            currency_rate="1",
            payment_date=self.day,
            voucher_series=voucher.series,
            voucher_number=voucher.number,
            voucher_year=voucher.financial_year_id,
            last_modified=stamp,
        )
        self._settle(invoice, amount, stamp)
        self.modified_supplier_invoices.add(given_number)
        self.summary.new_supplier_invoice_payments += 1

    def rent_invoice(self) -> None:
        """The landlord's monthly rent invoice (booked like any supplier invoice)."""
        state = self.state
        rent_items = state.supplier_items[state.landlord]
        if rent_items and rent_items[0].account == RENT.account:
            self.supplier_invoice(state.landlord, amount=state.monthly_rent)

    # -- manual series A ------------------------------------------------------------------------

    def payroll(self) -> None:
        """Monthly salaries per cost centre; tax and social fees are paid on the 12th next month."""
        rng = self.rng
        rows: list[VoucherRow] = []
        gross_total = 0
        social_total = 0
        for cost_center, base in self.state.monthly_salaries.items():
            gross = int(base * rng.uniform(0.97, 1.05)) // 100 * 100
            social = int(gross * SOCIAL_FEE_RATE)
            account = chart.WAGES_WORKERS if cost_center == "PROD" else chart.WAGES_SALARIED
            rows.append(_row(account, gross, cost_center))
            rows.append(_row(chart.SOCIAL_FEES, social, cost_center))
            gross_total += gross
            social_total += social
        tax = int(gross_total * EMPLOYEE_TAX_RATE) // 100 * 100
        rows.append(_row(chart.EMPLOYEE_TAX, -tax))
        rows.append(_row(chart.SOCIAL_FEES_LIABILITY, -social_total))
        rows.append(_row(chart.BANK, -(gross_total - tax)))
        month = f"{self.day:%Y-%m}"
        voucher = self.voucher("A", f"Löner {month}", "MANUAL", "", rows)
        self.maybe_correct(voucher)
        pay_day = next_banking_day(month_end(self.day) + timedelta(days=12))
        self.state.manual.setdefault(pay_day, []).append(
            (
                f"Skatter och avgifter {month}",
                (
                    (chart.EMPLOYEE_TAX, tax),
                    (chart.SOCIAL_FEES_LIABILITY, social_total),
                    (chart.BANK, -(tax + social_total)),
                ),
            )
        )

    def reclassification(self) -> None:
        """A quarterly manual correction: a cost booked on the wrong account is moved (omföring).

        Only cost accounts take part, so the subledgers and the VAT settlement are untouched.
        """
        rng = self.rng
        wrong = _pick(rng.random(), RECLASSIFIABLE_ACCOUNTS)
        right = _pick(rng.random(), CORRECTION_ACCOUNTS[wrong])
        amount = _between(rng.random(), 500, 6_000) * 100
        cost_center = _pick(rng.random(), PURCHASE_COST_CENTERS)
        self.voucher(
            "A",
            f"Rättelse felkontering {wrong} till {right}",
            "MANUAL",
            "",
            [_row(right, amount, cost_center), _row(wrong, -amount, cost_center)],
        )

    def month_end_closing(self) -> None:
        """Bank fees, depreciation, loan interest and the monthly VAT settlement."""
        rng = self.rng
        state = self.state
        month = f"{self.day:%Y-%m}"
        fee = _between(rng.random(), 150, 450) * 100
        self.voucher(
            "A",
            f"Bankavgifter {month}",
            "MANUAL",
            "",
            [_row(chart.BANK_FEES, fee), _row(chart.BANK, -fee)],
        )
        self.voucher(
            "A",
            f"Avskrivning inventarier {month}",
            "MANUAL",
            "",
            [
                _row(chart.DEPRECIATION, state.monthly_depreciation, "ADM"),
                _row(chart.ACCUMULATED_DEPRECIATION, -state.monthly_depreciation),
            ],
        )
        self.voucher(
            "A",
            f"Ränta banklån {month}",
            "MANUAL",
            "",
            [
                _row(chart.INTEREST_COSTS, state.monthly_interest),
                _row(chart.BANK, -state.monthly_interest),
            ],
        )
        vat_accounts = (
            chart.OUTPUT_VAT_25,
            chart.OUTPUT_VAT_12,
            chart.OUTPUT_VAT_6,
            chart.INPUT_VAT,
        )
        rows = [
            _row(account, -state.vat_month.get(account, 0))
            for account in vat_accounts
            if state.vat_month.get(account, 0)
        ]
        if rows:
            settlement = sum(state.vat_month.get(account, 0) for account in vat_accounts)
            rows.append(_row(chart.VAT_SETTLEMENT, settlement))
            self.voucher("A", f"Momsredovisning {month}", "MANUAL", "", rows)
            pay_day = next_banking_day(month_end(self.day) + timedelta(days=26))
            state.manual.setdefault(pay_day, []).append(
                (
                    f"Moms {month}",
                    ((chart.VAT_SETTLEMENT, -settlement), (chart.BANK, settlement)),
                )
            )
        state.vat_month = {}

    def deliberate_difference(
        self, ledger: str, amount: int, counter_account: int, text: str
    ) -> None:
        """Book straight on 1510/2440 with no invoice behind it and record it as ground truth."""
        account = chart.RECEIVABLES if ledger == "AR" else chart.PAYABLES
        voucher = self.voucher(
            "A", text, "MANUAL", "", [_row(account, amount), _row(counter_account, -amount)]
        )
        self.company.deliberate_differences.append(
            DeliberateDifference(
                ledger=ledger,
                account=account,
                voucher_series=voucher.series,
                voucher_number=voucher.number,
                financial_year_id=voucher.financial_year_id,
                voucher_date=voucher.transaction_date,
                amount=amount,
                description=text,
            )
        )

    def year_end_closing(self) -> None:
        """Book tax and the year's result to equity, then carry every balance into next year.

        An aktiebolag books corporate income tax (8910 against 2512) and closes the result to
        2099 through 8999; after the annual general meeting in May 2099 goes to retained
        earnings (2091) and the tax is paid. A handelsbolag or an enskild firma pays no
        corporate tax (the owners are taxed privately): the result is closed to the owners'
        2019 (a handelsbolag's second partner: 2029, half each) and moved to their capital
        account (2010, 2020) when the new year opens. The next year's opening balance (IB) is
        exactly this year's closing balance (UB) for every balance account.
        """
        financial_year = self.financial_year
        company = self.company
        movements = year_movements(company, financial_year.id)
        result_before_tax = -sum(amount for account, amount in movements.items() if account >= 3000)
        tax = 0
        registered = financial_year.to_date + timedelta(days=45)
        if company.legal_form == "ab" and result_before_tax > 0:
            tax = int(result_before_tax * CORPORATE_TAX_RATE) // 100 * 100
            self.voucher(
                "A",
                "Skatt på årets resultat",
                "MANUAL",
                "",
                [_row(chart.INCOME_TAX, tax), _row(chart.INCOME_TAX_LIABILITY, -tax)],
                registration_date=registered,
            )
        result = result_before_tax - tax
        # Where the result goes (result account of equity, its share) and, later, where it stays.
        if company.legal_form == "ab":
            shares = [(chart.YEAR_RESULT_EQUITY, chart.RETAINED_EARNINGS, result)]
        elif company.legal_form == "hb":
            half = result // 2
            shares = [
                (chart.OWNER_YEAR_RESULT, chart.OWNER_EQUITY, half),
                (chart.PARTNER_2_YEAR_RESULT, chart.PARTNER_2_EQUITY, result - half),
            ]
        else:
            shares = [(chart.OWNER_YEAR_RESULT, chart.OWNER_EQUITY, result)]
        if result:
            rows = [_row(chart.YEAR_RESULT, result)]
            rows.extend(_row(account, -share) for account, _, share in shares)
            self.voucher("A", "Årets resultat", "MANUAL", "", rows, registration_date=registered)
        next_start = financial_year.to_date + timedelta(days=1)
        next_year = self._financial_year_for(next_start)
        closing = closing_balances(company, financial_year.id)
        company.opening_balances[next_year.id] = {
            account: amount
            for account, amount in closing.items()
            if chart.is_balance_account(account) and amount
        }
        if company.legal_form == "ab":
            # The annual general meeting, four months into the new year (May for a calendar year).
            transfer_day = next_banking_day(months_after(next_start, 4, 6))
            transfer_text = "Vinstdisposition enligt årsstämma"
        else:
            transfer_day = next_banking_day(next_start)
            transfer_text = "Föregående års resultat till eget kapital"
        if result:
            self.state.manual.setdefault(transfer_day, []).append(
                (
                    transfer_text,
                    tuple(
                        row
                        for result_account, equity_account, share in shares
                        for row in ((result_account, share), (equity_account, -share))
                    ),
                )
            )
        if tax:
            tax_day = next_banking_day(months_after(next_start, 4, 12))
            self.state.manual.setdefault(tax_day, []).append(
                ("Slutlig skatt", ((chart.INCOME_TAX_LIABILITY, tax), (chart.BANK, -tax)))
            )


def year_movements(company: Company, financial_year_id: int) -> dict[int, int]:
    """Sum of booked (non-removed) rows per account in one year, debit positive."""
    totals: dict[int, int] = {}
    for voucher in company.vouchers.get(financial_year_id, ()):
        for row in voucher.rows:
            if not row.removed:
                totals[row.account] = totals.get(row.account, 0) + row.debit - row.credit
    return totals


def closing_balances(company: Company, financial_year_id: int) -> dict[int, int]:
    """UB per account: IB plus movements for balance accounts, movements for P&L accounts."""
    balances = dict(company.opening_balances.get(financial_year_id, {}))
    for account, amount in year_movements(company, financial_year_id).items():
        balances[account] = balances.get(account, 0) + amount
    return balances
