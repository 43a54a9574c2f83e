"""The truth of a payment, and the exact subset counting that amount-only truths rest on.

Counting is exact over every subset size: a dynamic programme over cents with Python big-int
bitsets, one bitset for "at least one way to reach this sum" and one for "at least two". Nothing
is bounded by a k, so "unique" means unique among all 2^n subsets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    APPLY = "APPLY"
    QUEUE = "QUEUE"


@dataclass(frozen=True)
class Truth:
    """What a careful AR clerk would do with one payment.

    `allocations` is the cash per invoice (minor units); empty for QUEUE. `group` is shared by the
    transfers of one split payment, which are judged together.
    """

    payment_id: str
    kind: str
    outcome: Outcome
    allocations: Mapping[str, int] = field(default_factory=dict)
    group: str | None = None
    note: str = ""


class AmountClass(StrEnum):
    """How the amount alone explains a payment against a set of open invoices."""

    UNIQUE = "unique"  # exactly one subset meets the amount exactly, and nothing else comes near
    AMBIGUOUS = "ambiguous"  # two or more subsets meet the amount exactly
    NONE = "none"  # no subset meets it, not even with a discount or within the write-off tolerance
    DEBATABLE = "debatable"  # anything between: the generator does not use such payments


def _count_capped(values_per_item: Iterable[tuple[int, ...]], width: int) -> tuple[int, int]:
    """Bitsets (>=1 way, >=2 ways) of the sums 0..width-1 reachable by choosing, per item, nothing
    or exactly one of its values. Sums beyond width-1 are dropped (they cannot be explanations)."""
    mask = (1 << width) - 1
    one, two = 1, 0
    reach = 0  # the largest sum reachable so far: below width no mask is needed (masking costs)
    for values in values_per_item:
        acc_one, acc_two = one, two
        top = max(values)
        for value in values:
            shifted_one = one << value
            shifted_two = two << value
            if reach + top >= width:
                shifted_one &= mask
                shifted_two &= mask
            acc_two |= shifted_two | (acc_one & shifted_one)
            acc_one |= shifted_one
        reach = min(width, reach + top)
        one, two = acc_one, acc_two
    return one, two


def exact_count(amount: int, open_amounts: Iterable[int]) -> int:
    """Number of subsets (capped at 2) of the open amounts whose sum is exactly `amount`."""
    items = [(value,) for value in open_amounts if 0 < value <= amount]
    one, two = _count_capped(items, amount + 1)
    if (two >> amount) & 1:
        return 2
    return (one >> amount) & 1


def near_count(amount: int, candidates: Iterable[tuple[int, ...]], below_minor: int) -> int:
    """Explanations (capped at 2) summing into [amount - below_minor, amount], where each invoice
    may count at any of its candidate values (full, or discounted inside the window).

    The same subset at two valuations counts twice: conservative, the generator then simply
    does not use the payment."""
    low = max(0, amount - below_minor)
    items = [tuple(sorted({v for v in values if 0 < v <= amount})) for values in candidates]
    one, two = _count_capped([values for values in items if values], amount + 1)
    span = amount - low + 1
    window_one = (one >> low) & ((1 << span) - 1)
    window_two = (two >> low) & ((1 << span) - 1)
    if window_two or window_one.bit_count() >= 2:
        return 2
    return window_one.bit_count()


def classify(exact: int, near: int) -> AmountClass:
    if exact == 1 and near == 1:
        return AmountClass.UNIQUE
    if exact >= 2:
        return AmountClass.AMBIGUOUS
    if near == 0:
        return AmountClass.NONE
    return AmountClass.DEBATABLE


def discount_minor(amount_minor: int, basis_points: int, *, half_up: bool) -> int:
    """An early-payment discount as a payer computes it: truncated or rounded half-up."""
    if half_up:
        return (amount_minor * basis_points + 5_000) // 10_000
    return amount_minor * basis_points // 10_000
