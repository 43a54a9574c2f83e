"""sorted_bounds: sets of four and five items by a depth-first search over sorted positions,
flsss-style: the members are fixed from the largest down, each at a position whose value,
with the entries just below it (the largest the rest can be) reaches the window and, with the
smallest entries, stays under it (both by binary search), and the last two come from
:func:`pairs_by_larger` below the smallest member fixed. No pair table: on amounts spread over
many decades the bounds leave few partial sets, where the table costs n^2 / 2 entries
whatever the target. Chosen by :func:`wide_amounts`.

Twin of ``matcher_rs/core/src/kernels/sorted_bounds.rs``."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from itertools import accumulate
from typing import TYPE_CHECKING

from engine.matching.kernels.collect import Collector, Member, record

if TYPE_CHECKING:
    from engine.matching.kernels.engine import Budget, Engine

# The amounts span at least 2^WIDE_SPAN_BITS (six decades) and there are at most
# WIDE_MAX_ENTRIES value entries: past them the pair table, paid once, serves sets of five
# faster than the deeper search.
WIDE_SPAN_BITS = 20
WIDE_MAX_ENTRIES = 256


def wide_amounts(values: list[int]) -> bool:
    """Whether one payment's sets of 4 and 5 take this kernel instead of the pair table."""
    return (
        bool(values)
        and values[0] > 0
        and len(values) <= WIDE_MAX_ENTRIES
        and values[-1] >= values[0] << WIDE_SPAN_BITS
    )


def prefix_sums(values: list[int]) -> list[int]:
    """``prefix[i]``: the sum of the first ``i`` entries."""
    return [0, *accumulate(values)]


def sorted_bounds(eng: Engine, size: int, target: int, budget: Budget, found: Collector) -> None:
    """Every set of exactly ``size`` (3 to 5) entries of distinct items in the window. The
    start is one node; so is the range of each level and each position tried."""
    lo, hi = target - eng.tol, target + eng.tol
    vals, values, pre = eng.vals, eng.values, eng.val_prefix
    budget.tick()
    chosen: list[tuple[int, int, bool]] = []

    def level(end: int, m: int, s: int) -> None:
        if m == 2:
            for (xv, xi, xd), (yv, yi, yd) in pairs_by_larger(eng, end, lo - s, hi - s, budget):
                if all(c[1] != xi and c[1] != yi for c in chosen):
                    members: list[Member] = [(c[1], c[2]) for c in chosen]
                    members += [(xi, xd), (yi, yd)]
                    record(found, target, s + xv + yv, members)
            return
        if end < m:
            return
        budget.tick()
        # Position p with the m - 1 entries right below it: the largest set p can top,
        # ascending with p. With the m - 1 smallest entries: the smallest.
        a, z = m - 1, end
        while a < z:
            mid = (a + z) // 2
            if s + values[mid] + pre[mid] - pre[mid + 1 - m] < lo:
                a = mid + 1
            else:
                z = mid
        last = bisect.bisect_left(values, hi - s - pre[m - 1] + 1, 0, end)
        for p in range(a, last):
            budget.tick()
            x = vals[p]
            if any(c[1] == x[1] for c in chosen):
                continue
            chosen.append(x)
            level(p, m - 1, s + x[0])
            chosen.pop()

    level(len(vals), size, 0)


def pairs_by_larger(
    eng: Engine, end: int, lo: int, hi: int, budget: Budget
) -> Iterator[tuple[tuple[int, int, bool], tuple[int, int, bool]]]:
    """Yields every pair of entries at positions ``i < j < end`` of distinct items whose
    values sum into ``[lo, hi]``, by the larger one (``sorted_bounds::pairs_by_larger``):
    ``j`` over the positions with ``2 * v_j >= lo`` and ``v_j <= hi - values[0]`` (one node),
    each one node; its partners below it in ``[lo - v_j, hi - v_j]``, each one node."""
    vals, values = eng.vals, eng.values
    if end < 2:
        return
    budget.tick()
    start = max(bisect.bisect_left(values, -(-lo // 2), 0, end), 1)
    stop = bisect.bisect_left(values, hi - values[0] + 1, 0, end)
    for j in range(start, stop):
        budget.tick()
        y = vals[j]
        vy = y[0]
        a, z = bisect.bisect_left(values, lo - vy, 0, j), bisect.bisect_left(values, hi - vy + 1, 0, j)
        for i in range(a, z):
            budget.tick()
            x = vals[i]
            if x[1] != y[1]:
                yield x, y
