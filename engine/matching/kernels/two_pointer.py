"""two_pointer: sets of one and two items over the sorted value entries.

Twin of ``matcher_rs/core/src/kernels/two_pointer.rs``."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import TYPE_CHECKING

from engine.matching.kernels.collect import Collector, record

if TYPE_CHECKING:
    from engine.matching.kernels.engine import Budget, Engine


def singles(eng: Engine, target: int, budget: Budget, found: Collector) -> None:
    hi = target + eng.tol
    for v, item, disc in eng.vals:
        budget.tick()
        if v > hi:
            break
        if abs(target - v) <= eng.tol:
            record(found, target, v, [(item, disc)])


def two_pointer(eng: Engine, target: int, budget: Budget, found: Collector) -> None:
    # Pairs of distinct items.
    window = pairs_in_window(eng, 0, len(eng.vals), target - eng.tol, target + eng.tol, budget)
    for (xv, xi, xd), (yv, yi, yd) in window:
        record(found, target, xv + yv, [(xi, xd), (yi, yd)])


def pairs_in_window(
    eng: Engine, start: int, end: int, lo: int, hi: int, budget: Budget
) -> Iterator[tuple[tuple[int, int, bool], tuple[int, int, bool]]]:
    """Yields every pair of entries at positions ``start <= i < j < end`` of distinct
    items whose values sum into ``[lo, hi]``. The smaller entry starts at the first one
    that reaches ``lo`` with the largest entry (binary search, one node); two pointers
    then slide left over the sorted values, and every move and scanned entry is a
    node. The scan stops once no entry after ``i`` fits under ``hi``."""
    vals, values = eng.vals, eng.values
    if end - start < 2:
        return
    budget.tick()
    first = bisect.bisect_left(values, lo - values[end - 1], start, end)
    if first >= end:
        return
    v0 = values[first]
    hi_ptr = bisect.bisect_right(values, hi - v0, start, end) - 1
    lo_ptr = bisect.bisect_left(values, lo - v0, start, end)
    for i in range(first, end):
        budget.tick()
        vi = values[i]
        up, down = hi - vi, lo - vi
        if up < vi or hi_ptr <= i:
            break
        # values[i] <= up, so the pointer stops at i at the latest.
        while values[hi_ptr] > up:
            hi_ptr -= 1
            budget.tick()
        if hi_ptr <= i:
            break
        while lo_ptr > i + 1 and values[lo_ptr - 1] >= down:
            lo_ptr -= 1
            budget.tick()
        for j in range(max(lo_ptr, i + 1), hi_ptr + 1):
            budget.tick()
            if vals[j][1] != vals[i][1]:
                yield vals[i], vals[j]
