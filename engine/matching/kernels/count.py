"""How many explanations of a payment exist over every subset size (capped at 2), and which one
when exactly one does: a counting DP over cents on bitsets.

Pure-Python twin of ``matcher_rs/core/src/kernels/count.rs``: same validation and messages,
same definitions, identical results field for field. ``engine.matching.solver`` is the public
entry point (it dispatches to Rust or to this module and re-exports the types).

Definitions
-----------
- An explanation is a non-empty set S of distinct items together with a choice, per member that
  has a discounted amount, of its full or its discounted amount. It meets the payment when
  ``|payment - total| <= tolerance``. Different (set, choice) pairs are different explanations,
  even when their totals are equal. There is no bound on ``|S|``; the empty set never counts.
- ``explanation_count`` is the number of explanations meeting the payment, capped at 2:
  0 (NONE), 1 (ONE), 2 (MANY, "two or more"); None when not computed (TOO_LARGE).
- With ``hi = payment + tolerance``, the tables hold bits ``0..=hi``; when ``hi + 1`` exceeds
  ``limits.max_bits`` the outcome is TOO_LARGE (no count, nothing allocated).
- When the count is 1, ``residual_minor = payment - total`` of the unique explanation. Its items
  (``item_indices`` ascending, one ``discounted`` flag each) are returned when the per-stage
  tables, ``len(items) * (hi + 1)`` bits, fit in ``limits.max_witness_bits``;
  ``witness_available`` says whether they were (it is False for every other outcome).

The DP: ``ones[s]`` is set when at least one non-empty explanation totals s, ``twos[s]`` when at
least two do. An item with full amount a (and discounted d) reaches each total three ways: skip
it, or add it at a (or d) to an earlier explanation or to the empty set (so the shifted sources
also count the empty set at 0). Capped counts add as ``twos' = twos | twos_b | (ones & ones_b)``,
``ones' = ones | ones_b`` per way b. Amounts above ``hi`` can never be part of a total in the
table and are skipped. Cost: O(n * hi / 64) word operations (here shifts and ``& |`` on Python
ints, which run at C speed); memory two bitsets of ``hi + 1`` bits plus the stage tables.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from engine.matching.solver_types import ItemsLike, OpenItems, check_int64_inputs

# Default largest bitset, in bits (2^28 bits = 32 MiB); one DP holds two of them.
COUNT_MAX_BITS = 1 << 28
# Default largest per-stage witness table, in bits (2^29 bits = 64 MiB).
COUNT_MAX_WITNESS_BITS = 1 << 29
# Hard ceilings of the two limits, in bits (512 MiB and 1 GiB): a limit can never ask, by
# accident, for an allocation the machine cannot make.
COUNT_MAX_BITS_CEILING = 1 << 32
COUNT_MAX_WITNESS_BITS_CEILING = 1 << 33


class CountOutcome(enum.Enum):
    """How many explanations meet the payment. Only ONE proves an amount-only match unique."""

    NONE = "NONE"
    ONE = "ONE"
    MANY = "MANY"
    TOO_LARGE = "TOO_LARGE"


@dataclass(frozen=True, slots=True)
class CountLimits:
    """Limits of the counting DP, in bits (see the module docstring)."""

    max_bits: int = COUNT_MAX_BITS
    max_witness_bits: int = COUNT_MAX_WITNESS_BITS


class SubsetCount(NamedTuple):
    """The count (capped at 2) and, when it is 1 and the tables fit, the unique explanation."""

    outcome: CountOutcome
    explanation_count: int | None
    item_indices: tuple[int, ...]
    discounted: tuple[bool, ...]
    residual_minor: int | None
    witness_available: bool


_Values = list[tuple[int, int | None]]


def _validate(
    items: ItemsLike,
    payments_minor: Sequence[int],
    names: Sequence[str],
    tolerance_minor: int,
    limits: CountLimits,
) -> tuple[_Values, list[int], int, CountLimits]:
    """Checks every input (same order and messages as Rust) and returns plain Python ints."""
    numbers = {
        "tolerance_minor": tolerance_minor,
        "limits.max_bits": limits.max_bits,
        "limits.max_witness_bits": limits.max_witness_bits,
    }
    numbers.update(zip(names, payments_minor, strict=True))
    check_int64_inputs(items, numbers)
    ix = operator.index
    tol, max_bits, max_witness = ix(tolerance_minor), ix(limits.max_bits), ix(limits.max_witness_bits)
    if not 1 <= max_bits <= COUNT_MAX_BITS_CEILING:
        raise ValueError(f"limits.max_bits must be between 1 and {COUNT_MAX_BITS_CEILING}")
    if not 0 <= max_witness <= COUNT_MAX_WITNESS_BITS_CEILING:
        raise ValueError(f"limits.max_witness_bits must be between 0 and {COUNT_MAX_WITNESS_BITS_CEILING}")
    if tol < 0:
        raise ValueError("tolerance_minor must be >= 0")
    payments = [ix(p) for p in payments_minor]
    for name, p in zip(names, payments, strict=True):
        if p <= 0:
            raise ValueError(f"{name} must be > 0")
    values = _item_values(items)
    for i, (a, d) in enumerate(values):
        if a < 0:
            raise ValueError(f"items[{i}].amount_minor must be >= 0")
        if d is not None and not 0 < d < a:
            raise ValueError(f"items[{i}].discounted_minor must be > 0 and < amount_minor")
    return values, payments, tol, CountLimits(max_bits, max_witness)


def _item_values(items: ItemsLike) -> _Values:
    """(full, discounted or None) per item as plain ints; OpenItems' 0 means no discount."""
    if isinstance(items, OpenItems):
        discounts = [d if d != 0 else None for d in items.discounted_minor.tolist()]
        return list(zip(items.amounts_minor.tolist(), discounts, strict=True))
    ix = operator.index
    return [
        (ix(it.amount_minor), None if it.discounted_minor is None else ix(it.discounted_minor))
        for it in items
    ]


