"""Ranking of candidates and the outcome rule. Twin of ``matcher_rs/core/src/kernels/rank.rs``."""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from engine.matching.solver_types import INT64_MAX, INT64_MIN, Candidate, OpenItem, Outcome, Solution

Evidence = tuple[bool, int, int, int, int, int]


def evidence(items: Sequence[OpenItem], indices: tuple[int, ...], residual: int, extra: int) -> Evidence:
    dues = [items[i].due_ordinal for i in indices]
    return (
        residual != 0,
        abs(residual),
        -sum(items[i].reference_score for i in indices),
        len(indices) + extra,
        max(dues) - min(dues),
        sum(dues),
    )


def with_memory(result: Outcome, refused: bool, overflowed: bool) -> Outcome:
    """``result`` once memory is accounted for (``rank::with_memory``): a refused table or a
    dropped set (which ends the search at its next tick) means MEMORY_LIMIT."""
    if refused or overflowed:
        return Outcome.MEMORY_LIMIT
    return result


def with_solution_limit(result: Outcome, complete: bool, limited: bool) -> Outcome:
    """``result`` of a search ``limited`` by max_solutions (``rank::with_solution_limit``):
    SOLUTION_LIMIT unless the search completed anyway (the sets are all there are)."""
    if limited and not complete:
        return Outcome.SOLUTION_LIMIT
    return result


def outcome(ranked: list[Evidence], complete: bool) -> Outcome:
    if not complete:
        return Outcome.BUDGET_EXHAUSTED
    if not ranked:
        return Outcome.NO_MATCH
    if len(ranked) == 1 or (ranked[1][0], ranked[1][2]) > (ranked[0][0], ranked[0][2]):
        return Outcome.MATCHED
    return Outcome.AMBIGUOUS


# Evidence of a partial set (reference sum, smallest and largest due, due sum), extended
# one member at a time (rank::Partial).
Partial = tuple[int, int, int, int]
EMPTY_PARTIAL: Partial = (0, INT64_MAX, INT64_MIN, 0)


def extended(part: Partial, it: OpenItem) -> Partial:
    reference, due_lo, due_hi, due_sum = part
    due = it.due_ordinal
    return reference + it.reference_score, min(due_lo, due), max(due_hi, due), due_sum + due


def evidence_of(part: Partial, size: int, residual: int) -> Evidence:
    reference, due_lo, due_hi, due_sum = part
    return (residual != 0, abs(residual), -reference, size, due_hi - due_lo, due_sum)


class Kept:
    """A kept candidate ordered worst first, so that a heapq heap's top is the worst."""

    __slots__ = ("key", "residual")

    def __init__(self, key: tuple[Evidence, tuple[int, ...]], residual: int) -> None:
        self.key = key
        self.residual = residual

    def __lt__(self, other: Kept) -> bool:
        return other.key < self.key


class Best:
    """The best max(2, max_candidates) candidates seen and how many were seen
    (rank::Best): for a kernel producing each set once, in one variant (full amounts).
    The ranking key is a total order, so what is kept does not depend on arrival order."""

    def __init__(self, max_candidates: int, limit: int = 2**64 - 1) -> None:
        self.keep = max(max_candidates, 2)
        self.heap: list[Kept] = []
        self.seen = 0
        # The solution limit and whether the sets seen reached it.
        self.limit = limit
        self.limited = False

    def offer(self, ev: Evidence, indices: tuple[int, ...], residual: int) -> None:
        self.seen += 1
        self.limited |= self.seen >= self.limit
        if len(self.heap) < self.keep:
            heapq.heappush(self.heap, Kept((ev, indices), residual))
        elif (ev, indices) < self.heap[0].key:
            heapq.heapreplace(self.heap, Kept((ev, indices), residual))

    def finish(
        self, payment: int, complete: bool, max_candidates: int, nodes: int, refused: bool
    ) -> Solution:
        ranked = sorted(self.heap, key=lambda kept: kept.key)
        candidates = tuple(
            Candidate(kept.key[1], (False,) * len(kept.key[1]), payment - kept.residual, kept.residual)
            for kept in ranked[:max_candidates]
        )
        return Solution(
            outcome=with_memory(
                with_solution_limit(
                    outcome([kept.key[0] for kept in ranked[:2]], complete), complete, self.limited
                ),
                refused,
                False,
            ),
            candidates=candidates,
            candidate_count=self.seen,
            algorithm="subset_dp",
            nodes=nodes,
        )
