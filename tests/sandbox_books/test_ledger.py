"""Year end, opening balances, corrections and deliberate differences hold as an auditor expects."""

from __future__ import annotations

from sources.fortnox_sandbox.business import closing_balances, year_movements
from sources.fortnox_sandbox.model import Company
from sources.fortnox_sandbox.truth import ground_truth, month_ends
from tests.sandbox_books.conftest import _ore


def test_first_opening_balance_has_no_open_receivables_or_payables(
    small_company: Company,
) -> None:
    first = small_company.opening_balances[7]
    assert sum(first.values()) == 0
    assert 1510 not in first and 2440 not in first
    assert first[2081] < 0 and first[1930] > 0
    assert all(account < 3000 for account in first)


def test_next_opening_balance_is_this_closing_balance(small_company: Company) -> None:
    for this_year, next_year in ((7, 8), (8, 9)):
        closing = closing_balances(small_company, this_year)
        opening = small_company.opening_balances[next_year]
        for account, amount in closing.items():
            if account < 3000:
                assert opening.get(account, 0) == amount, account
        assert all(account < 3000 for account in opening)
        assert sum(opening.values()) == 0


def test_closed_years_book_the_result_to_equity(small_company: Company) -> None:
    for year_id in (7, 8):
        movements = year_movements(small_company, year_id)
        profit_and_loss = {a: x for a, x in movements.items() if a >= 3000}
        assert sum(profit_and_loss.values()) == 0  # 8999 closes the P&L
        # 2099 ends the year holding exactly this year's result (last year's was moved in May)
        assert movements[8999] == -closing_balances(small_company, year_id)[2099] != 0
        last = [v for v in small_company.vouchers[year_id] if v.description == "Årets resultat"]
        assert len(last) == 1 and last[0].transaction_date.month == 12
        assert last[0].transaction_date.day == 31
    movements_9 = year_movements(small_company, 9)
    assert 8999 not in movements_9  # the current year is still open
    assert movements_9[2099] == small_company.opening_balances[9][2099] * -1  # moved in May
    assert movements_9[2091] == small_company.opening_balances[9][2099]


def test_vat_accounts_are_settled_every_month(small_company: Company) -> None:
    for year_id in (7, 8):
        closing = closing_balances(small_company, year_id)
        for vat_account in (2611, 2621, 2631, 2641):
            assert closing.get(vat_account, 0) == 0


def test_corrections_strike_and_replace_only_result_rows(small_company: Company) -> None:
    removed = added = rows = 0
    for vouchers in small_company.vouchers.values():
        for voucher in vouchers:
            for row in voucher.rows:
                rows += 1
                if row.removed or row.added_later:
                    assert row.account >= 3000, (voucher.series, voucher.number, row.account)
                    assert row.changed_by and " " in row.changed_by
                removed += row.removed
                added += row.added_later
            struck = [r for r in voucher.rows if r.removed]
            replacements = [r for r in voucher.rows if r.added_later]
            assert len(struck) == len(replacements)
            assert sum(r.debit - r.credit for r in struck) == sum(
                r.debit - r.credit for r in replacements
            )
    assert removed == added
    assert 0.02 <= (removed + added) / rows <= 0.08, (removed, added, rows)


def test_deliberate_differences_inside_and_after_the_lock(small_company: Company) -> None:
    differences = small_company.deliberate_differences
    locked = small_company.locked_through
    assert {d.ledger for d in differences} == {"AR", "AP"}
    assert any(d.voucher_date <= locked for d in differences)
    assert any(d.voucher_date > locked for d in differences)
    vouchers = {
        (v.financial_year_id, v.series, v.number): v
        for vs in small_company.vouchers.values()
        for v in vs
    }
    for difference in differences:
        voucher = vouchers[
            (difference.financial_year_id, difference.voucher_series, difference.voucher_number)
        ]
        assert voucher.series == "A" and voucher.reference_type == "MANUAL"
        on_ledger = sum(r.debit - r.credit for r in voucher.rows if r.account == difference.account)
        assert on_ledger == difference.amount


def test_ledger_minus_subledger_is_exactly_the_deliberate_differences(
    small_company: Company,
) -> None:
    truth = ground_truth(small_company)
    points = list(truth["open_ar_by_month_end"])
    assert points[0] == "2024-01-31" and points[-1] == "2026-11-20"
    assert len(points) == len(
        month_ends(small_company.financial_years[0].from_date, small_company.business_date)
    )
    cumulative_ar = cumulative_ap = 0
    moved_ar = moved_ap = False
    for point in points:
        for d in truth["deliberate_differences"]:
            if d["voucher_date"] <= point and d.get("_counted_at") is None:
                d["_counted_at"] = point
                if d["ledger"] == "AR":
                    cumulative_ar += _ore(d["ledger_minus_subledger"])
                else:
                    cumulative_ap += _ore(d["ledger_minus_subledger"])
        gap_ar = _ore(truth["ledger_ar_by_month_end"][point]) - _ore(
            truth["open_ar_by_month_end"][point]
        )
        gap_ap = _ore(truth["ledger_ap_by_month_end"][point]) - _ore(
            truth["open_ap_by_month_end"][point]
        )
        assert gap_ar == cumulative_ar, point
        assert gap_ap == cumulative_ap, point
        moved_ar |= gap_ar != 0
        moved_ap |= gap_ap != 0
    assert moved_ar and moved_ap
    assert _ore(truth["open_ar_by_month_end"]["2025-06-30"]) > 0
    assert _ore(truth["open_ap_by_month_end"]["2025-06-30"]) > 0


def test_medium_books_hold_the_invariants() -> None:
    from sources.fortnox_sandbox.books import generate_books
    from tests.sandbox_books.conftest import assert_books_consistent

    [company] = generate_books(seed=5, scale="medium")
    assert 4_000 <= len(company.vouchers[8]) <= 6_500
    assert_books_consistent(company)


def test_bank_bookings_fall_on_weekdays_and_payroll_is_monthly(small_company: Company) -> None:
    for year_id in (7, 8):
        vouchers = small_company.vouchers[year_id]
        payrolls = [v for v in vouchers if v.description.startswith("Löner ")]
        assert len(payrolls) == 12
        assert all(v.transaction_date.day in (23, 24, 25) for v in payrolls)
        for voucher in vouchers:
            if voucher.series in "DE" or voucher.description.startswith(("Moms ", "Skatter")):
                assert voucher.transaction_date.weekday() < 5, voucher.description
