"""The candidates of one search: every item set found, with its best variant.

Twin of ``matcher_rs/core/src/kernels/collect.rs`` (which also stores sets without a discount
apart, unhashed; the sets and variants kept are the same)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.matching.solver_types import CANDIDATE_BYTES

if TYPE_CHECKING:
    from engine.matching.kernels.engine import Budget
    from engine.matching.solver_types import OpenItem

Member = tuple[int, bool]


class Collector(dict[tuple[int, ...], tuple[int, tuple[bool, ...]]]):
    """Item set -> (residual, discount flags) of its best variant so far, keeping at most
    ``room`` sets (the memory left after the tables): a new set beyond that is dropped and
    ``overflowed`` set, so memory stays bounded and the outcome says the candidates are
    incomplete (``Collector::bounded`` in Rust)."""

    __slots__ = ("budget", "limit", "limited", "overflowed", "room")

    def __init__(self, room: int = 2**64 - 1, budget: Budget | None = None) -> None:
        super().__init__()
        self.room = room
        self.overflowed = False
        # Stop once this many sets are kept (limits.max_solutions), and whether that
        # happened: the search then ends at its next tick (Collector::limited_to).
        self.limit = 2**64 - 1
        self.limited = False
        # Whose search ends at its next tick once a set is dropped.
        self.budget = budget

    @classmethod
    def bounded(cls, budget: Budget, pending: int = 0, held: int = 0) -> Collector:
        """Keeps what ``budget``'s memory left holds once ``pending`` bytes of tables the
        query will still pay for are reserved, less ``held`` sets kept elsewhere."""
        left = max(budget.memory_limit - budget.reserved - pending, 0)
        return cls(max(left // CANDIDATE_BYTES - held, 0), budget)

    def limited_to(self, limit: int) -> Collector:
        self.limit = limit
        return self

    def kept(self) -> None:
        """A new set was kept: at the solution limit, end the search at its next tick."""
        if len(self) >= self.limit:
            self.limited = True
            if self.budget is not None:
                self.budget.stop = True

    def overflow(self) -> None:
        self.overflowed = True
        if self.budget is not None:
            self.budget.stop = True


def record(found: Collector, target: int, total: int, members: list[Member]) -> None:
    members.sort()
    indices = tuple(m[0] for m in members)
    flags = tuple(m[1] for m in members)
    residual = target - total
    best = found.get(indices)
    if best is None and len(found) >= found.room:
        found.overflow()
        return
    if best is None:
        found[indices] = (residual, flags)
        found.kept()
    elif (abs(residual), sum(flags), flags) < (abs(best[0]), sum(best[1]), best[1]):
        found[indices] = (residual, flags)


def amounts(it: OpenItem) -> list[tuple[int, bool]]:
    """The amounts an item can contribute: (value, discounted)."""
    if it.discounted_minor is None:
        return [(it.amount_minor, False)]
    return [(it.amount_minor, False), (it.discounted_minor, True)]
