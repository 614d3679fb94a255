"""Issue 5, performance: a whole company in a handful of requests, a repeat run in fewer.

The counts are exact: the sandbox's books are a function of the seed and every resource's
requests follow from the books (pages of 500, one SIE export per year), so any change in them
is a change in behaviour that must be looked at, not noise.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.pipeline.conftest import LoadedCompany, Loader, api_requests, make_session

SMALL_FIRST_LOAD = Counter(
    {
        "GET /3/accounts": 3,  # one page per financial year
        "GET /3/companyinformation": 1,
        "GET /3/costcenters": 1,
        "GET /3/customers": 1,
        "GET /3/financialyears": 1,
        "GET /3/invoicepayments": 1,
        "GET /3/invoices": 1,
        "GET /3/predefinedaccounts": 1,
        "GET /3/projects": 1,
        "GET /3/settings/lockedperiod": 1,
        "GET /3/sie/{Type}": 3,  # one SIE 4 export per financial year
        "GET /3/supplierinvoicepayments": 1,
        "GET /3/supplierinvoices": 1,
        "GET /3/suppliers": 1,
        "GET /3/voucherseries": 1,  # the open year only
        "GET /3/voucherfileconnections": 3,  # one page per financial year
        "GET /3/supplierinvoicefileconnections": 1,
        # The registers: read whole on the first run of a day (see resources_registers.py).
        "GET /3/articles": 1,
        "GET /3/orders": 1,
        "GET /3/offers": 1,
        "GET /3/pricelists": 2,  # price_lists, and the codes prices are read for
        "GET /3/prices/sublist/{PriceList}": 2,  # one per price list
        "GET /3/taxreductions": 1,
        "GET /3/currencies": 1,
        "GET /3/termsofpayments": 1,
        "GET /3/units": 1,
        "GET /3/contracts": 1,
        "GET /3/settings/company": 1,
        "GET /3/archive": 2,  # the root folder and its one subfolder
        "GET /3/inbox": 1,
        "GET /3/inbox/{Id}": 1,
    }
)
"""What the first load of the `small` company asks Fortnox, per endpoint (40 in all)."""

REPEAT_RUN = Counter(
    {
        "GET /3/accounts": 1,  # the open year; final years' charts were loaded once
        "GET /3/costcenters": 1,
        "GET /3/customers": 1,  # lastmodified
        "GET /3/financialyears": 1,
        "GET /3/invoicepayments": 1,  # lastmodified
        "GET /3/invoices": 1,  # lastmodified
        "GET /3/predefinedaccounts": 1,
        "GET /3/projects": 1,
        "GET /3/settings/lockedperiod": 1,
        "GET /3/sie/{Type}": 1,  # the open year only: final years are not fetched again
        "GET /3/supplierinvoicepayments": 1,  # new ones by offset
        "GET /3/supplierinvoices": 2,  # new ones by offset, open ones by filter=unpaid
        "GET /3/suppliers": 1,
        "GET /3/voucherseries": 1,
        "GET /3/voucherfileconnections": 1,  # the open year; final years' files were read once
        "GET /3/supplierinvoicefileconnections": 1,  # no filter exists: the whole list
        "GET /3/articles": 1,  # lastmodified
        "GET /3/orders": 1,  # lastmodified
        "GET /3/offers": 1,  # lastmodified
    }
)
"""A run straight after a load, nothing changed: 20 requests (company information, the other
registers and the deletion check are daily)."""


DAILY_REGISTERS = Counter(
    {
        "GET /3/archive": 2,
        "GET /3/contracts": 1,
        "GET /3/currencies": 1,
        "GET /3/inbox": 1,
        "GET /3/inbox/{Id}": 1,
        "GET /3/pricelists": 2,
        "GET /3/prices/sublist/{PriceList}": 2,
        "GET /3/settings/company": 1,
        "GET /3/taxreductions": 1,
        "GET /3/termsofpayments": 1,
        "GET /3/units": 1,
    }
)
"""The registers without `lastmodified`, read whole on the first run of a day (14)."""

DELETION_CHECK = Counter(
    {
        # The keys of every `lastmodified` table, listed whole: one page each on small.
        "GET /3/articles": 1,
        "GET /3/customers": 1,
        "GET /3/invoicepayments": 1,
        "GET /3/invoices": 1,
        "GET /3/offers": 1,
        "GET /3/orders": 1,
    }
)
"""What looking for deleted records costs on small, once a day (6; the README's figure)."""


def test_first_load_of_small_company_asks_exactly_40_requests(small_load: LoadedCompany) -> None:
    assert small_load.first.outcome == "completed"
    assert small_load.first_requests == SMALL_FIRST_LOAD
    assert small_load.first.requests == 40
    assert small_load.first.resources["sie"].requests == 3


def test_a_run_straight_after_asks_at_most_20_and_skips_final_years(
    small_load: LoadedCompany,
) -> None:
    before = api_requests(small_load.session)
    repeat = small_load.loader.run()
    asked = api_requests(small_load.session) - before

    assert repeat.outcome == "completed"
    assert asked == REPEAT_RUN
    assert repeat.requests == sum(REPEAT_RUN.values()) <= 20
    # Nothing changed, so nothing but the whole-list reference tables is loaded again.
    changed = {name for name, metrics in repeat.resources.items() if metrics.rows}
    assert changed <= {
        "accounts",
        "cost_centers",
        "financial_years",
        "locked_period",
        "predefined_accounts",
        "projects",
        "suppliers",
        "voucher_series",
        "supplier_invoices",  # the open ones, read again by filter=unpaid
        "voucher_file_connections",  # the open year's, read again
        "supplier_invoice_file_connections",  # the whole list, read again
    }
    assert repeat.resources["sie"].rows == 0  # the open year's export was unchanged
    assert repeat.resources["invoices"].rows == 0


def test_the_first_run_of_a_day_adds_the_registers_and_the_deletion_check_only(
    small_load: LoadedCompany,
) -> None:
    """Nothing changed since the load, but a day has passed: the run straight after's requests
    plus exactly the daily registers and the deletion check (40 on small), nothing more."""
    before = api_requests(small_load.session)
    nightly = small_load.loader.run(later_day=True)
    asked = api_requests(small_load.session) - before

    assert nightly.outcome == "completed"
    assert asked == REPEAT_RUN + DAILY_REGISTERS + DELETION_CHECK
    assert sum(DELETION_CHECK.values()) == 6 and sum(DAILY_REGISTERS.values()) == 14
    assert nightly.requests == 40
    assert nightly.resources["invoices"].rows == 0  # nothing was deleted, nothing re-read


def test_first_load_of_medium_company_fits_the_budget(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Medium: three financial years, ~100k rows, at most 75 requests (exactly 71: 46 for the
    books, 8 for file connections, 17 for the registers around them) and no 429; a run straight
    after asks at most 20.

    The sandbox's rate limit is off here for speed; the client paces itself to Fortnox's 25
    per 5 s regardless (the slow variant below proves zero 429s with the limit on).
    """
    session = make_session(scale="medium")
    loader = Loader(session, session.tenants[0], tmp_path)
    summary = loader.run()
    stats = session.control("GET", "/_sandbox/stats")

    assert summary.outcome == "completed"
    assert summary.requests == sum(api_requests(session).values()) == MEDIUM_FIRST_LOAD
    assert summary.requests <= 75
    assert stats["rate_limited"] == 0
    assert summary.rows > 90_000

    before = api_requests(session)
    repeat = loader.run()
    assert repeat.outcome == "completed"
    assert repeat.requests == sum((api_requests(session) - before).values()) == MEDIUM_REPEAT
    assert repeat.requests <= 20


MEDIUM_FIRST_LOAD = 71
MEDIUM_REPEAT = 20


@pytest.mark.slow
def test_medium_first_load_with_the_sandbox_rate_limit_on_sees_no_429(tmp_path) -> None:  # type: ignore[no-untyped-def]
    session = make_session(scale="medium", rate_limit=(25, 5.0))
    loader = Loader(session, session.tenants[0], tmp_path)
    first = loader.run()
    repeat = loader.run()
    stats = session.control("GET", "/_sandbox/stats")

    assert first.requests == MEDIUM_FIRST_LOAD
    assert repeat.requests <= 20
    assert stats["rate_limited"] == 0
    assert stats["statuses"].get("429", 0) == 0
