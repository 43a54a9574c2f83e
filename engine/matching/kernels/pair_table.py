"""The sorted pair-sum table of the k-sum kernels. Twin of ``matcher_rs/core/src/kernels/pair_table.rs``
(whose occupancy map only finds a window's start faster, changing no count)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.matching.kernels.engine import Budget

from engine.matching.solver_types import PAIR_BYTES

PairT = tuple[int, int, int]


def pair_table(vals: list[tuple[int, int, bool]], n_items: int, budget: Budget) -> list[PairT]:
    """Every pair of entries of distinct items, sorted: (value, position p, position q > p)."""
    # Count first so the budget refuses a table before it is allocated.
    count = len(vals)
    budget.reserve(count * max(count - 1, 0) // 2, PAIR_BYTES)
    budget.tick(max(count * max(count - 1, 0) // 2 - (count - n_items), 0))
    pairs = [
        (vals[p][0] + vals[q][0], p, q)
        for p in range(count)
        for q in range(p + 1, count)
        if vals[p][1] != vals[q][1]
    ]
    pairs.sort()
    return pairs
