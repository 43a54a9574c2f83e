"""The engine every search kernel runs in: the node budget, the sorted value entries, the
target-independent tables of each algorithm and the dispatch of a query to its kernel.

Twin of ``matcher_rs/core/src/kernels/engine.rs``. Each kernel lives in
``engine/matching/kernels/<name>.py`` and mirrors ``kernels/<name>.rs`` line for line, including
every ``budget.tick`` call, so the node counter and the exhaustion point agree between the two."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from engine.matching.kernels import branch_and_bound, horowitz_sahni, ksum_mitm, sorted_bounds, two_pointer
from engine.matching.kernels.collect import Collector
from engine.matching.kernels.horowitz_sahni import half_table
from engine.matching.kernels.pair_table import PairCost, PairT, build_pair_table, pair_table
from engine.matching.kernels.sorted_bounds import prefix_sums, wide_amounts
from engine.matching.solver_types import (
    BNB_BYTES,
    HALF_BYTES,
    PAIR_BYTES,
    VAL_BYTES,
    hs_table_entries,
)

if TYPE_CHECKING:
    from engine.matching.solver_types import OpenItem


class Exhausted(Exception):
    """The node budget ran out."""


class Budget:
    """Deterministic work counter with a limit, and the memory the search's tables may
    take: each table is reserved at its modelled size (entries times the ``*_BYTES``
    constants of ``solver_types``) before it is built, as in Rust (``Budget::reserve``)."""

    __slots__ = ("limit", "memory_limit", "nodes", "refused", "reserved", "stop")

    def __init__(self, limit: int, memory_limit: int = 2**63 - 1) -> None:
        self.nodes = 0
        self.limit = limit
        self.memory_limit = memory_limit
        self.reserved = 0
        self.refused = False
        # Set by a full collector: the next tick ends the search.
        self.stop = False

    def copy(self) -> Budget:
        """A budget that continues from this one (a payment after the shared tables)."""
        other = Budget(self.limit, self.memory_limit)
        other.nodes, other.reserved, other.refused = self.nodes, self.reserved, self.refused
        return other

    def reserve(self, count: int, size: int) -> None:
        """Reserves ``count`` entries of ``size`` bytes before a table is built; raises
        Exhausted (and remembers why) when they would pass the memory limit."""
        total = self.reserved + count * size
        if total > self.memory_limit:
            self.refused = True
            raise Exhausted
        self.reserved = total

    def tick(self, n: int = 1) -> None:
        self.nodes += n
        if self.nodes > self.limit or self.stop:
            raise Exhausted


# Stands for "no pair after this position"; mirrors i128::MAX / 4 in Rust.
NO_PAIR = (2**127 - 1) // 4


class Engine:
    """Target-independent tables of one algorithm, reusable across payments."""

    def __init__(
        self,
        items: Sequence[OpenItem],
        k: int,
        tol: int,
        algorithm: str,
        multi: bool,
        budget: Budget,
    ) -> None:
        # multi: the engine will answer many targets (many-to-many); k-sum then builds
        # the pair table for triples too and answers sets of 1 to 3 by window lookups.
        self.items = items
        self.multi = multi
        self.k = k
        self.tol = tol
        self.algorithm = algorithm
        self.vals: list[tuple[int, int, bool]] = []
        self.values: list[int] = []
        self.top2 = 0
        self.min_after: list[int] = []
        self.max_before: list[int] = []
        self.trip: list[int] = []
        self.pairs: list[PairT] = []
        self.pair_values: list[int] = []
        self.left: list[tuple[int, int, int, int]] = []
        self.right: list[tuple[int, int, int, int]] = []
        self.right_values: list[int] = []
        self.order: list[int] = []
        self.prefix: list[int] = []
        self.credit: list[int] = []
        # The pair table's cost when the query pays for it (see below).
        self.deferred: PairCost | None = None
        if algorithm in ("two_pointer", "ksum_mitm"):
            self._sorted_values(budget)
        # One payment's sets of 4 and 5 take sorted_bounds on wide amounts (no pair table).
        self.bounded = algorithm == "ksum_mitm" and not multi and k >= 4 and wide_amounts(self.values)
        self.val_prefix: list[int] = []
        if self.bounded:
            budget.reserve(len(self.vals) + 1, VAL_BYTES)
            self.val_prefix = prefix_sums(self.values)
        if algorithm == "ksum_mitm" and multi:
            self.pairs = pair_table(self.vals, len(items), budget)
            self.pair_values = [x[0] for x in self.pairs]
        elif algorithm == "ksum_mitm" and k >= 4 and not self.bounded:
            # Triples need no table; only sets of 4 and 5 use the pair table. For one
            # payment the query pays for it after the sets of 1 to 3 (smaller k first); it
            # is built here only when the budget can still pay for it then.
            self.deferred = PairCost.of(self.vals, len(items))
            if self.deferred.affordable(budget):
                self.pairs = build_pair_table(self.vals)
                self.pair_values = [x[0] for x in self.pairs]
        elif algorithm == "horowitz_sahni":
            budget.reserve(hs_table_entries(items), HALF_BYTES)
            half = len(items) // 2
            self.left = half_table(items, range(half), k, budget)
            self.right = sorted(half_table(items, range(half, len(items)), k, budget))
            self.right_values = [r[0] for r in self.right]
        elif algorithm == "branch_and_bound":
            budget.reserve(len(items) + 1, BNB_BYTES)
            budget.tick(len(items))
            self.order = sorted(range(len(items)), key=lambda i: (-items[i].amount_minor, i))
            # Positive and negative parts apart: credits (last in the order) can lower a sum.
            self.prefix = [0]
            self.credit = [0]
            for i in self.order:
                self.prefix.append(self.prefix[-1] + max(items[i].amount_minor, 0))
                self.credit.append(self.credit[-1] + min(items[i].amount_minor, 0))

    def pending_bytes(self) -> int:
        """Bytes of a table built here that the query has yet to reserve (the deferred pair
        table): the collector's room leaves them out."""
        if self.deferred is not None and self.pairs:
            return self.deferred.entries * PAIR_BYTES
        return 0

    def _sorted_values(self, budget: Budget) -> None:
        discounted = sum(1 for it in self.items if it.discounted_minor is not None)
        budget.reserve(len(self.items) + discounted, VAL_BYTES)
        vals = []
        for i, it in enumerate(self.items):
            vals.append((it.amount_minor, i, False))
            if it.discounted_minor is not None:
                vals.append((it.discounted_minor, i, True))
        budget.tick(len(vals))
        vals.sort()
        self.vals = vals
        self.values = values = [v[0] for v in vals]
        count = len(values)
        # Bounds of the k-sum kernels (not counted): the largest value of two entries, and
        # the smallest of two entries after position q (either may pair one item's two
        # entries; they are bounds only).
        self.top2 = values[-1] + values[-2] if count >= 2 else -NO_PAIR
        self.min_after = [values[q + 1] + values[q + 2] if q + 2 < count else NO_PAIR for q in range(count)]
        # The largest value of the two entries before position s, and that plus entry s.
        self.max_before = [values[q - 1] + values[q - 2] if q >= 2 else -NO_PAIR for q in range(count)]
        self.trip = [values[q] + self.max_before[q] for q in range(count)]

    def query(self, target: int, budget: Budget, found: Collector) -> None:
        """Records every candidate for ``target`` into ``found``."""
        if self.algorithm == "two_pointer":
            two_pointer.singles(self, target, budget, found)
            if self.k >= 2:
                two_pointer.two_pointer(self, target, budget, found)
        elif self.algorithm == "ksum_mitm" and self.bounded:
            two_pointer.singles(self, target, budget, found)
            two_pointer.two_pointer(self, target, budget, found)
            ksum_mitm.ksum3(self, target, budget, found)
            for size in range(4, self.k + 1):
                sorted_bounds.sorted_bounds(self, size, target, budget, found)
        elif self.algorithm == "ksum_mitm":
            if self.multi:
                ksum_mitm.singles_window(self, target, budget, found)
                ksum_mitm.pairs_window(self, target, budget, found)
                ksum_mitm.ksum3_table(self, target, budget, found)
            else:
                two_pointer.singles(self, target, budget, found)
                two_pointer.two_pointer(self, target, budget, found)
                ksum_mitm.ksum3(self, target, budget, found)
                if self.deferred is not None:
                    self.deferred.charge(budget)
            if self.k >= 4:
                ksum_mitm.ksum4(self, target, budget, found)
            if self.k >= 5:
                ksum_mitm.ksum5(self, target, budget, found)
        elif self.algorithm == "horowitz_sahni":
            horowitz_sahni.horowitz_sahni(self, target, budget, found)
        else:
            branch_and_bound.branch_and_bound(self, target, budget, found)
