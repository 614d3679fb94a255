"""Generate deterministic Swedish books for sandbox companies, advance them, and state the truth.

`generate_books` sets up each company (chart, customers, suppliers, projects, opening balance)
and then books every day from the first financial year's start to the business date with
`business.BusinessDay`; `advance_business_day` books one more day the same way.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from sources.fortnox_sandbox import chart
from sources.fortnox_sandbox.business import (
    INVOICE_LINE_COUNTS,
    STOCKHOLM,
    SUPPLIER_LINE_COUNTS,
    AdvanceSummary,
    BusinessDay,
    SimulationState,
    day_random,
    month_end,
)
from sources.fortnox_sandbox.catalogue import COST_ITEMS, DOMESTIC_PRODUCTS, RENT, CostItem
from sources.fortnox_sandbox.collector import collector_paused
from sources.fortnox_sandbox.model import Company, Customer, FinancialYear, Project, Supplier
from sources.fortnox_sandbox.names import (
    EU_COMPANIES,
    bank_giro,
    company_name,
    email_for,
    luhn_check_digit,
    organisation_number,
    person_name,
    phone_number,
    street_address,
)
from sources.fortnox_sandbox.truth import ground_truth as _ground_truth

__all__ = [
    "BUSINESS_DATE",
    "SCALES",
    "AdvanceSummary",
    "advance_business_day",
    "generate_books",
    "ground_truth",
]

SCALES: Final[dict[str, int]] = {"small": 300, "medium": 5_000, "large": 100_000}
BUSINESS_DATE: Final = date(2026, 11, 20)
FIRST_FINANCIAL_YEAR_ID: Final = 7
YEARS: Final = 3
FISCAL_YEARS: Final = ("calendar", "split")
# Vouchers a year that do not scale with volume: 7 monthly A vouchers and the rent invoice.
FIXED_VOUCHERS_PER_YEAR: Final = 8 * 12
SALARY_SHARES: Final[dict[str, float]] = {
    "ADM": 0.15,
    "SÄLJ": 0.20,
    "KONS": 0.35,
    "PROD": 0.15,
    "UTV": 0.15,
}
PROJECT_NAMES: Final = (
    "Införande affärssystem", "Ny webbplats", "Lageroptimering", "Molnmigrering",
    "Kundportal", "Utbildningsprogram", "Säkerhetsgranskning", "Ombyggnad kontor",
    "Integration lönesystem", "Digitalisering av arkiv", "Marknadsanalys Norden",
)  # fmt: skip


def generate_books(
    seed: int = 1,
    scale: str = "small",
    vouchers_per_year: int | None = None,
    companies: int = 1,
    legal_form: str = "ab",
    fiscal_years: str = "calendar",
    sizes: Sequence[int] | None = None,
) -> list[Company]:
    """Generate the books of `companies` sandbox tenants, deterministically from `seed`.

    Args:
        seed: the only source of randomness; the same seed gives identical books.
        scale: "small" (~300), "medium" (~5,000) or "large" (~100,000) vouchers per year.
        vouchers_per_year: overrides `scale` with an explicit yearly voucher count.
        companies: number of tenants, each with its own DatabaseNumber, name and org number.
        legal_form: "ab" (aktiebolag: share capital 2081, corporate tax 8910/2512), "hb"
            (handelsbolag: two partners' capital accounts 2010/2020, no corporate tax) or
            "enskild" (enskild firma: the owner's capital 2010, no corporate tax). The
            company's name and organisation number match it.
        fiscal_years: "calendar" (2024, 2025, 2026) or "split": a first, extended financial
            year of 18 months (2023-11-01 to 2025-04-30), then years from May to April, as a
            company that changed its financial year has.
        sizes: vouchers per year of each tenant (an accounting firm's portfolio of large and
            small clients); overrides `scale`, `vouchers_per_year` and `companies`. Tenant i
            is the same company whatever the others' sizes, but for its own size.

    Returns:
        One `Company` per tenant with three financial years (ids 7, 8, 9, calendar years
        2024-2026) booked up to the business date 2026-11-20.
    """
    if sizes is None:
        if vouchers_per_year is None:
            if scale not in SCALES:
                raise ValueError(f"unknown scale {scale!r}; choose one of {sorted(SCALES)}")
            vouchers_per_year = SCALES[scale]
        sizes = [vouchers_per_year] * companies
    if not sizes:
        raise ValueError("a sandbox needs at least one company")
    if fiscal_years not in FISCAL_YEARS:
        raise ValueError(f"unknown fiscal years {fiscal_years!r}; choose one of {FISCAL_YEARS}")
    if legal_form not in chart.LEGAL_FORMS:
        raise ValueError(f"unknown legal form {legal_form!r}; choose one of {chart.LEGAL_FORMS}")
    if min(sizes) < 50:
        raise ValueError("vouchers_per_year must be at least 50 (the monthly bookkeeping alone)")
    result: list[Company] = []
    taken: set[object] = set()
    with collector_paused():
        for index, size in enumerate(sizes):
            company = _new_company(seed, index, size, taken, legal_form, fiscal_years)
            _book_until(company, seed, company.business_date)
            result.append(company)
    return result


def advance_business_day(
    company: Company, seed: int, clock: Callable[[], datetime]
) -> AdvanceSummary:
    """Book one more day of business: business_date += 1 day.

    New invoices, payments that change existing invoices' balances, supplier invoices and
    payments, and the day's manual vouchers, in the financial year of the new date (a new year
    is opened after December 31). Every created or modified record gets `last_modified =
    clock()`. The day always brings at least one new invoice and one modified invoice, so
    incremental loads have something to find.

    Args:
        company: a company returned by `generate_books` (its `simulation` state is used).
        seed: the seed the company was generated with (same seed and state, same day).
        clock: returns the wall-clock time to stamp records with (aware, Europe/Stockholm).
    """
    day = company.business_date + timedelta(days=1)
    company.simulation.draft_after = None
    business_day = BusinessDay(
        company, day, day_random(seed, company, day), clock, day, ensure_activity=True
    )
    summary = business_day.run()
    company.business_date = day
    for financial_year in company.financial_years[-2:]:
        company.vouchers[financial_year.id].sort(key=_voucher_order)
    return summary


def ground_truth(company: Company) -> dict[str, Any]:
    """The JSON-serialisable facts a correct pipeline must reproduce (see `truth.py`)."""
    with collector_paused():
        return _ground_truth(company)


def _voucher_order(voucher: Any) -> tuple[str, int]:
    return voucher.series, voucher.number


def _book_until(company: Company, seed: int, business_date: date) -> None:
    """Book every day from the first financial year's start through `business_date`."""
    day = company.financial_years[0].from_date
    while day <= business_date:
        BusinessDay(company, day, day_random(seed, company, day), None, business_date).run()
        day += timedelta(days=1)
    for vouchers in company.vouchers.values():
        vouchers.sort(key=_voucher_order)


def _stamp(rng: random.Random, day: date) -> datetime:
    """An office-hours timestamp on `day` in Stockholm time."""
    minute = rng.randrange(8 * 60, 17 * 60)
    return datetime.combine(day, time(minute // 60, minute % 60), STOCKHOLM)


def _past_day(rng: random.Random, earliest: date, latest: date) -> date:
    return earliest + timedelta(days=rng.randint(0, max(0, (latest - earliest).days)))


def _registered_day(
    rng: random.Random, start: date, business_date: date, history_days: int, recent_share: float
) -> date:
    """When a customer or supplier was registered: mostly before the books start, some later.

    Args:
        history_days: how far before `start` the older registrations reach.
        recent_share: the share registered within the books (so `lastmodified` finds them).
    """
    registered = _past_day(rng, start - timedelta(days=history_days), start - timedelta(days=1))
    if rng.random() < recent_share:
        registered = _past_day(rng, start, business_date - timedelta(days=1))
    return registered


def _expected_invoice_net() -> float:
    """Mean net (öre) of a domestic customer invoice, from the catalogue's weights."""
    weights = sum(p.weight for p in DOMESTIC_PRODUCTS)
    line = sum(
        p.weight * (1 + p.max_quantity) / 2 * (p.min_price + p.max_price) / 2
        for p in DOMESTIC_PRODUCTS
    )
    mean_lines = sum(INVOICE_LINE_COUNTS) / len(INVOICE_LINE_COUNTS)
    return line / weights * mean_lines


def _expected_supplier_net() -> float:
    """Mean raw net (öre) of a supplier invoice before the company's amount factor."""
    mean_item = sum((c.min_net + c.max_net) / 2 for c in COST_ITEMS) / len(COST_ITEMS)
    return mean_item * sum(SUPPLIER_LINE_COUNTS) / len(SUPPLIER_LINE_COUNTS)


_LEGAL_FORM_SUFFIX: Final = {"ab": "AB", "hb": "HB", "enskild": "Enskild firma"}


def _tenant_name(rng: random.Random, legal_form: str) -> str:
    """A company name whose suffix says its legal form (never "Handelsbolag" on an AB)."""
    stem, trade = company_name(rng).split(" ")[:2]
    return f"{stem} {trade} {_LEGAL_FORM_SUFFIX[legal_form]}"


def _tenant_org_number(rng: random.Random, legal_form: str) -> str:
    """An identity number that fits the legal form, with a valid check digit.

    Aktiebolag numbers start with 55, handelsbolag with 96; an enskild firma is identified by
    its owner's personal identity number (YYMMDD-NNNN). The random digits are drawn once, the
    same way for every form, so the rest of the books do not depend on the form's number.
    """
    digits = organisation_number(rng).replace("-", "")
    if legal_form == "enskild":
        year = 50 + int(digits[2:4]) % 40
        month = 1 + int(digits[4:6]) % 12
        day = 1 + int(digits[6:8]) % 28
        body = f"{year:02d}{month:02d}{day:02d}{digits[6:9]}"
    else:
        body = ("55" if legal_form == "ab" else "96") + digits[2:9]
    return f"{body[:6]}-{body[6:]}{luhn_check_digit(body)}"


def _financial_years(business_date: date, fiscal_years: str) -> list[FinancialYear]:
    """Three financial years ending with the one that holds the business date.

    Calendar years, or (split) an 18-month first year followed by May-April years: the
    extended first year a company may have when it starts or changes its financial year.
    """
    if fiscal_years == "calendar":
        first_year = business_date.year - YEARS + 1
        bounds = [
            (date(first_year + offset, 1, 1), date(first_year + offset, 12, 31))
            for offset in range(YEARS)
        ]
    else:
        # The May-April year holding the business date, the one before, and 18 months before.
        current_start = date(business_date.year - (business_date.month < 5), 5, 1)
        previous_start = current_start.replace(year=current_start.year - 1)
        first_start = _months_before(previous_start, 18)
        bounds = [
            (first_start, previous_start - timedelta(days=1)),
            (previous_start, current_start - timedelta(days=1)),
            (current_start, date(current_start.year + 1, 4, 30)),
        ]
    return [
        FinancialYear(id=FIRST_FINANCIAL_YEAR_ID + offset, from_date=start, to_date=end)
        for offset, (start, end) in enumerate(bounds)
    ]


def _new_company(
    seed: int,
    index: int,
    vouchers_per_year: int,
    taken: set[object],
    legal_form: str = "ab",
    fiscal_years: str = "calendar",
) -> Company:
    """Set up one tenant: identity, calendar, chart, parties, opening balance, simulation."""
    rng = random.Random(f"{seed}:company:{index}")
    database_number = rng.randint(1_000_000, 9_999_999)
    name = _tenant_name(rng, legal_form)
    org_number = _tenant_org_number(rng, legal_form)
    while database_number in taken or name in taken or org_number in taken:
        database_number = rng.randint(1_000_000, 9_999_999)
        name = _tenant_name(rng, legal_form)
        org_number = _tenant_org_number(rng, legal_form)
    taken.update((database_number, name, org_number))
    business_date = BUSINESS_DATE
    financial_years = _financial_years(business_date, fiscal_years)
    start = financial_years[0].from_date
    locked_through = month_end(_months_before(business_date, 3))
    address, zip_code, city = street_address(rng)

    scalable = max(vouchers_per_year - FIXED_VOUCHERS_PER_YEAR, vouchers_per_year // 3)
    customer_invoices_per_year = 0.31 * scalable
    supplier_invoices_per_year = 0.19 * scalable
    annual_sales = customer_invoices_per_year * _expected_invoice_net()
    monthly_rent = int(annual_sales * 0.04 / 12) // 10_000 * 10_000
    supplier_amount_factor = (annual_sales * 0.40 - 12 * monthly_rent) / max(
        1.0, supplier_invoices_per_year * _expected_supplier_net()
    )
    monthly_gross = annual_sales * 0.30 / 12 / 1.3142
    fixed_assets = int(annual_sales * 0.10) // 100_000 * 100_000 + 30_000_000
    loan = fixed_assets

    customers = _customers(rng, max(15, vouchers_per_year // 30), start, business_date)
    customer_numbers = list(customers)
    cumulative = 0.0
    cum_weights: list[float] = []
    for _ in customer_numbers:
        cumulative += rng.paretovariate(1.4)
        cum_weights.append(cumulative)
    suppliers, supplier_items, landlord = _suppliers(
        rng, max(10, vouchers_per_year // 90), start, business_date
    )
    projects = _projects(rng, max(4, min(200, vouchers_per_year // 400)), start, business_date)
    opening = {
        chart.FIXED_ASSETS: fixed_assets,
        chart.ACCUMULATED_DEPRECIATION: -fixed_assets // 5,
        chart.BANK: int(annual_sales * 0.2) // 100 * 100 + 50_000_000,
        chart.LOAN: -loan,
    }
    equity = -sum(opening.values())
    if legal_form == "ab":
        # Share capital 50 000 SEK (the minimum for a private aktiebolag), the rest retained.
        opening[chart.SHARE_CAPITAL] = -5_000_000
        opening[chart.RETAINED_EARNINGS] = equity + 5_000_000
    elif legal_form == "hb":
        opening[chart.OWNER_EQUITY] = equity // 2
        opening[chart.PARTNER_2_EQUITY] = equity - equity // 2
    else:
        opening[chart.OWNER_EQUITY] = equity

    simulation = SimulationState(
        customer_invoices_per_weekday=customer_invoices_per_year / 261,
        supplier_invoices_per_weekday=supplier_invoices_per_year / 261,
        supplier_amount_factor=supplier_amount_factor,
        monthly_rent=monthly_rent,
        monthly_salaries={
            code: int(monthly_gross * share) // 100 * 100 for code, share in SALARY_SHARES.items()
        },
        monthly_depreciation=fixed_assets // 60 // 100 * 100,
        monthly_interest=int(loan * 0.05 / 12) // 100 * 100,
        customer_numbers=customer_numbers,
        customer_cum_weights=cum_weights,
        supplier_numbers=[number for number in suppliers if number != landlord],
        supplier_items=supplier_items,
        landlord=landlord,
        users=[person_name(rng) for _ in range(4)],
        correction_rate=0.22,
        draft_after=business_date - timedelta(days=6),
    )
    simulation.differences = _planned_differences(financial_years, locked_through, business_date)

    company = Company(
        database_number=database_number,
        name=name,
        organisation_number=org_number,
        address=address,
        zip_code=zip_code,
        city=city,
        financial_years=financial_years,
        accounts=chart.build_accounts(legal_form),
        voucher_series=chart.build_voucher_series(),
        predefined_accounts=dict(chart.PREDEFINED_ACCOUNTS),
        cost_centers=chart.build_cost_centers(),
        projects=projects,
        customers=customers,
        suppliers=suppliers,
        invoices={},
        invoice_payments={},
        supplier_invoices={},
        supplier_invoice_payments={},
        vouchers={financial_year.id: [] for financial_year in financial_years},
        opening_balances={financial_years[0].id: opening},
        locked_through=locked_through,
        business_date=business_date,
        fortnox_customer_id=str(rng.randint(100_000, 999_999)),
        simulation=simulation,
        legal_form=legal_form,
    )
    for financial_year in financial_years[1:]:
        company.opening_balances.setdefault(financial_year.id, {})
    return company


def _months_before(day: date, months: int) -> date:
    """The first of the month `months` months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _planned_differences(
    financial_years: list[FinancialYear], locked_through: date, business_date: date
) -> dict[date, list[tuple[str, int, int, str]]]:
    """Four manual bookings straight on 1510/2440: two inside the locked period, two after."""
    second_year = financial_years[min(1, len(financial_years) - 1)]
    latest = business_date - timedelta(days=1)
    plan = [
        (
            date(second_year.from_date.year, 6, 17),
            ("AR", -425_000, chart.BANK, "Inbetalning utan OCR bokad direkt mot kundfordringar"),
        ),
        (
            locked_through - timedelta(days=172),
            (
                "AP",
                -320_000,
                chart.OTHER_EXTERNAL_COSTS,
                "Leverantörsskuld bokad manuellt, faktura saknas",
            ),
        ),
        (
            min(locked_through + timedelta(days=16), latest),
            (
                "AP",
                187_550,
                chart.BANK,
                "Betalning till leverantör bokad direkt mot leverantörsskulder",
            ),
        ),
        (
            min(locked_through + timedelta(days=45), latest),
            ("AR", 150_000, chart.OTHER_INCOME, 'Kundfordran bokad manuellt utan "faktura"'),
        ),
    ]
    differences: dict[date, list[tuple[str, int, int, str]]] = {}
    for when, difference in plan:
        differences.setdefault(when, []).append(difference)
    return differences


def _customers(
    rng: random.Random, count: int, start: date, business_date: date
) -> dict[str, Customer]:
    """Swedish customers plus a few EU customers invoiced in EUR."""
    customers: dict[str, Customer] = {}
    export_every = 25
    for position in range(count):
        number = str(position + 1)
        created = _registered_day(rng, start, business_date, 400, 0.25)
        if position % export_every == 3:
            base_name, city, zip_code, country = EU_COMPANIES[
                (position // export_every) % len(EU_COMPANIES)
            ]
            round_number = position // (export_every * len(EU_COMPANIES))
            name = base_name if round_number == 0 else f"{base_name} ({round_number + 1})"
            customers[number] = Customer(
                number=number,
                name=name,
                organisation_number="",
                address=f"Hauptstraße {rng.randint(1, 90)}",
                zip_code=zip_code,
                city=city,
                country_code=country,
                email=f"accounts{number}@example.eu",
                currency="EUR",
                terms_of_payment=30,
                last_modified=_stamp(rng, created),
            )
            continue
        name = company_name(rng)
        address, zip_code, city = street_address(rng)
        customers[number] = Customer(
            number=number,
            name=name,
            organisation_number=organisation_number(rng),
            address=address,
            zip_code=zip_code,
            city=city,
            email=email_for(name, rng),
            phone=phone_number(rng),
            terms_of_payment=rng.choice((10, 15, 20, 30, 30, 30)),
            last_modified=_stamp(rng, created),
        )
    return customers


def _suppliers(
    rng: random.Random, count: int, start: date, business_date: date
) -> tuple[dict[str, Supplier], dict[str, tuple[CostItem, ...]], str]:
    """Suppliers, the cost items each one invoices, and the landlord's number."""
    suppliers: dict[str, Supplier] = {}
    items: dict[str, tuple[CostItem, ...]] = {}
    for position in range(count):
        number = str(position + 1)
        landlord = position == 0
        name = (
            f"Fastighets AB {rng.choice(('Kvarnen', 'Hörnet', 'Åkern', 'Väktaren'))}"
            if landlord
            else company_name(rng)
        )
        address, zip_code, city = street_address(rng)
        created = _registered_day(rng, start, business_date, 500, 0.2)
        suppliers[number] = Supplier(
            number=number,
            name=name,
            organisation_number=organisation_number(rng),
            address=address,
            zip_code=zip_code,
            city=city,
            email=email_for(name, rng),
            phone=phone_number(rng),
            terms_of_payment=rng.choice((10, 20, 30, 30)),
            bank_giro=bank_giro(rng),
            last_modified=_stamp(rng, created),
        )
        items[number] = (RENT,) if landlord else tuple(rng.sample(COST_ITEMS, k=rng.randint(2, 4)))
    return suppliers, items, "1"


def _projects(
    rng: random.Random, count: int, start: date, business_date: date
) -> dict[str, Project]:
    """Projects (SIE dimension 6) spread over the three years, some completed, some ongoing."""
    projects: dict[str, Project] = {}
    span = (business_date - start).days
    for position in range(count):
        number = str(1001 + position)
        begins = start + timedelta(days=rng.randint(-60, span - 30))
        ends = begins + timedelta(days=rng.randint(60, 540))
        status = "COMPLETED" if ends < business_date else "ONGOING"
        if begins > business_date - timedelta(days=40) and rng.random() < 0.5:
            status = "NOTSTARTED"
        touched = min(max(begins, start), business_date - timedelta(days=1))
        projects[number] = Project(
            number=number,
            description=f"{rng.choice(PROJECT_NAMES)} {position + 1}",
            status=status,
            start_date=begins,
            end_date=ends,
            project_leader=person_name(rng),
            last_modified=_stamp(rng, touched),
        )
    return projects
