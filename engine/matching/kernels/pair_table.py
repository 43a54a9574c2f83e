"""The sorted pair-sum table of the k-sum kernels. Twin of ``matcher_rs/core/src/kernels/pair_table.rs``
(whose occupancy map only finds a window's start faster, changing no count)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from engine.matching.solver_types import PAIR_BYTES

if TYPE_CHECKING:
    from engine.matching.kernels.engine import Budget

PairT = tuple[int, int, int]


class PairCost(NamedTuple):
    """What the pair table costs: the entries reserved (every pair of entries) and the
    nodes counted (its pairs of distinct items)."""

    entries: int
    nodes: int

    @classmethod
    def of(cls, vals: list[tuple[int, int, bool]], n_items: int) -> PairCost:
        count = len(vals)
        entries = count * max(count - 1, 0) // 2
        return cls(entries, max(entries - (count - n_items), 0))

    def charge(self, budget: Budget) -> None:
        """Reserves and counts the table; raises Exhausted when the budget cannot pay."""
        budget.reserve(self.entries, PAIR_BYTES)
        budget.tick(self.nodes)

    def affordable(self, budget: Budget) -> bool:
        """Whether ``budget`` could still pay for the table (it can only shrink)."""
        return (
            budget.nodes + self.nodes <= budget.limit
            and budget.reserved + self.entries * PAIR_BYTES <= budget.memory_limit
        )


def pair_table(vals: list[tuple[int, int, bool]], n_items: int, budget: Budget) -> list[PairT]:
    """The pair table, paid for first: a table the budget refuses is never built."""
    PairCost.of(vals, n_items).charge(budget)
    return build_pair_table(vals)


def build_pair_table(vals: list[tuple[int, int, bool]]) -> list[PairT]:
    """Every pair of entries of distinct items, sorted: (value, position p, position q > p)."""
    count = len(vals)
    pairs = [
        (vals[p][0] + vals[q][0], p, q)
        for p in range(count)
        for q in range(p + 1, count)
        if vals[p][1] != vals[q][1]
    ]
    pairs.sort()
    return pairs
