"""horowitz_sahni: every set of up to k items from two half tables of partial sums.

Twin of ``matcher_rs/core/src/kernels/horowitz_sahni.rs``."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import TYPE_CHECKING

from engine.matching.kernels.collect import Collector, amounts, record

if TYPE_CHECKING:
    from engine.matching.kernels.engine import Budget, Engine
    from engine.matching.solver_types import OpenItem


def half_table(
    items: Sequence[OpenItem], indices: range, k: int, budget: Budget
) -> list[tuple[int, int, int, int]]:
    """Every partial assignment of up to k of the items at ``indices``: (value, item mask,
    discount mask, size), one node each, in the order Rust builds them."""
    table = [(0, 0, 0, 0)]
    budget.tick(1)
    for i in indices:
        current = len(table)
        for v, disc in amounts(items[i]):
            for e in range(current):
                hv, mask, dmask, size = table[e]
                if size < k:
                    budget.tick(1)
                    bit = 1 << i
                    table.append((hv + v, mask | bit, dmask | bit if disc else dmask, size + 1))
    return table


def horowitz_sahni(eng: Engine, target: int, budget: Budget, found: Collector) -> None:
    lo0, hi0 = target - eng.tol, target + eng.tol
    right = eng.right
    for ev, emask, edmask, esize in eng.left:
        budget.tick()
        j = bisect.bisect_left(eng.right_values, lo0 - ev)
        while j < len(right) and right[j][0] <= hi0 - ev:
            budget.tick()
            rv, rmask, rdmask, rsize = right[j]
            if 1 <= esize + rsize <= eng.k:
                mask, dmask = emask | rmask, edmask | rdmask
                members = [(i, bool(dmask >> i & 1)) for i in range(64) if mask >> i & 1]
                record(found, target, ev + rv, members)
            j += 1