def _tables(values: _Values, hi: int, hi_witness: int) -> tuple[int, int, list[int]]:
    """``ones`` and ``twos`` over ``0..=hi`` after every item (non-empty explanations only), and
    ``ones`` before each item cut to ``0..=hi_witness`` (no stages when ``hi_witness < 0``)."""
    mask = (1 << (hi + 1)) - 1
    stage_mask = (1 << (hi_witness + 1)) - 1 if hi_witness >= 0 else 0
    ones, twos = 0, 0
    stages: list[int] = []
    for a, d in values:
        if hi_witness >= 0:
            stages.append(ones & stage_mask)
        # Taking the item extends every earlier explanation and the empty set (one more
        # explanation of 0), so the shifted sources count the empty set at bit 0.
        src_ones, src_twos = ones | 1, twos | (ones & 1)
        new_ones, new_twos = ones, twos
        for v in (a, d):
            if v is None or v > hi:
                continue
            ones_b, twos_b = (src_ones << v) & mask, (src_twos << v) & mask
            new_twos |= twos_b | (new_ones & ones_b)
            new_ones |= ones_b
        ones, twos = new_ones, new_twos
    return ones, twos, stages


def _answer(
    values: _Values, tables: tuple[int, int, list[int]], payment: int, tol: int, witness: bool
) -> SubsetCount:
    """The count over the payment's window; the explanation when it is unique and ``witness``."""
    ones, twos, stages = tables
    lo, top = max(0, payment - tol), payment + tol
    window = (1 << (top - lo + 1)) - 1
    ones_w = (ones >> lo) & window
    if (twos >> lo) & window or ones_w.bit_count() >= 2:
        return SubsetCount(CountOutcome.MANY, 2, (), (), None, False)
    if ones_w == 0:
        return SubsetCount(CountOutcome.NONE, 0, (), (), None, False)
    total = lo + ones_w.bit_length() - 1
    if not witness:
        return SubsetCount(CountOutcome.ONE, 1, (), (), payment - total, False)
    indices, flags = _backtrack(values, stages, total)
    return SubsetCount(CountOutcome.ONE, 1, indices, flags, payment - total, True)


def _backtrack(values: _Values, stages: list[int], total: int) -> tuple[tuple[int, ...], tuple[bool, ...]]:
    """The unique explanation of ``total``, walking the stages back from the last item.

    Invariant: exactly one explanation from items ``0..=i`` totals ``s``. It skips item i (a
    non-empty explanation of s before it), or takes it at its full or discounted amount on top
    of an explanation of the rest (the empty set when the rest is 0): exactly one of the three
    holds, and the assertion checks it.
    """
    picked: list[tuple[int, bool]] = []
    s = total
    for i in range(len(values) - 1, -1, -1):
        before = stages[i]
        a, d = values[i]

        def reaches(rest: int, before: int = before) -> bool:
            return rest == 0 or (rest > 0 and before >> rest & 1 == 1)

        skip = before >> s & 1 == 1
        full = reaches(s - a)
        disc = d is not None and reaches(s - d)
        assert skip + full + disc == 1, f"the explanation of {total} is not unique at item {i}"
        if skip:
            continue
        picked.append((i, disc))
        s -= d if disc and d is not None else a
        if s == 0:
            break
    assert s == 0 and picked, f"no explanation of {total} was found"
    picked.reverse()
    return tuple(i for i, _ in picked), tuple(f for _, f in picked)


def count_subsets_multi(
    items: ItemsLike,
    payments_minor: Sequence[int],
    tolerance_minor: int = 0,
    limits: CountLimits = CountLimits(),
) -> tuple[SubsetCount, ...]:
    """One :func:`count_subsets` result per payment, identical to separate calls: the tables
    are built once, up to the largest ``hi`` within ``limits.max_bits``; the per-stage tables
    only up to the largest ``hi`` whose witness fits ``limits.max_witness_bits``."""
    names = [f"payments_minor[{j}]" for j in range(len(payments_minor))]
    values, payments, tol, lim = _validate(items, payments_minor, names, tolerance_minor, limits)
    return _count_all(values, payments, tol, lim)


def count_subsets(
    items: ItemsLike,
    payment_minor: int,
    tolerance_minor: int = 0,
    limits: CountLimits = CountLimits(),
) -> SubsetCount:
    """How many explanations of every subset size meet the payment within the tolerance
    (capped at 2), and the unique one when there is exactly one (see the module docstring)."""
    values, payments, tol, lim = _validate(items, [payment_minor], ["payment_minor"], tolerance_minor, limits)
    return _count_all(values, payments, tol, lim)[0]


def _count_all(
    values: _Values, payments: list[int], tol: int, limits: CountLimits
) -> tuple[SubsetCount, ...]:
    n = len(values)
    fits = [p + tol < limits.max_bits for p in payments]
    witness = [
        f and n * (p + tol + 1) <= limits.max_witness_bits for p, f in zip(payments, fits, strict=True)
    ]
    hi = max((p + tol for p, f in zip(payments, fits, strict=True) if f), default=-1)
    if hi < 0:
        return tuple(_TOO_LARGE for _ in payments)
    hi_witness = max((p + tol for p, w in zip(payments, witness, strict=True) if w), default=-1)
    tables = _tables(values, hi, hi_witness)
    return tuple(
        _answer(values, tables, p, tol, w) if f else _TOO_LARGE
        for p, f, w in zip(payments, fits, witness, strict=True)
    )


_TOO_LARGE = SubsetCount(CountOutcome.TOO_LARGE, None, (), (), None, False)
