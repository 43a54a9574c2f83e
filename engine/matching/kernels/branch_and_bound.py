"""branch_and_bound: depth-first search over items by descending amount.

Twin of ``matcher_rs/core/src/kernels/branch_and_bound.rs``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from engine.matching.kernels.collect import Collector, Member, amounts, record

if TYPE_CHECKING:
    from engine.matching.kernels.engine import Budget, Engine


def branch_and_bound(eng: Engine, target: int, budget: Budget, found: Collector) -> None:
    # Depth-first by descending amount, pruned by the payment window and by the
    # largest amounts still available (a prefix of the descending order). The stack
    # is explicit because max_items may exceed Python's recursion limit; the visit
    # order is that of the recursive Rust search. With credits (negative amounts, last in
    # the order) a sum can fall as the set grows: the later members can take off at most the
    # credits among the last r - 1 items (eng.credit; 0 without credits).
    lo, hi = target - eng.tol, target + eng.tol
    n = len(eng.order)
    chosen: list[Member] = []
    frames: list[Iterator[tuple[int, int]]] = []

    def children(s: int, start: int) -> Iterator[tuple[int, int]]:
        # Yields (sum, start) of each child with its member pushed onto chosen.
        r = eng.k - len(chosen)
        for j in range(start, n):
            if s + eng.prefix[min(j + r, n)] - eng.prefix[j] < lo:
                return
            idx = eng.order[j]
            rebate = eng.credit[n] - eng.credit[max(n + 1 - r, j + 1)]
            for v, disc in amounts(eng.items[idx]):
                if s + v + rebate > hi:
                    continue
                chosen.append((idx, disc))
                yield s + v, j + 1
                chosen.pop()

    def visit(s: int, start: int) -> None:
        budget.tick()
        if chosen and lo <= s <= hi:
            record(found, target, s, list(chosen))
        if len(chosen) < eng.k:
            frames.append(children(s, start))

    visit(0, 0)
    while frames:
        child = next(frames[-1], None)
        if child is None:
            frames.pop()
        else:
            visit(*child)
