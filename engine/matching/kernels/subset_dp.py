"""subset_dp: every candidate of items without discounts, enumerated output-sensitively from
a table of the payment window.

Twin of ``matcher_rs/core/src/kernels/subset_dp.rs``."""

from __future__ import annotations

from array import array
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from engine.matching.kernels.engine import Budget, Exhausted
from engine.matching.kernels.rank import EMPTY_PARTIAL, Best, Partial, evidence_of, extended
from engine.matching.solver_types import (
    DP_CELL_BYTES,
    DP_CELLS_PER_NODE,
    Limits,
    OpenItem,
    Solution,
    solution_limit,
)


def dp_table_nodes(n: int, hi: int) -> int:
    return (n + 1) * -(-(hi + 1) // DP_CELLS_PER_NODE)


class SubsetDp:
    """The subset_dp kernel (``matcher_core::dp``): every candidate of items without
    discounts, enumerated output-sensitively from a table of the payment window.

    With ``lo = max(payment - tol, 1)``, ``hi = payment + tol``, window width ``w = hi - lo
    + 1`` and ``kk = min(k, hi)`` (more than hi items cannot total hi or less), row i of
    the table describes ``items[i:]``: cell t (0 <= t <= hi) is the fewest items of a
    non-empty subset of that suffix totalling within ``[t - w + 1, t]``, or ``kk + 1``. A
    prefix with total ``cur <= hi`` and m members, free to take items from i on, thus has
    a non-empty completion into the window iff ``row_i[hi - cur] <= kk - m``: the search
    reads it before entering any branch, so every prefix it visits leads to a candidate.
    (Rust stores reachability bits instead when ``k >= n``, where the count cannot bind;
    the answers are the same.) Nodes: ``ceil((hi + 1) / DP_CELLS_PER_NODE)`` per row,
    n + 1 rows, counted before the table is built; then one per visited prefix (the empty
    root included) and one per item examined as the next member of a prefix.
    """

    def __init__(self, items: Sequence[OpenItem], k: int, payment: int, tol: int) -> None:
        self.items = items
        self.payment = payment
        self.lo, self.hi = max(payment - tol, 1), payment + tol
        self.kk = min(k, self.hi)
        # An amount above hi never fits; clamped, every sum below stays small.
        self.amounts = [min(it.amount_minor, self.hi + 1) for it in items]
        self.rows: list[array[int]] = []

    def solve(self, limits: Limits) -> Solution:
        budget = Budget(limits.node_budget, limits.memory_limit_bytes)
        best = Best(limits.max_candidates, solution_limit(limits.max_solutions))
        complete = True
        try:
            budget.reserve((len(self.items) + 1) * (self.hi + 1), DP_CELL_BYTES)
            budget.tick(dp_table_nodes(len(self.items), self.hi))
            self._build()
            self._search(budget, best)
        except Exhausted:
            complete = False
        return best.finish(self.payment, complete, limits.max_candidates, budget.nodes, budget.refused)

    def _build(self) -> None:
        # Exact counts per suffix (the empty set at 0), rows n down to 0, with numpy; each
        # row is stored as its window minima over totals >= 1 (non-empty completions).
        hi, none = self.hi, self.kk + 1
        exact = np.full(hi + 1, none, dtype=np.int64)
        exact[0] = 0
        rows = [self._window_minima(exact)]
        for a in reversed(self.amounts):
            if a <= hi:
                taken = np.minimum(exact[: hi + 1 - a] + 1, none)
                exact = exact.copy()
                exact[a:] = np.minimum(exact[a:], taken)
            rows.append(self._window_minima(exact))
        rows.reverse()
        self.rows = rows

    def _window_minima(self, exact: NDArray[np.int64]) -> array[int]:
        # Van Herk / Gil-Werman: prefix and suffix minima within blocks of the window width.
        span, none = self.hi - self.lo + 1, self.kk + 1
        x = exact.copy()
        x[0] = none
        if span > 1:
            blocks = -(-len(x) // span)
            padded = np.full(blocks * span, none, dtype=np.int64)
            padded[: len(x)] = x
            grid = padded.reshape(blocks, span)
            prefix = np.minimum.accumulate(grid, axis=1).ravel()[: len(x)]
            suffix = np.minimum.accumulate(grid[:, ::-1], axis=1)[:, ::-1].ravel()[: len(x)]
            x = prefix.copy()
            x[span - 1 :] = np.minimum(prefix[span - 1 :], suffix[: len(x) - span + 1])
        if none <= 255:
            return array("B", x.astype(np.uint8).tobytes())
        return array("H", x.astype(np.uint16).tobytes())

    def _search(self, budget: Budget, best: Best) -> None:
        # Depth-first over items in index order with an explicit stack of ancestors (a set
        # may have more members than Python's recursion limit); mirrors Search::run.
        items, amounts, rows = self.items, self.amounts, self.rows
        n, kk, lo, hi = len(amounts), self.kk, self.lo, self.hi
        budget.tick()
        chosen: list[int] = []
        ancestors: list[tuple[int, int, int, Partial]] = []
        nxt, top_cur, top_m, part = (0 if kk > 0 else n), 0, 0, EMPTY_PARTIAL
        while True:
            if nxt == n:
                if not ancestors:
                    return
                nxt, top_cur, top_m, part = ancestors.pop()
                chosen.pop()
                continue
            j = nxt
            nxt += 1
            budget.tick()
            cur, m = top_cur + amounts[j], top_m + 1
            fits = cur <= hi
            offer = fits and cur >= lo
            extend = fits and rows[j + 1][hi - cur] <= kk - m
            if not offer and not extend:
                # Item j starts no completion; if none from items[j:] completes the prefix,
                # none from a shorter suffix does either.
                if rows[j][hi - top_cur] > kk - top_m:
                    nxt = n
                continue
            budget.tick()
            child = extended(part, items[j])
            chosen.append(j)
            if offer:
                residual = self.payment - cur
                best.offer(evidence_of(child, m, residual), tuple(chosen), residual)
                if best.limited:
                    # The solution limit: the search ends at its next tick.
                    budget.stop = True
            if extend:
                ancestors.append((nxt, top_cur, top_m, part))
                nxt, top_cur, top_m, part = j + 1, cur, m, child
            else:
                chosen.pop()
