"""ksum_shared_triples: the k-sum engine plus a table of every triple, shared by the payments
of one customer.

Twin of ``matcher_rs/core/src/kernels/shared_triples.rs``."""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from engine.matching.kernels.collect import Collector, record
from engine.matching.kernels.engine import NO_PAIR, Budget, Engine
from engine.matching.kernels.ksum_mitm import pairs_window, singles_window
from engine.matching.solver_types import TRIPLE_BYTES

if TYPE_CHECKING:
    from engine.matching.solver_types import OpenItem


def triple_count(n_items: int, count: int) -> int:
    # Triples of entries of three distinct items: a triple holding both entries of one
    # item holds one of the count - n_items same-item pairs plus any third entry.
    same = count - n_items
    return count * (count - 1) * (count - 2) // 6 - same * max(count - 2, 0)


class SharedTriples:
    """The ksum_shared_triples kernel (``SharedTriples`` in Rust): the k-sum engine in
    table mode plus a sorted table of every triple, built once per customer. Per
    payment: singles, pairs and triples are windows; a quadruple is entry s plus triple
    t with s < t.p, a quintuple pair l plus triple t with l.q < t.p; position order
    and disjointness are checked on hits only."""

    def __init__(self, items: Sequence[OpenItem], k: int, tol: int, budget: Budget) -> None:
        eng = Engine(items, k, tol, "ksum_mitm", True, budget)
        self.engine = eng
        vals = eng.vals
        count = len(vals)
        budget.reserve(triple_count(len(items), count), TRIPLE_BYTES)
        budget.tick(triple_count(len(items), count))
        triples = []
        for p in range(count):
            xv, xi, _xd = vals[p]
            for q in range(p + 1, count):
                yv, yi, _yd = vals[q]
                if xi == yi:
                    continue
                xy = xv + yv
                for r in range(q + 1, count):
                    zi = vals[r][1]
                    if zi != xi and zi != yi:
                        triples.append((xy + vals[r][0], p, q, r))
        triples.sort()
        self.triples = triples
        self.triple_values = [t[0] for t in triples]
        self.min3_after = [
            vals[q + 1][0] + vals[q + 2][0] + vals[q + 3][0] if q + 3 < count else NO_PAIR
            for q in range(count)
        ]

    def _scan(self, lo: int, hi: int, budget: Budget) -> Iterator[tuple[int, int, int, int]]:
        triples = self.triples
        j = bisect.bisect_left(self.triple_values, lo)
        while j < len(triples) and triples[j][0] <= hi:
            budget.tick()
            yield triples[j]
            j += 1

    def query(self, target: int, budget: Budget, found: Collector) -> None:
        eng = self.engine
        vals = eng.vals
        singles_window(eng, target, budget, found)
        pairs_window(eng, target, budget, found)
        lo0, hi0 = target - eng.tol, target + eng.tol
        budget.tick()
        for tv, tp, tq, tr in self._scan(lo0, hi0, budget):
            x, y, z = vals[tp], vals[tq], vals[tr]
            record(found, target, tv, [(x[1], x[2]), (y[1], y[2]), (z[1], z[2])])
        if eng.k >= 4:
            # Quadruples: entry s plus triple t with s < t.p.
            for p0, (sv, s_item, s_disc) in enumerate(vals):
                budget.tick()
                if 4 * sv > hi0:
                    break
                for tv, tp, tq, tr in self._scan(lo0 - sv, hi0 - sv, budget):
                    x, y, z = vals[tp], vals[tq], vals[tr]
                    if tp > p0 and s_item not in (x[1], y[1], z[1]):
                        members = [(s_item, s_disc), (x[1], x[2]), (y[1], y[2]), (z[1], z[2])]
                        record(found, target, sv + tv, members)
        if eng.k >= 5:
            # Quintuples: pair l plus triple t with l.q < t.p; t >= 3 * vals[l.q] >= 1.5 * l.
            for lv, lp, lq in eng.pairs:
                budget.tick()
                if 5 * lv > 2 * hi0:
                    break
                if lv + self.min3_after[lq] > hi0:
                    continue
                a, b = vals[lp], vals[lq]
                for tv, tp, tq, tr in self._scan(lo0 - lv, hi0 - lv, budget):
                    x, y, z = vals[tp], vals[tq], vals[tr]
                    if tp > lq and not {x[1], y[1], z[1]} & {a[1], b[1]}:
                        members = [(a[1], a[2]), (b[1], b[2]), (x[1], x[2]), (y[1], y[2]), (z[1], z[2])]
                        record(found, target, lv + tv, members)
