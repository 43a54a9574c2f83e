"""The candidates of one search: every item set found, with its best variant.

Twin of ``matcher_rs/core/src/kernels/collect.rs`` (which also stores sets without a discount
apart, unhashed; the sets and variants kept are the same)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.matching.solver_types import OpenItem

# item set -> (residual, discount flags) of its best variant so far
Collector = dict[tuple[int, ...], tuple[int, tuple[bool, ...]]]
Member = tuple[int, bool]


def record(found: Collector, target: int, total: int, members: list[Member]) -> None:
    members.sort()
    indices = tuple(m[0] for m in members)
    flags = tuple(m[1] for m in members)
    residual = target - total
    best = found.get(indices)
    if best is None or (abs(residual), sum(flags), flags) < (
        abs(best[0]),
        sum(best[1]),
        best[1],
    ):
        found[indices] = (residual, flags)


def amounts(it: OpenItem) -> list[tuple[int, bool]]:
    """The amounts an item can contribute: (value, discounted)."""
    if it.discounted_minor is None:
        return [(it.amount_minor, False)]
    return [(it.amount_minor, False), (it.discounted_minor, True)]
