"""ksum_mitm: sets of three to five items, met in the middle over the sorted value entries
and the pair table.

Twin of ``matcher_rs/core/src/kernels/ksum_mitm.rs``."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import TYPE_CHECKING

from engine.matching.kernels.collect import Collector, record
from engine.matching.kernels.pair_table import PairT
from engine.matching.kernels.two_pointer import pairs_in_window

if TYPE_CHECKING:
    from engine.matching.kernels.engine import Budget, Engine


def top_first(k: int, values: list[int], rows: list[int], lo: int, hi: int, top2: int) -> bool:
    """Mirrors ``top_first`` in Rust: whether the k-sum kernel for sets of ``k`` (3 to 5)
    items fixes the largest part of a set first (top) rather than the smallest (bottom).
    Both visit every set once; top visits far fewer partial sets on skewed amounts, on
    flat ones either may win. The rule compares how many outer-loop rows (``values``
    for k = 3, else the pair values ``rows``) each way can visit; ties go to top."""
    if k == 3:
        bottom = bisect.bisect_right(values, hi // 3) - bisect.bisect_left(values, lo - top2)
        top = bisect.bisect_right(values, hi - values[0] - values[1]) - bisect.bisect_left(
            values, -(-lo // 3)
        )
    elif k == 4:
        bottom = bisect.bisect_right(rows, hi // 2) - bisect.bisect_left(rows, lo - top2)
        top = bisect.bisect_right(rows, hi - values[0] - values[1]) - bisect.bisect_left(rows, -(-lo // 2))
    else:
        bottom = bisect.bisect_right(rows, (hi - values[0]) // 2) - bisect.bisect_left(
            rows, -((2 * (top2 - lo)) // 3)
        )
        top = bisect.bisect_right(rows, hi - values[0] - values[1] - values[2]) - bisect.bisect_left(
            rows, -((-2 * lo) // 5)
        )
    return top <= bottom


def scan_pairs(eng: Engine, lo: int, hi: int, budget: Budget) -> Iterator[PairT]:
    """Yields the pairs whose value lies in ``[lo, hi]``, counting each."""
    pairs = eng.pairs
    j = bisect.bisect_left(eng.pair_values, lo)
    while j < len(pairs) and pairs[j][0] <= hi:
        budget.tick()
        yield pairs[j]
        j += 1


# Sets of 3 to 5 are decomposed in value order: with the chosen entries at sorted
# positions e1 < e2 < ..., bottom first a triple is e1 + (e2, e3), a quadruple
# (e1, e2) + (e3, e4) and a quintuple e1 + (e2, e3) + (e4, e5); top first a triple is
# e3 + (e1, e2), a quadruple (e3, e4) + (e1, e2) and a quintuple (e4, e5) + e3 +
# (e1, e2). Each variant of each set appears exactly once, and because the entries
# are sorted, every loop runs over the range its bounds leave (found by binary
# search) instead of skipping rows one by one.


def ksum3(eng: Engine, target: int, budget: Budget, found: Collector) -> None:
    lo0, hi0 = target - eng.tol, target + eng.tol
    vals, values = eng.vals, eng.values
    n = len(vals)
    budget.tick()
    if top_first(3, values, values, lo0, hi0, eng.top2):
        # Triples: entry s plus a two-pointer pair of earlier entries; s must reach lo
        # with its two predecessors.
        for p0 in range(max(bisect.bisect_left(eng.trip, lo0), 2), n):
            budget.tick()
            sv, s_item, s_disc = vals[p0]
            if sv + values[0] + values[1] > hi0:
                break
            for (xv, xi, xd), (yv, yi, yd) in pairs_in_window(eng, 0, p0, lo0 - sv, hi0 - sv, budget):
                if xi != s_item and yi != s_item:
                    record(found, target, sv + xv + yv, [(xi, xd), (yi, yd), (s_item, s_disc)])
        return
    # Triples: entry s plus a two-pointer pair of later entries (no table). The first
    # s is the first that reaches lo with the two largest entries; the loop stops at
    # the first s whose two successors already pass hi.
    for p0 in range(bisect.bisect_left(values, lo0 - eng.top2), n - 2):
        budget.tick()
        sv, s_item, s_disc = vals[p0]
        if sv + values[p0 + 1] + values[p0 + 2] > hi0:
            break
        for (xv, xi, xd), (yv, yi, yd) in pairs_in_window(eng, p0 + 1, n, lo0 - sv, hi0 - sv, budget):
            if xi != s_item and yi != s_item:
                record(found, target, sv + xv + yv, [(s_item, s_disc), (xi, xd), (yi, yd)])


def singles_window(eng: Engine, target: int, budget: Budget, found: Collector) -> None:
    # Singles by binary search (one node) plus one node per entry in the window.
    lo, hi = target - eng.tol, target + eng.tol
    budget.tick()
    vals = eng.vals
    j = bisect.bisect_left(eng.values, lo)
    while j < len(vals) and vals[j][0] <= hi:
        budget.tick()
        record(found, target, vals[j][0], [(vals[j][1], vals[j][2])])
        j += 1


def pairs_window(eng: Engine, target: int, budget: Budget, found: Collector) -> None:
    # Pairs of distinct items read from the pair table's window.
    budget.tick()
    vals = eng.vals
    for rv, rp, rq in scan_pairs(eng, target - eng.tol, target + eng.tol, budget):
        x, y = vals[rp], vals[rq]
        record(found, target, rv, [(x[1], x[2]), (y[1], y[2])])


def ksum3_table(eng: Engine, target: int, budget: Budget, found: Collector) -> None:
    # Triples: entry s plus a pair (p, q) of the table with s < p.
    lo0, hi0 = target - eng.tol, target + eng.tol
    vals = eng.vals
    for p0, (sv, s_item, s_disc) in enumerate(vals):
        budget.tick()
        if 3 * sv > hi0:
            break
        for rv, rp, rq in scan_pairs(eng, lo0 - sv, hi0 - sv, budget):
            x, y = vals[rp], vals[rq]
            if rp > p0 and x[1] != s_item and y[1] != s_item:
                members = [(s_item, s_disc), (x[1], x[2]), (y[1], y[2])]
                record(found, target, sv + rv, members)


def ksum4(eng: Engine, target: int, budget: Budget, found: Collector) -> None:
    lo0, hi0 = target - eng.tol, target + eng.tol
    vals, values, pairs, pair_values = eng.vals, eng.values, eng.pairs, eng.pair_values
    budget.tick()
    if top_first(4, values, pair_values, lo0, hi0, eng.top2):
        # Quadruples: pair l plus pair r with r.q < l.p, so r <= l and r is at most the
        # two entries before l.p.
        for j in range(bisect.bisect_left(pair_values, -(-lo0 // 2)), len(pairs)):
            budget.tick()
            lv, lp, lq = pairs[j]
            if lv + values[0] + values[1] > hi0:
                break
            cap = eng.max_before[lp]
            if lv + cap < lo0:
                continue
            a, b = vals[lp], vals[lq]
            for rv, rp, rq in scan_pairs(eng, lo0 - lv, min(hi0 - lv, cap), budget):
                x, y = vals[rp], vals[rq]
                if rq < lp and x[1] not in (a[1], b[1]) and y[1] not in (a[1], b[1]):
                    members = [(x[1], x[2]), (y[1], y[2]), (a[1], a[2]), (b[1], b[2])]
                    record(found, target, lv + rv, members)
        return
    # Quadruples: pair l plus pair r with l.q < r.p, so l <= r and r is at least the two
    # entries after l.q.
    for j in range(bisect.bisect_left(pair_values, lo0 - eng.top2), len(pairs)):
        budget.tick()
        lv, lp, lq = pairs[j]
        if 2 * lv > hi0:
            break
        rest = eng.min_after[lq]
        if lv + rest > hi0:
            continue
        a, b = vals[lp], vals[lq]
        for rv, rp, rq in scan_pairs(eng, max(lo0 - lv, rest), hi0 - lv, budget):
            x, y = vals[rp], vals[rq]
            if rp > lq and x[1] not in (a[1], b[1]) and y[1] not in (a[1], b[1]):
                members = [(a[1], a[2]), (b[1], b[2]), (x[1], x[2]), (y[1], y[2])]
                record(found, target, lv + rv, members)


def ksum5(eng: Engine, target: int, budget: Budget, found: Collector) -> None:
    lo0, hi0 = target - eng.tol, target + eng.tol
    budget.tick()
    if top_first(5, eng.values, eng.pair_values, lo0, hi0, eng.top2):
        ksum5_top(eng, target, budget, found)
    else:
        ksum5_bottom(eng, target, budget, found)


def ksum5_top(eng: Engine, target: int, budget: Budget, found: Collector) -> None:
    # Quintuples: pair l of the two largest entries, entry s before l.p, pair r of
    # entries before s. s runs over the positions that can still reach the window:
    # from the first reaching lo with its two predecessors to the last under hi with
    # the two smallest entries (two binary searches, not counted; one node per s of
    # that range, counted before the range is scanned). As s + r <= 3 l / 2, the first
    # l is the first with 5 l >= 2 lo.
    lo0, hi0 = target - eng.tol, target + eng.tol
    vals, values, pairs = eng.vals, eng.values, eng.pairs
    min2 = values[0] + values[1]
    for j in range(bisect.bisect_left(eng.pair_values, -((-2 * lo0) // 5)), len(pairs)):
        budget.tick()
        lv, lp, lq = pairs[j]
        if lv + min2 + values[2] > hi0:
            break
        s_lo = bisect.bisect_left(eng.trip, lo0 - lv, 0, lp)
        s_hi = bisect.bisect_right(values, hi0 - lv - min2, 0, lp)
        if s_lo >= s_hi:
            continue
        budget.tick(s_hi - s_lo)
        a, b = vals[lp], vals[lq]
        for p0 in range(s_lo, s_hi):
            sv, s_item, s_disc = vals[p0]
            if s_item in (a[1], b[1]):
                continue
            slv = sv + lv
            taken = (s_item, a[1], b[1])
            for rv, rp, rq in scan_pairs(eng, lo0 - slv, min(hi0 - slv, eng.max_before[p0]), budget):
                x, y = vals[rp], vals[rq]
                if rq < p0 and x[1] not in taken and y[1] not in taken:
                    members = [(x[1], x[2]), (y[1], y[2]), (s_item, s_disc)]
                    members += [(a[1], a[2]), (b[1], b[2])]
                    record(found, target, slv + rv, members)


def ksum5_bottom(eng: Engine, target: int, budget: Budget, found: Collector) -> None:
    # Quintuples: entry s plus pairs l, r with s < l.p and l.q < r.p. s runs over the
    # positions before l.p that can still reach the window: from the first reaching lo
    # with the two largest entries to the last under hi with the smallest pair after
    # l.q (two binary searches, not counted; one node per s of that range, counted
    # before the range is scanned). As s <= l / 2, the first l is the first with
    # 3 l >= 2 (lo - top2).
    lo0, hi0 = target - eng.tol, target + eng.tol
    vals, values, pairs = eng.vals, eng.values, eng.pairs
    top2 = eng.top2
    for j in range(bisect.bisect_left(eng.pair_values, -((2 * (top2 - lo0)) // 3)), len(pairs)):
        budget.tick()
        lv, lp, lq = pairs[j]
        if values[0] + 2 * lv > hi0:
            break
        rest = eng.min_after[lq]
        s_lo = bisect.bisect_left(values, lo0 - lv - top2, 0, lp)
        s_hi = bisect.bisect_right(values, hi0 - lv - rest, 0, lp)
        if s_lo >= s_hi:
            continue
        budget.tick(s_hi - s_lo)
        a, b = vals[lp], vals[lq]
        for sv, s_item, s_disc in vals[s_lo:s_hi]:
            if s_item in (a[1], b[1]):
                continue
            slv = sv + lv
            taken = (s_item, a[1], b[1])
            for rv, rp, rq in scan_pairs(eng, max(lo0 - slv, rest), hi0 - slv, budget):
                x, y = vals[rp], vals[rq]
                if rp > lq and x[1] not in taken and y[1] not in taken:
                    members = [(s_item, s_disc), (a[1], a[2]), (b[1], b[2])]
                    members += [(x[1], x[2]), (y[1], y[2])]
                    record(found, target, slv + rv, members)
