"""Early-payment discounts the way payers compute them.

The invoice's own figure rounds its discount HALF_EVEN (`Invoice.discounted_minor`), but payers
use their own arithmetic: they truncate or round half-up, per invoice or once on the total of the
invoices they pay. Inside the discount window every such convention is a discount the payer was
entitled to, not a short payment, so a payment that equals the total under any of them settles
the invoices with the difference recorded as discount.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from engine import model as m
from engine.money import RoundingMode, allocate, basis_points_of

# Every rounding a payer may apply to a discount, in the order a tie is explained.
_ROUNDINGS = (RoundingMode.HALF_EVEN, RoundingMode.HALF_UP, RoundingMode.DOWN, RoundingMode.UP)


@dataclass(frozen=True, slots=True)
class DiscountedTotal:
    """One convention's discounts, per invoice (same order as given), and what remains payable."""

    convention: str  # e.g. "PER_INVOICE_DOWN", "ON_TOTAL_HALF_UP"
    discounts_minor: tuple[int, ...]
    payable_minor: int


def _in_window(inv: m.Invoice, value_date: dt.date) -> bool:
    """The invoice's discount applies: fully open and paid within its discount days."""
    return inv.discounted_minor(value_date) is not None


def payable_totals(invoices: Sequence[m.Invoice], value_date: dt.date) -> list[DiscountedTotal]:
    """Each distinct payable total of the invoices under the conventions payers use, in a fixed
    order; empty when no invoice is inside its discount window."""
    eligible = [_in_window(inv, value_date) for inv in invoices]
    if not any(eligible):
        return []
    out: dict[int, DiscountedTotal] = {}
    opens = sum(inv.open_minor for inv in invoices)
    for rounding in _ROUNDINGS:
        per_invoice = tuple(
            basis_points_of(inv.amount_minor, inv.payment_terms.discount_basis_points, rounding) if ok else 0
            for inv, ok in zip(invoices, eligible, strict=True)
        )
        out.setdefault(
            opens - sum(per_invoice),
            DiscountedTotal(f"PER_INVOICE_{rounding.value}", per_invoice, opens - sum(per_invoice)),
        )
    rates = {
        inv.payment_terms.discount_basis_points for inv, ok in zip(invoices, eligible, strict=True) if ok
    }
    if len(rates) == 1:
        (rate,) = rates
        base = [inv.amount_minor if ok else 0 for inv, ok in zip(invoices, eligible, strict=True)]
        for rounding in _ROUNDINGS:
            total_discount = basis_points_of(sum(base), rate, rounding)
            if total_discount > 0 and opens - total_discount not in out:
                shares = tuple(allocate(total_discount, base))
                out[opens - total_discount] = DiscountedTotal(
                    f"ON_TOTAL_{rounding.value}", shares, opens - total_discount
                )
    return [d for d in out.values() if d.payable_minor != opens and all(x >= 0 for x in d.discounts_minor)]


def matching_convention(
    invoices: Sequence[m.Invoice], value_date: dt.date, paid_minor: int
) -> DiscountedTotal | None:
    """The convention under which `paid_minor` settles the invoices exactly, if any."""
    return next((d for d in payable_totals(invoices, value_date) if d.payable_minor == paid_minor), None)


def allocations(invoices: Sequence[m.Invoice], discounted: DiscountedTotal) -> list[m.Allocation]:
    """What settling the invoices under the convention posts: cash plus discount per invoice."""
    return [
        m.Allocation(inv.invoice_id, inv.open_minor - d, discount_minor=d)
        for inv, d in zip(invoices, discounted.discounts_minor, strict=True)
    ]
