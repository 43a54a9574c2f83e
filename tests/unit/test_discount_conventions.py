"""Discounts the way payers compute them: every rounding, per invoice or on the total."""

from __future__ import annotations

import datetime as dt

from engine import model as m
from engine.matching import discounts
from engine.money import RoundingMode, basis_points_of

ISSUE = dt.date(2026, 11, 1)
TERMS = m.PaymentTerms(net_days=30, discount_days=10, discount_basis_points=200)


def _invoice(invoice_id: str, amount: int, terms: m.PaymentTerms = TERMS) -> m.Invoice:
    return m.Invoice(invoice_id, "C1", "EUR", amount, amount, ISSUE, ISSUE + dt.timedelta(days=30), terms)


def test_rounding_modes_differ_only_on_fractions() -> None:
    # 2% of 12.25 = 0.245
    assert basis_points_of(1225, 200, RoundingMode.DOWN) == 24
    assert basis_points_of(1225, 200, RoundingMode.UP) == 25
    assert basis_points_of(1225, 200, RoundingMode.HALF_UP) == 25
    assert basis_points_of(1250, 200, RoundingMode.HALF_EVEN) == 25  # 0.25 exactly
    assert basis_points_of(1275, 200, RoundingMode.HALF_UP) == 26  # 0.255
    assert basis_points_of(1275, 200, RoundingMode.HALF_EVEN) == 26


def test_a_payer_who_truncates_each_discount_settles_within_the_window() -> None:
    invoices = [_invoice("A", 10_037), _invoice("B", 20_063)]  # 2%: 200.74 and 401.26 cents
    truncated = 10_037 - 200 + 20_063 - 401
    found = discounts.matching_convention(invoices, ISSUE + dt.timedelta(days=5), truncated)
    assert found is not None and found.convention == "PER_INVOICE_DOWN"
    allocs = discounts.allocations(invoices, found)
    assert [a.discount_minor for a in allocs] == [200, 401]
    assert sum(a.amount_minor for a in allocs) == truncated


def test_a_discount_taken_on_the_total_is_split_so_the_parts_add_up() -> None:
    invoices = [_invoice("A", 10_025), _invoice("B", 10_025)]  # 2% each: 200.5; on the total: 401
    on_total = 20_050 - 401
    per_invoice = {d.payable_minor for d in discounts.payable_totals(invoices, ISSUE)}
    assert on_total in per_invoice
    found = discounts.matching_convention(invoices, ISSUE, on_total)
    assert found is not None
    assert sum(found.discounts_minor) == 401


def test_no_convention_applies_after_the_window() -> None:
    late = ISSUE + dt.timedelta(days=11)
    invoices = [_invoice("A", 10_000)]
    assert discounts.payable_totals(invoices, late) == []
    assert discounts.matching_convention(invoices, late, 9_800) is None


def test_invoices_without_discount_terms_are_paid_in_full_under_every_convention() -> None:
    plain = _invoice("B", 5_000, m.PaymentTerms(net_days=30))
    found = discounts.matching_convention([_invoice("A", 10_000), plain], ISSUE, 14_800)
    assert found is not None and found.discounts_minor == (200, 0)
