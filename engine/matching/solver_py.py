"""Pure-Python subset solver: the public types and the fallback implementation.

This module mirrors ``matcher_rs/core`` line for line: same validation and messages,
same algorithm choice, same enumeration order and the same ``budget.tick`` calls, so
both return identical results bit for bit, including the node counter and the point
where a node budget runs out. ``engine.matching.solver`` is the public entry point;
it re-exports the types defined here and dispatches to Rust or to this module.

Definitions
-----------
- A candidate is a set S of distinct items, ``1 <= |S| <= max_items``, each taken at
  its full or (when it has one) its discounted amount, with
  ``|payment - total| <= tolerance``. One candidate per item set: the variant with the
  smallest ``|residual|``, then fewer discounted items, then the lexicographically
  smallest discount-flag tuple (False < True).
- ``residual_minor = payment - total``: positive when the customer paid more.
- Ranking key, ascending: ``(residual != 0, |residual|, -sum(reference_score), |S|,
  max(due) - min(due), sum(due), item_indices)``.
- Outcome: NO_MATCH without candidates; MATCHED when exactly one candidate has the
  best tier ``(residual != 0, -sum(reference_score))``; AMBIGUOUS otherwise;
  BUDGET_EXHAUSTED whenever the node budget ran out (candidates found so far).
- Algorithm rule, with ``k = min(max_items, n)``: ``k <= 2`` two_pointer; ``k <= 5``
  ksum_mitm; else horowitz_sahni when the two half tables hold at most
  ``HS_TABLE_LIMIT`` partial assignments (3 per discounted item, 2 otherwise);
  branch_and_bound otherwise (:func:`choose_algorithm`, also many-to-many's rule).
  One payment then may go to subset_dp instead (:func:`choose_algorithm_for_payment`):
  when no item has a discount and its table, ``(n + 1) * (payment + tolerance + 1)``
  cells, holds at most ``DP_TABLE_LIMIT``, in place of branch_and_bound always and of
  horowitz_sahni when the table counts no more nodes than the half tables hold entries.
  The kernel never changes the candidates, only the work and the node count.
"""

from __future__ import annotations

import bisect
import enum
import heapq
import operator
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from itertools import combinations, pairwise
from typing import NamedTuple, TypeVar

import numpy as np
from numpy.typing import NDArray

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_REFERENCE_SCORE = 100
KSUM_MAX_ITEMS = 5
HS_TABLE_LIMIT = 1 << 21
# subset_dp: largest table in cells, (n + 1) * (payment + tolerance + 1), and the cells of
# a table row counted as one node (see matcher_core::DP_TABLE_LIMIT).
DP_TABLE_LIMIT = 1 << 24
DP_CELLS_PER_NODE = 64
# Code order of the batch API's algorithm_codes.
ALGORITHMS = ("two_pointer", "ksum_mitm", "horowitz_sahni", "branch_and_bound", "subset_dp")
# Reported only by solve_one_to_many_multi (see _use_shared_triples); not in ALGORITHMS.
SHARED_TRIPLES = "ksum_shared_triples"
TRIPLE_TABLE_LIMIT = 1 << 21
SHARED_MIN_PAYMENTS = 16
SHARED_TRIPLES_PER_PAYMENT = 1 << 14


class Outcome(enum.Enum):
    """How a search ended. Only MATCHED may ever be auto-applied."""

    MATCHED = "MATCHED"
    AMBIGUOUS = "AMBIGUOUS"
    NO_MATCH = "NO_MATCH"
    BUDGET_EXHAUSTED = "BUDGET_EXHAUSTED"


# Code order of the batch API's outcome_codes.
OUTCOME_CODES = (Outcome.MATCHED, Outcome.AMBIGUOUS, Outcome.NO_MATCH, Outcome.BUDGET_EXHAUSTED)


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An open item (invoice); ``discounted_minor`` is the early-payment amount."""

    amount_minor: int
    discounted_minor: int | None = None
    due_ordinal: int = 0
    reference_score: int = 0


def _int64_column(name: str, values: object) -> NDArray[np.int64]:
    """``values`` as a fresh, read-only, contiguous int64 array; refuses what is not an
    integer (TypeError) or does not fit in int64 (ValueError "overflow"), naming the field."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if arr.size == 0:
        arr = np.zeros(0, dtype=np.int64)
    elif arr.dtype.kind == "O":  # Python ints beyond 64 bits, or mixed objects
        for i, v in enumerate(arr.tolist()):
            check_int64(f"{name}[{i}]", v)
    elif arr.dtype.kind == "u" and int(arr.max()) > INT64_MAX:
        first = int(np.argmax(arr > INT64_MAX))
        raise ValueError(f"overflow: {name}[{first}] does not fit in int64")
    elif arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got {arr.dtype}")
    column = np.array(arr, dtype=np.int64, copy=True)
    column.flags.writeable = False
    return column


@dataclass(frozen=True, slots=True, eq=False)
class OpenItems:
    """Open items as flat int64 columns: the solver's native input.

    The fields of :class:`OpenItem`, one array each (``discounted_minor`` 0 = no discount,
    as in :class:`BatchProblem`). Every solver function accepts it wherever it accepts a
    sequence of OpenItem, with identical results. Build it once per customer and reuse it:
    the Rust solver reads the arrays in place, where a list of OpenItem costs four
    attribute reads and conversions per item on every call. The arrays are copied and
    read-only, so the table cannot change under a caller that shares it.
    """

    amounts_minor: NDArray[np.int64]
    discounted_minor: NDArray[np.int64]
    due_ordinal: NDArray[np.int64]
    reference_score: NDArray[np.int64]

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _int64_column(f.name, getattr(self, f.name)))
        if len({len(getattr(self, f.name)) for f in fields(self)}) != 1:
            raise ValueError(
                "amounts_minor, discounted_minor, due_ordinal and reference_score must have equal lengths"
            )

    @classmethod
    def from_items(cls, items: Sequence[OpenItem]) -> OpenItems:
        """The columns of ``items`` (no discount becomes 0), with the same named errors as
        the solver functions give for a bad field: non-integers, values beyond int64 and a
        discount of 0 (which the columns could not tell from "no discount")."""
        check_int64_inputs(items, {})
        for i, it in enumerate(items):
            if it.discounted_minor == 0:
                raise ValueError(f"items[{i}].discounted_minor must be > 0 and < amount_minor")
        return cls(
            amounts_minor=np.array([it.amount_minor for it in items], dtype=np.int64),
            discounted_minor=np.array([it.discounted_minor or 0 for it in items], dtype=np.int64),
            due_ordinal=np.array([it.due_ordinal for it in items], dtype=np.int64),
            reference_score=np.array([it.reference_score for it in items], dtype=np.int64),
        )

    @classmethod
    def of_amounts(cls, amounts_minor: Sequence[int] | NDArray[np.int64]) -> OpenItems:
        """Items with amounts only: no discount, due ordinal 0, reference score 0."""
        zeros = np.zeros(len(amounts_minor), dtype=np.int64)
        return cls(
            amounts_minor=np.asarray(amounts_minor),
            discounted_minor=zeros,
            due_ordinal=zeros,
            reference_score=zeros,
        )

    def __len__(self) -> int:
        return len(self.amounts_minor)

    def to_items(self) -> list[OpenItem]:
        """The items as :class:`OpenItem` with plain Python ints."""
        return [
            OpenItem(a, d if d != 0 else None, due, r)
            for a, d, due, r in zip(
                self.amounts_minor.tolist(),
                self.discounted_minor.tolist(),
                self.due_ordinal.tolist(),
                self.reference_score.tolist(),
                strict=True,
            )
        ]


ItemsLike = Sequence[OpenItem] | OpenItems
"""What the solver functions accept as a customer's open items."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Limits of a one-to-many search."""

    max_items: int = 5
    tolerance_minor: int = 0
    node_budget: int = 5_000_000
    max_candidates: int = 10


# Results are NamedTuples (immutable, named fields): one is built per candidate and call,
# and a frozen dataclass costs about a microsecond each, as much as solving a small instance.
class Candidate(NamedTuple):
    """One explanation: item indices ascending, one discount flag per item."""

    item_indices: tuple[int, ...]
    discounted: tuple[bool, ...]
    total_minor: int
    residual_minor: int


class Solution(NamedTuple):
    """Ranked candidates (best first, at most max_candidates) and the verdict."""

    outcome: Outcome
    candidates: tuple[Candidate, ...]
    candidate_count: int
    algorithm: str
    nodes: int


@dataclass(frozen=True, slots=True)
class ManyLimits:
    """Limits of a many-to-many search."""

    max_payments: int = 3
    max_items: int = 5
    tolerance_minor: int = 0
    node_budget: int = 5_000_000
    max_candidates: int = 10


class Group(NamedTuple):
    """Payments explained by items; ``residual_minor = sum(payments) - item total``."""

    payment_indices: tuple[int, ...]
    item_indices: tuple[int, ...]
    discounted: tuple[bool, ...]
    residual_minor: int


class ManySolution(NamedTuple):
    """Ranked groups (best first, at most max_candidates) and the verdict."""

    outcome: Outcome
    groups: tuple[Group, ...]
    group_count: int
    algorithm: str
    nodes: int


def _i64(values: Sequence[int] | None = None) -> NDArray[np.int64]:
    return np.asarray([] if values is None else values, dtype=np.int64)


@dataclass(frozen=True, slots=True, eq=False)
class BatchProblem:
    """Many independent one-to-many problems in flat int64 arrays.

    Problem ``p`` owns items ``item_offsets[p]:item_offsets[p + 1]`` of the item arrays
    (so ``len(item_offsets) == len(payments_minor) + 1``, starting at 0, never
    decreasing, ending at ``len(amounts_minor)``) and pays ``payments_minor[p]``.
    ``discounted_minor`` uses 0 for "no discount". One ``limits`` applies to all.
    """

    item_offsets: NDArray[np.int64]
    amounts_minor: NDArray[np.int64]
    discounted_minor: NDArray[np.int64]
    due_ordinal: NDArray[np.int64]
    reference_score: NDArray[np.int64]
    payments_minor: NDArray[np.int64]
    limits: Limits = field(default_factory=Limits)

    @classmethod
    def from_problems(
        cls, problems: Sequence[tuple[Sequence[OpenItem], int]], limits: Limits = Limits()
    ) -> BatchProblem:
        """Packs (items, payment_minor) pairs into flat arrays."""
        offsets = [0]
        flat: list[OpenItem] = []
        for items, _payment in problems:
            flat.extend(items)
            offsets.append(len(flat))
        return cls(
            item_offsets=_i64(offsets),
            amounts_minor=_i64([it.amount_minor for it in flat]),
            discounted_minor=_i64([it.discounted_minor or 0 for it in flat]),
            due_ordinal=_i64([it.due_ordinal for it in flat]),
            reference_score=_i64([it.reference_score for it in flat]),
            payments_minor=_i64([p for _items, p in problems]),
            limits=limits,
        )

    def problems(self) -> Iterator[tuple[list[OpenItem], int]]:
        """Unpacks the flat arrays into (items, payment_minor) pairs."""
        _check_batch_shape(self)
        for p, payment in enumerate(self.payments_minor.tolist()):
            lo, hi = int(self.item_offsets[p]), int(self.item_offsets[p + 1])
            items = [
                OpenItem(int(a), int(d) if d != 0 else None, int(due), int(r))
                for a, d, due, r in zip(
                    self.amounts_minor[lo:hi].tolist(),
                    self.discounted_minor[lo:hi].tolist(),
                    self.due_ordinal[lo:hi].tolist(),
                    self.reference_score[lo:hi].tolist(),
                    strict=True,
                )
            ]
            yield items, int(payment)


@dataclass(frozen=True, slots=True, eq=False)
class BatchSolution:
    """Flat results of a batch, in problem order.

    Per problem ``p``: ``outcome_codes[p]`` indexes ``OUTCOME_CODES``,
    ``algorithm_codes[p]`` indexes ``ALGORITHMS``, plus ``candidate_counts`` and
    ``nodes``. Its candidates are ``candidate_offsets[p]:candidate_offsets[p + 1]`` of
    ``candidate_total_minor`` / ``candidate_residual_minor``; members of candidate
    ``c`` are ``member_offsets[c]:member_offsets[c + 1]`` of ``member_item_indices``
    (local to the problem: 0 is its first item) and ``member_discounted`` (bool).
    """

    outcome_codes: NDArray[np.int64]
    algorithm_codes: NDArray[np.int64]
    candidate_counts: NDArray[np.int64]
    nodes: NDArray[np.int64]
    candidate_offsets: NDArray[np.int64]
    candidate_total_minor: NDArray[np.int64]
    candidate_residual_minor: NDArray[np.int64]
    member_offsets: NDArray[np.int64]
    member_item_indices: NDArray[np.int64]
    member_discounted: NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.outcome_codes)

    def solution(self, p: int) -> Solution:
        """Problem ``p``'s result as a :class:`Solution`."""
        cands = []
        for c in range(int(self.candidate_offsets[p]), int(self.candidate_offsets[p + 1])):
            lo, hi = int(self.member_offsets[c]), int(self.member_offsets[c + 1])
            cands.append(
                Candidate(
                    item_indices=tuple(int(i) for i in self.member_item_indices[lo:hi]),
                    discounted=tuple(bool(f) for f in self.member_discounted[lo:hi]),
                    total_minor=int(self.candidate_total_minor[c]),
                    residual_minor=int(self.candidate_residual_minor[c]),
                )
            )
        return Solution(
            outcome=OUTCOME_CODES[int(self.outcome_codes[p])],
            candidates=tuple(cands),
            candidate_count=int(self.candidate_counts[p]),
            algorithm=ALGORITHMS[int(self.algorithm_codes[p])],
            nodes=int(self.nodes[p]),
        )

    def solutions(self) -> list[Solution]:
        return [self.solution(p) for p in range(len(self))]


# --- validation ---------------------------------------------------------------------


def check_int64(name: str, value: int) -> None:
    """Refuses a non-integer (TypeError) or an int outside int64 (ValueError "overflow");
    shared by both backends so they fail alike before either sees the value."""
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError(f"overflow: {name} does not fit in int64")


def check_int64_inputs(items: ItemsLike, numbers: dict[str, int]) -> None:
    """Checks representability of every field before any backend sees it (the columns of
    :class:`OpenItems` were checked when it was built)."""
    for name, value in numbers.items():
        check_int64(name, value)
    if isinstance(items, OpenItems):
        return
    for i, it in enumerate(items):
        check_int64(f"items[{i}].amount_minor", it.amount_minor)
        if it.discounted_minor is not None:
            check_int64(f"items[{i}].discounted_minor", it.discounted_minor)
        check_int64(f"items[{i}].due_ordinal", it.due_ordinal)
        check_int64(f"items[{i}].reference_score", it.reference_score)


def _validate_common_limits(
    max_items: int, tolerance_minor: int, node_budget: int, max_candidates: int
) -> None:
    if max_items < 1:
        raise ValueError("limits.max_items must be >= 1")
    if tolerance_minor < 0:
        raise ValueError("limits.tolerance_minor must be >= 0")
    if node_budget < 0:
        raise ValueError("limits.node_budget must be >= 0")
    if max_candidates < 0:
        raise ValueError("limits.max_candidates must be >= 0")


def _validate_items(items: Sequence[OpenItem]) -> int:
    total = 0
    for i, it in enumerate(items):
        if it.amount_minor <= 0:
            raise ValueError(f"items[{i}].amount_minor must be > 0")
        d = it.discounted_minor
        if d is not None and (d <= 0 or d >= it.amount_minor):
            raise ValueError(f"items[{i}].discounted_minor must be > 0 and < amount_minor")
        if not 0 <= it.reference_score <= MAX_REFERENCE_SCORE:
            raise ValueError(f"items[{i}].reference_score must be between 0 and 100")
        total += it.amount_minor
    return total


def _validate_one(items: ItemsLike, payment_minor: int, limits: Limits) -> tuple[list[OpenItem], int, Limits]:
    """Validates and returns the inputs as plain Python ints."""
    check_int64_inputs(items, _limit_fields(limits) | {"payment_minor": payment_minor})
    items, payment_minor, limits = _plain_items(items), operator.index(payment_minor), _plain_limits(limits)
    _validate_common_limits(
        limits.max_items, limits.tolerance_minor, limits.node_budget, limits.max_candidates
    )
    if payment_minor <= 0:
        raise ValueError("payment_minor must be > 0")
    total = _validate_items(items)
    if total + payment_minor + limits.tolerance_minor > INT64_MAX:
        raise ValueError("overflow: sum of amount_minor, payment_minor and tolerance_minor exceeds int64")
    return items, payment_minor, limits


def _plain_items(items: ItemsLike) -> list[OpenItem]:
    """The items with plain Python ints (numpy integers are fixed-width and could wrap
    in the search's intermediate arithmetic)."""
    if isinstance(items, OpenItems):
        return items.to_items()
    ix = operator.index
    return [
        OpenItem(
            ix(it.amount_minor),
            None if it.discounted_minor is None else ix(it.discounted_minor),
            ix(it.due_ordinal),
            ix(it.reference_score),
        )
        for it in items
    ]


_L = TypeVar("_L", Limits, ManyLimits)


def _plain_limits(limits: _L) -> _L:
    ints = {f.name: operator.index(getattr(limits, f.name)) for f in fields(limits)}
    return type(limits)(**ints)


def _limit_fields(limits: Limits | ManyLimits) -> dict[str, int]:
    fields = {
        "limits.max_items": limits.max_items,
        "limits.tolerance_minor": limits.tolerance_minor,
        "limits.node_budget": limits.node_budget,
        "limits.max_candidates": limits.max_candidates,
    }
    if isinstance(limits, ManyLimits):
        fields["limits.max_payments"] = limits.max_payments
    return fields


# --- algorithm choice ---------------------------------------------------------------


def _half_table_size(items: Sequence[OpenItem]) -> int:
    size = 1
    for it in items:
        size *= 3 if it.discounted_minor is not None else 2
        if size > HS_TABLE_LIMIT:
            return 2**63 - 1
    return size


def _hs_table_entries(items: Sequence[OpenItem]) -> int:
    half = len(items) // 2
    return _half_table_size(items[:half]) + _half_table_size(items[half:])


def choose_algorithm(items: Sequence[OpenItem], max_items: int) -> str:
    """The target-independent rule (see the module docstring); many-to-many uses it."""
    k = min(max_items, len(items))
    if k <= 2:
        return "two_pointer"
    if k <= KSUM_MAX_ITEMS:
        return "ksum_mitm"
    if _hs_table_entries(items) <= HS_TABLE_LIMIT:
        return "horowitz_sahni"
    return "branch_and_bound"


def choose_algorithm_for_payment(
    items: Sequence[OpenItem], max_items: int, payment_minor: int, tolerance_minor: int
) -> str:
    """The rule of one payment: :func:`choose_algorithm`, except that subset_dp replaces
    branch_and_bound whenever :func:`dp_applicable` holds, and horowitz_sahni when the DP
    table also counts no more nodes than the two half tables hold entries.

    Both kernels then pay per matching set (the DP about 25 nodes, Horowitz-Sahni a window
    entry and a hash insert, about ten times the DP's time in Rust), so the fixed cost
    decides: 2^(n/2) half-table entries against (n + 1) * (hi + 1) / 64 table nodes, which
    favours Horowitz-Sahni for few items and a large target. Branch-and-bound has no such
    bound: it may visit every subset of a no-match.
    """
    algorithm = choose_algorithm(items, max_items)
    if algorithm == "branch_and_bound":
        cheaper = True
    elif algorithm == "horowitz_sahni":
        hi = max(payment_minor + tolerance_minor, 0)
        cheaper = _dp_table_nodes(len(items), hi) <= _hs_table_entries(items)
    else:
        cheaper = False
    if cheaper and dp_applicable(items, payment_minor, tolerance_minor):
        return "subset_dp"
    return algorithm


def dp_applicable(items: Sequence[OpenItem], payment_minor: int, tolerance_minor: int) -> bool:
    """Whether subset_dp can serve a payment: no discounted amounts (it produces each set in
    one variant), positive amounts (validation guarantees it; checked because this function
    is public) and at most DP_TABLE_LIMIT table cells, (n + 1) * (payment + tolerance + 1)."""
    plain = all(it.discounted_minor is None and it.amount_minor > 0 for it in items)
    hi = payment_minor + tolerance_minor
    return plain and hi >= 1 and (len(items) + 1) * (hi + 1) <= DP_TABLE_LIMIT


def _dp_table_nodes(n: int, hi: int) -> int:
    return (n + 1) * -(-(hi + 1) // DP_CELLS_PER_NODE)


# --- engine -------------------------------------------------------------------------


class _Exhausted(Exception):
    """The node budget ran out."""


class _Budget:
    __slots__ = ("limit", "nodes")

    def __init__(self, limit: int) -> None:
        self.nodes = 0
        self.limit = limit

    def tick(self, n: int = 1) -> None:
        self.nodes += n
        if self.nodes > self.limit:
            raise _Exhausted


# item set -> (residual, discount flags) of its best variant so far
_Collector = dict[tuple[int, ...], tuple[int, tuple[bool, ...]]]
_Member = tuple[int, bool]
_PairT = tuple[int, int, int]
# Stands for "no pair after this position"; mirrors i128::MAX / 4 in Rust.
_NO_PAIR = (2**127 - 1) // 4


def _record(found: _Collector, target: int, total: int, members: list[_Member]) -> None:
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


def _amounts(it: OpenItem) -> list[tuple[int, bool]]:
    if it.discounted_minor is None:
        return [(it.amount_minor, False)]
    return [(it.amount_minor, False), (it.discounted_minor, True)]


def _top_first(k: int, values: list[int], rows: list[int], lo: int, hi: int, top2: int) -> bool:
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


class _Engine:
    """Target-independent tables of one algorithm, reusable across payments."""

    def __init__(
        self,
        items: Sequence[OpenItem],
        k: int,
        tol: int,
        algorithm: str,
        multi: bool,
        budget: _Budget,
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
        self.pairs: list[_PairT] = []
        self.pair_values: list[int] = []
        self.left: list[tuple[int, int, int, int]] = []
        self.right: list[tuple[int, int, int, int]] = []
        self.right_values: list[int] = []
        self.order: list[int] = []
        self.prefix: list[int] = []
        if algorithm in ("two_pointer", "ksum_mitm"):
            self._sorted_values(budget)
        if algorithm == "ksum_mitm" and (k >= 4 or multi):
            # Triples need no table; only sets of 4 and 5 use the pair table.
            self._pair_table(budget)
        elif algorithm == "horowitz_sahni":
            half = len(items) // 2
            self.left = self._half_table(range(half), budget)
            self.right = sorted(self._half_table(range(half, len(items)), budget))
            self.right_values = [r[0] for r in self.right]
        elif algorithm == "branch_and_bound":
            budget.tick(len(items))
            self.order = sorted(range(len(items)), key=lambda i: (-items[i].amount_minor, i))
            self.prefix = [0]
            for i in self.order:
                self.prefix.append(self.prefix[-1] + items[i].amount_minor)

    def _sorted_values(self, budget: _Budget) -> None:
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
        self.top2 = values[-1] + values[-2] if count >= 2 else -_NO_PAIR
        self.min_after = [values[q + 1] + values[q + 2] if q + 2 < count else _NO_PAIR for q in range(count)]
        # The largest value of the two entries before position s, and that plus entry s.
        self.max_before = [values[q - 1] + values[q - 2] if q >= 2 else -_NO_PAIR for q in range(count)]
        self.trip = [values[q] + self.max_before[q] for q in range(count)]

    def _pair_table(self, budget: _Budget) -> None:
        # Count first so the budget refuses a table before it is allocated.
        vals = self.vals
        count = len(vals)
        budget.tick(max(count * max(count - 1, 0) // 2 - (count - len(self.items)), 0))
        pairs = [
            (vals[p][0] + vals[q][0], p, q)
            for p in range(count)
            for q in range(p + 1, count)
            if vals[p][1] != vals[q][1]
        ]
        pairs.sort()
        self.pairs = pairs
        self.pair_values = [x[0] for x in pairs]

    def _half_table(self, indices: range, budget: _Budget) -> list[tuple[int, int, int, int]]:
        table = [(0, 0, 0, 0)]
        budget.tick(1)
        for i in indices:
            current = len(table)
            for v, disc in _amounts(self.items[i]):
                for e in range(current):
                    hv, mask, dmask, size = table[e]
                    if size < self.k:
                        budget.tick(1)
                        bit = 1 << i
                        table.append((hv + v, mask | bit, dmask | bit if disc else dmask, size + 1))
        return table

    def query(self, target: int, budget: _Budget, found: _Collector) -> None:
        """Records every candidate for ``target`` into ``found``."""
        if self.algorithm == "two_pointer":
            self._singles(target, budget, found)
            if self.k >= 2:
                self._two_pointer(target, budget, found)
        elif self.algorithm == "ksum_mitm":
            if self.multi:
                self._singles_window(target, budget, found)
                self._pairs_window(target, budget, found)
                self._ksum3_table(target, budget, found)
            else:
                self._singles(target, budget, found)
                self._two_pointer(target, budget, found)
                self._ksum3(target, budget, found)
            if self.k >= 4:
                self._ksum4(target, budget, found)
            if self.k >= 5:
                self._ksum5(target, budget, found)
        elif self.algorithm == "horowitz_sahni":
            self._horowitz_sahni(target, budget, found)
        else:
            self._bnb(target, budget, found)

    def _singles(self, target: int, budget: _Budget, found: _Collector) -> None:
        hi = target + self.tol
        for v, item, disc in self.vals:
            budget.tick()
            if v > hi:
                break
            if abs(target - v) <= self.tol:
                _record(found, target, v, [(item, disc)])

    def _pairs_in_window(
        self, start: int, end: int, lo: int, hi: int, budget: _Budget
    ) -> Iterator[tuple[tuple[int, int, bool], tuple[int, int, bool]]]:
        """Yields every pair of entries at positions ``start <= i < j < end`` of distinct
        items whose values sum into ``[lo, hi]``. The smaller entry starts at the first one
        that reaches ``lo`` with the largest entry (binary search, one node); two pointers
        then slide left over the sorted values, and every move and scanned entry is a
        node. The scan stops once no entry after ``i`` fits under ``hi``."""
        vals, values = self.vals, self.values
        if end - start < 2:
            return
        budget.tick()
        first = bisect.bisect_left(values, lo - values[end - 1], start, end)
        if first >= end:
            return
        v0 = values[first]
        hi_ptr = bisect.bisect_right(values, hi - v0, start, end) - 1
        lo_ptr = bisect.bisect_left(values, lo - v0, start, end)
        for i in range(first, end):
            budget.tick()
            vi = values[i]
            up, down = hi - vi, lo - vi
            if up < vi or hi_ptr <= i:
                break
            # values[i] <= up, so the pointer stops at i at the latest.
            while values[hi_ptr] > up:
                hi_ptr -= 1
                budget.tick()
            if hi_ptr <= i:
                break
            while lo_ptr > i + 1 and values[lo_ptr - 1] >= down:
                lo_ptr -= 1
                budget.tick()
            for j in range(max(lo_ptr, i + 1), hi_ptr + 1):
                budget.tick()
                if vals[j][1] != vals[i][1]:
                    yield vals[i], vals[j]

    def _two_pointer(self, target: int, budget: _Budget, found: _Collector) -> None:
        # Pairs of distinct items.
        window = self._pairs_in_window(0, len(self.vals), target - self.tol, target + self.tol, budget)
        for (xv, xi, xd), (yv, yi, yd) in window:
            _record(found, target, xv + yv, [(xi, xd), (yi, yd)])

    def _window(self, lo: int, hi: int, budget: _Budget) -> Iterator[_PairT]:
        """Yields the pairs whose value lies in ``[lo, hi]``, counting each."""
        pairs = self.pairs
        j = bisect.bisect_left(self.pair_values, lo)
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

    def _ksum3(self, target: int, budget: _Budget, found: _Collector) -> None:
        lo0, hi0 = target - self.tol, target + self.tol
        vals, values = self.vals, self.values
        n = len(vals)
        budget.tick()
        if _top_first(3, values, values, lo0, hi0, self.top2):
            # Triples: entry s plus a two-pointer pair of earlier entries; s must reach lo
            # with its two predecessors.
            for p0 in range(max(bisect.bisect_left(self.trip, lo0), 2), n):
                budget.tick()
                sv, s_item, s_disc = vals[p0]
                if sv + values[0] + values[1] > hi0:
                    break
                for (xv, xi, xd), (yv, yi, yd) in self._pairs_in_window(0, p0, lo0 - sv, hi0 - sv, budget):
                    if xi != s_item and yi != s_item:
                        _record(found, target, sv + xv + yv, [(xi, xd), (yi, yd), (s_item, s_disc)])
            return
        # Triples: entry s plus a two-pointer pair of later entries (no table). The first
        # s is the first that reaches lo with the two largest entries; the loop stops at
        # the first s whose two successors already pass hi.
        for p0 in range(bisect.bisect_left(values, lo0 - self.top2), n - 2):
            budget.tick()
            sv, s_item, s_disc = vals[p0]
            if sv + values[p0 + 1] + values[p0 + 2] > hi0:
                break
            for (xv, xi, xd), (yv, yi, yd) in self._pairs_in_window(p0 + 1, n, lo0 - sv, hi0 - sv, budget):
                if xi != s_item and yi != s_item:
                    _record(found, target, sv + xv + yv, [(s_item, s_disc), (xi, xd), (yi, yd)])

    def _singles_window(self, target: int, budget: _Budget, found: _Collector) -> None:
        # Singles by binary search (one node) plus one node per entry in the window.
        lo, hi = target - self.tol, target + self.tol
        budget.tick()
        vals = self.vals
        j = bisect.bisect_left(self.values, lo)
        while j < len(vals) and vals[j][0] <= hi:
            budget.tick()
            _record(found, target, vals[j][0], [(vals[j][1], vals[j][2])])
            j += 1

    def _pairs_window(self, target: int, budget: _Budget, found: _Collector) -> None:
        # Pairs of distinct items read from the pair table's window.
        budget.tick()
        vals = self.vals
        for rv, rp, rq in self._window(target - self.tol, target + self.tol, budget):
            x, y = vals[rp], vals[rq]
            _record(found, target, rv, [(x[1], x[2]), (y[1], y[2])])

    def _ksum3_table(self, target: int, budget: _Budget, found: _Collector) -> None:
        # Triples: entry s plus a pair (p, q) of the table with s < p.
        lo0, hi0 = target - self.tol, target + self.tol
        vals = self.vals
        for p0, (sv, s_item, s_disc) in enumerate(vals):
            budget.tick()
            if 3 * sv > hi0:
                break
            for rv, rp, rq in self._window(lo0 - sv, hi0 - sv, budget):
                x, y = vals[rp], vals[rq]
                if rp > p0 and x[1] != s_item and y[1] != s_item:
                    members = [(s_item, s_disc), (x[1], x[2]), (y[1], y[2])]
                    _record(found, target, sv + rv, members)

    def _ksum4(self, target: int, budget: _Budget, found: _Collector) -> None:
        lo0, hi0 = target - self.tol, target + self.tol
        vals, values, pairs, pair_values = self.vals, self.values, self.pairs, self.pair_values
        budget.tick()
        if _top_first(4, values, pair_values, lo0, hi0, self.top2):
            # Quadruples: pair l plus pair r with r.q < l.p, so r <= l and r is at most the
            # two entries before l.p.
            for j in range(bisect.bisect_left(pair_values, -(-lo0 // 2)), len(pairs)):
                budget.tick()
                lv, lp, lq = pairs[j]
                if lv + values[0] + values[1] > hi0:
                    break
                cap = self.max_before[lp]
                if lv + cap < lo0:
                    continue
                a, b = vals[lp], vals[lq]
                for rv, rp, rq in self._window(lo0 - lv, min(hi0 - lv, cap), budget):
                    x, y = vals[rp], vals[rq]
                    if rq < lp and x[1] not in (a[1], b[1]) and y[1] not in (a[1], b[1]):
                        members = [(x[1], x[2]), (y[1], y[2]), (a[1], a[2]), (b[1], b[2])]
                        _record(found, target, lv + rv, members)
            return
        # Quadruples: pair l plus pair r with l.q < r.p, so l <= r and r is at least the two
        # entries after l.q.
        for j in range(bisect.bisect_left(pair_values, lo0 - self.top2), len(pairs)):
            budget.tick()
            lv, lp, lq = pairs[j]
            if 2 * lv > hi0:
                break
            rest = self.min_after[lq]
            if lv + rest > hi0:
                continue
            a, b = vals[lp], vals[lq]
            for rv, rp, rq in self._window(max(lo0 - lv, rest), hi0 - lv, budget):
                x, y = vals[rp], vals[rq]
                if rp > lq and x[1] not in (a[1], b[1]) and y[1] not in (a[1], b[1]):
                    members = [(a[1], a[2]), (b[1], b[2]), (x[1], x[2]), (y[1], y[2])]
                    _record(found, target, lv + rv, members)

    def _ksum5(self, target: int, budget: _Budget, found: _Collector) -> None:
        lo0, hi0 = target - self.tol, target + self.tol
        budget.tick()
        if _top_first(5, self.values, self.pair_values, lo0, hi0, self.top2):
            self._ksum5_top(target, budget, found)
        else:
            self._ksum5_bottom(target, budget, found)

    def _ksum5_top(self, target: int, budget: _Budget, found: _Collector) -> None:
        # Quintuples: pair l of the two largest entries, entry s before l.p, pair r of
        # entries before s. s runs over the positions that can still reach the window:
        # from the first reaching lo with its two predecessors to the last under hi with
        # the two smallest entries (two binary searches, not counted; one node per s of
        # that range, counted before the range is scanned). As s + r <= 3 l / 2, the first
        # l is the first with 5 l >= 2 lo.
        lo0, hi0 = target - self.tol, target + self.tol
        vals, values, pairs = self.vals, self.values, self.pairs
        min2 = values[0] + values[1]
        for j in range(bisect.bisect_left(self.pair_values, -((-2 * lo0) // 5)), len(pairs)):
            budget.tick()
            lv, lp, lq = pairs[j]
            if lv + min2 + values[2] > hi0:
                break
            s_lo = bisect.bisect_left(self.trip, lo0 - lv, 0, lp)
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
                for rv, rp, rq in self._window(lo0 - slv, min(hi0 - slv, self.max_before[p0]), budget):
                    x, y = vals[rp], vals[rq]
                    if rq < p0 and x[1] not in taken and y[1] not in taken:
                        members = [(x[1], x[2]), (y[1], y[2]), (s_item, s_disc)]
                        members += [(a[1], a[2]), (b[1], b[2])]
                        _record(found, target, slv + rv, members)

    def _ksum5_bottom(self, target: int, budget: _Budget, found: _Collector) -> None:
        # Quintuples: entry s plus pairs l, r with s < l.p and l.q < r.p. s runs over the
        # positions before l.p that can still reach the window: from the first reaching lo
        # with the two largest entries to the last under hi with the smallest pair after
        # l.q (two binary searches, not counted; one node per s of that range, counted
        # before the range is scanned). As s <= l / 2, the first l is the first with
        # 3 l >= 2 (lo - top2).
        lo0, hi0 = target - self.tol, target + self.tol
        vals, values, pairs = self.vals, self.values, self.pairs
        top2 = self.top2
        for j in range(bisect.bisect_left(self.pair_values, -((2 * (top2 - lo0)) // 3)), len(pairs)):
            budget.tick()
            lv, lp, lq = pairs[j]
            if values[0] + 2 * lv > hi0:
                break
            rest = self.min_after[lq]
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
                for rv, rp, rq in self._window(max(lo0 - slv, rest), hi0 - slv, budget):
                    x, y = vals[rp], vals[rq]
                    if rp > lq and x[1] not in taken and y[1] not in taken:
                        members = [(s_item, s_disc), (a[1], a[2]), (b[1], b[2])]
                        members += [(x[1], x[2]), (y[1], y[2])]
                        _record(found, target, slv + rv, members)

    def _horowitz_sahni(self, target: int, budget: _Budget, found: _Collector) -> None:
        lo0, hi0 = target - self.tol, target + self.tol
        right = self.right
        for ev, emask, edmask, esize in self.left:
            budget.tick()
            j = bisect.bisect_left(self.right_values, lo0 - ev)
            while j < len(right) and right[j][0] <= hi0 - ev:
                budget.tick()
                rv, rmask, rdmask, rsize = right[j]
                if 1 <= esize + rsize <= self.k:
                    mask, dmask = emask | rmask, edmask | rdmask
                    members = [(i, bool(dmask >> i & 1)) for i in range(64) if mask >> i & 1]
                    _record(found, target, ev + rv, members)
                j += 1

    def _bnb(self, target: int, budget: _Budget, found: _Collector) -> None:
        # Depth-first by descending amount, pruned by the payment window and by the
        # largest amounts still available (a prefix of the descending order). The stack
        # is explicit because max_items may exceed Python's recursion limit; the visit
        # order is that of the recursive Rust search.
        lo, hi = target - self.tol, target + self.tol
        n = len(self.order)
        chosen: list[_Member] = []
        frames: list[Iterator[tuple[int, int]]] = []

        def children(s: int, start: int) -> Iterator[tuple[int, int]]:
            # Yields (sum, start) of each child with its member pushed onto chosen.
            r = self.k - len(chosen)
            for j in range(start, n):
                if s + self.prefix[min(j + r, n)] - self.prefix[j] < lo:
                    return
                idx = self.order[j]
                for v, disc in _amounts(self.items[idx]):
                    if s + v > hi:
                        continue
                    chosen.append((idx, disc))
                    yield s + v, j + 1
                    chosen.pop()

        def visit(s: int, start: int) -> None:
            budget.tick()
            if chosen and lo <= s <= hi:
                _record(found, target, s, list(chosen))
            if len(chosen) < self.k:
                frames.append(children(s, start))

        visit(0, 0)
        while frames:
            child = next(frames[-1], None)
            if child is None:
                frames.pop()
            else:
                visit(*child)


def _triple_count(n_items: int, count: int) -> int:
    # Triples of entries of three distinct items: a triple holding both entries of one
    # item holds one of the count - n_items same-item pairs plus any third entry.
    same = count - n_items
    return count * (count - 1) * (count - 2) // 6 - same * max(count - 2, 0)


def _use_shared_triples(items: Sequence[OpenItem], max_items: int, payments: int) -> bool:
    """Mirrors ``matcher_core::use_shared_triples``: k-sum with k in 4..5, at least
    ``SHARED_MIN_PAYMENTS`` payments, a triple table of at most ``TRIPLE_TABLE_LIMIT``
    entries and at most ``SHARED_TRIPLES_PER_PAYMENT`` entries per payment."""
    k = min(max_items, len(items))
    if choose_algorithm(items, max_items) != "ksum_mitm" or k < 4:
        return False
    if payments < SHARED_MIN_PAYMENTS:
        return False
    count = len(items) + sum(1 for it in items if it.discounted_minor is not None)
    triples = _triple_count(len(items), count)
    return triples <= TRIPLE_TABLE_LIMIT and triples <= payments * SHARED_TRIPLES_PER_PAYMENT


class _SharedTriples:
    """The ksum_shared_triples kernel (``SharedTriples`` in Rust): the k-sum engine in
    table mode plus a sorted table of every triple, built once per customer. Per
    payment: singles, pairs and triples are windows; a quadruple is entry s plus triple
    t with s < t.p, a quintuple pair l plus triple t with l.q < t.p; position order
    and disjointness are checked on hits only."""

    def __init__(self, items: Sequence[OpenItem], k: int, tol: int, budget: _Budget) -> None:
        eng = _Engine(items, k, tol, "ksum_mitm", True, budget)
        self.engine = eng
        vals = eng.vals
        count = len(vals)
        budget.tick(_triple_count(len(items), count))
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
            vals[q + 1][0] + vals[q + 2][0] + vals[q + 3][0] if q + 3 < count else _NO_PAIR
            for q in range(count)
        ]

    def _scan(self, lo: int, hi: int, budget: _Budget) -> Iterator[tuple[int, int, int, int]]:
        triples = self.triples
        j = bisect.bisect_left(self.triple_values, lo)
        while j < len(triples) and triples[j][0] <= hi:
            budget.tick()
            yield triples[j]
            j += 1

    def query(self, target: int, budget: _Budget, found: _Collector) -> None:
        eng = self.engine
        vals = eng.vals
        eng._singles_window(target, budget, found)
        eng._pairs_window(target, budget, found)
        lo0, hi0 = target - eng.tol, target + eng.tol
        budget.tick()
        for tv, tp, tq, tr in self._scan(lo0, hi0, budget):
            x, y, z = vals[tp], vals[tq], vals[tr]
            _record(found, target, tv, [(x[1], x[2]), (y[1], y[2]), (z[1], z[2])])
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
                        _record(found, target, sv + tv, members)
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
                        _record(found, target, lv + tv, members)


# --- subset_dp ----------------------------------------------------------------------


class _SubsetDp:
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
        budget = _Budget(limits.node_budget)
        best = _Best(limits.max_candidates)
        complete = True
        try:
            budget.tick(_dp_table_nodes(len(self.items), self.hi))
            self._build()
            self._search(budget, best)
        except _Exhausted:
            complete = False
        return best.finish(self.payment, complete, limits.max_candidates, budget.nodes)

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

    def _search(self, budget: _Budget, best: _Best) -> None:
        # Depth-first over items in index order with an explicit stack of ancestors (a set
        # may have more members than Python's recursion limit); mirrors Search::run.
        items, amounts, rows = self.items, self.amounts, self.rows
        n, kk, lo, hi = len(amounts), self.kk, self.lo, self.hi
        budget.tick()
        chosen: list[int] = []
        ancestors: list[tuple[int, int, int, _Partial]] = []
        nxt, top_cur, top_m, part = (0 if kk > 0 else n), 0, 0, _EMPTY_PARTIAL
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
            child = _with(part, items[j])
            chosen.append(j)
            if offer:
                residual = self.payment - cur
                best.offer(_evidence_of(child, m, residual), tuple(chosen), residual)
            if extend:
                ancestors.append((nxt, top_cur, top_m, part))
                nxt, top_cur, top_m, part = j + 1, cur, m, child
            else:
                chosen.pop()


# Evidence of a partial set (reference sum, smallest and largest due, due sum), extended
# one member at a time (rank::Partial).
_Partial = tuple[int, int, int, int]
_EMPTY_PARTIAL: _Partial = (0, INT64_MAX, INT64_MIN, 0)


def _with(part: _Partial, it: OpenItem) -> _Partial:
    reference, due_lo, due_hi, due_sum = part
    due = it.due_ordinal
    return reference + it.reference_score, min(due_lo, due), max(due_hi, due), due_sum + due


def _evidence_of(part: _Partial, size: int, residual: int) -> _Evidence:
    reference, due_lo, due_hi, due_sum = part
    return (residual != 0, abs(residual), -reference, size, due_hi - due_lo, due_sum)


class _Kept:
    """A kept candidate ordered worst first, so that a heapq heap's top is the worst."""

    __slots__ = ("key", "residual")

    def __init__(self, key: tuple[_Evidence, tuple[int, ...]], residual: int) -> None:
        self.key = key
        self.residual = residual

    def __lt__(self, other: _Kept) -> bool:
        return other.key < self.key


class _Best:
    """The best max(2, max_candidates) candidates seen and how many were seen
    (rank::Best): for a kernel producing each set once, in one variant (full amounts).
    The ranking key is a total order, so what is kept does not depend on arrival order."""

    def __init__(self, max_candidates: int) -> None:
        self.keep = max(max_candidates, 2)
        self.heap: list[_Kept] = []
        self.seen = 0

    def offer(self, ev: _Evidence, indices: tuple[int, ...], residual: int) -> None:
        self.seen += 1
        if len(self.heap) < self.keep:
            heapq.heappush(self.heap, _Kept((ev, indices), residual))
        elif (ev, indices) < self.heap[0].key:
            heapq.heapreplace(self.heap, _Kept((ev, indices), residual))

    def finish(self, payment: int, complete: bool, max_candidates: int, nodes: int) -> Solution:
        ranked = sorted(self.heap, key=lambda kept: kept.key)
        candidates = tuple(
            Candidate(kept.key[1], (False,) * len(kept.key[1]), payment - kept.residual, kept.residual)
            for kept in ranked[:max_candidates]
        )
        return Solution(
            outcome=_outcome([kept.key[0] for kept in ranked[:2]], complete),
            candidates=candidates,
            candidate_count=self.seen,
            algorithm="subset_dp",
            nodes=nodes,
        )


# --- ranking ------------------------------------------------------------------------

_Evidence = tuple[bool, int, int, int, int, int]


def _evidence(items: Sequence[OpenItem], indices: tuple[int, ...], residual: int, extra: int) -> _Evidence:
    dues = [items[i].due_ordinal for i in indices]
    return (
        residual != 0,
        abs(residual),
        -sum(items[i].reference_score for i in indices),
        len(indices) + extra,
        max(dues) - min(dues),
        sum(dues),
    )


def _outcome(ranked: list[_Evidence], complete: bool) -> Outcome:
    if not complete:
        return Outcome.BUDGET_EXHAUSTED
    if not ranked:
        return Outcome.NO_MATCH
    if len(ranked) == 1 or (ranked[1][0], ranked[1][2]) > (ranked[0][0], ranked[0][2]):
        return Outcome.MATCHED
    return Outcome.AMBIGUOUS


def _run(engine_args: tuple[Sequence[OpenItem], int, int, str, bool], budget: _Budget) -> _Engine | None:
    try:
        return _Engine(*engine_args, budget)
    except _Exhausted:
        return None


# --- public functions ---------------------------------------------------------------


def _check_forced(algorithm: str, k: int, items: Sequence[OpenItem]) -> None:
    # The k-sum kernels serve only these set sizes; subset_dp only items without discounts
    # (forced, it builds its table whatever its size); the other two serve anything.
    if (algorithm == "two_pointer" and k > 2) or (algorithm == "ksum_mitm" and not 3 <= k <= 5):
        raise ValueError(f"algorithm {algorithm} cannot serve max_items {k}")
    if algorithm == "subset_dp" and any(it.discounted_minor is not None for it in items):
        raise ValueError("algorithm subset_dp cannot serve items with a discounted amount")
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {', '.join(ALGORITHMS)}")


def solve_one_to_many(
    items: ItemsLike,
    payment_minor: int,
    limits: Limits = Limits(),
    *,
    algorithm: str | None = None,
) -> Solution:
    """Finds, ranks and classifies every candidate item set for one payment.

    ``algorithm`` overrides the rule (tests use it to check every kernel against an
    oracle); the candidate set is the same whichever kernel serves the instance.
    """
    items, payment_minor, limits = _validate_one(items, payment_minor, limits)
    k = min(limits.max_items, len(items))
    if algorithm is None:
        algorithm = choose_algorithm_for_payment(
            items, limits.max_items, payment_minor, limits.tolerance_minor
        )
    else:
        _check_forced(algorithm, k, items)
    if algorithm == "subset_dp":
        return _SubsetDp(items, k, payment_minor, limits.tolerance_minor).solve(limits)
    budget = _Budget(limits.node_budget)
    found: _Collector = {}
    engine = _run((items, k, limits.tolerance_minor, algorithm, False), budget)
    complete = engine is not None
    if engine is not None:
        try:
            engine.query(payment_minor, budget, found)
        except _Exhausted:
            complete = False
    return _finish_one(items, payment_minor, found, complete, limits, algorithm, budget.nodes)


def _finish_one(
    items: Sequence[OpenItem],
    payment_minor: int,
    found: _Collector,
    complete: bool,
    limits: Limits,
    algorithm: str,
    nodes: int,
) -> Solution:
    keyed = sorted(
        (_evidence(items, indices, residual, 0), indices, flags, residual)
        for indices, (residual, flags) in found.items()
    )
    candidates = tuple(
        Candidate(indices, flags, payment_minor - residual, residual)
        for _ev, indices, flags, residual in keyed[: limits.max_candidates]
    )
    return Solution(
        outcome=_outcome([k_[0] for k_ in keyed[:2]], complete),
        candidates=candidates,
        candidate_count=len(keyed),
        algorithm=algorithm,
        nodes=nodes,
    )


def _validate_multi(
    items: ItemsLike, payments_minor: Sequence[int], limits: Limits
) -> tuple[list[OpenItem], list[int], Limits]:
    """Validates and returns the inputs as plain Python ints."""
    numbers = _limit_fields(limits)
    numbers.update({f"payments_minor[{j}]": p for j, p in enumerate(payments_minor)})
    check_int64_inputs(items, numbers)
    items, limits = _plain_items(items), _plain_limits(limits)
    payments_minor = [operator.index(p) for p in payments_minor]
    _validate_common_limits(
        limits.max_items, limits.tolerance_minor, limits.node_budget, limits.max_candidates
    )
    for j, p in enumerate(payments_minor):
        if p <= 0:
            raise ValueError(f"payments_minor[{j}] must be > 0")
    total = _validate_items(items)
    if total + max(payments_minor, default=0) + limits.tolerance_minor > INT64_MAX:
        raise ValueError("overflow: sum of amount_minor, payment_minor and tolerance_minor exceeds int64")
    return items, payments_minor, limits


def solve_one_to_many_multi(
    items: ItemsLike, payments_minor: Sequence[int], limits: Limits = Limits()
) -> tuple[Solution, ...]:
    """One :func:`solve_one_to_many` result per payment, for payments against the same items.

    Entry ``j`` has the candidates, ranking, candidate count and outcome of
    ``solve_one_to_many(items, payments_minor[j], limits)``. Default path: the
    target-independent tables are built once, and every payment's count starts from the
    nodes their construction took, as a separate call would, so every field (algorithm
    and nodes included) equals the separate call's. A payment that
    :func:`choose_algorithm_for_payment` gives to subset_dp is solved on its own, as a
    separate call would be: the DP table depends on the target.

    When :func:`_use_shared_triples` holds, the ``ksum_shared_triples`` kernel is used
    (its own node count: one per sorted entry, pair and triple of the shared tables, then
    the windows and loops of ``_SharedTriples.query``). If the shared tables alone exceed
    the node budget every payment takes the default path; a payment whose search exceeds
    it is solved by :func:`solve_one_to_many`. BUDGET_EXHAUSTED is thus reported exactly
    when the separate call reports it, except that a payment whose shared search
    completes within the budget is reported complete (with the full candidate set).
    A bad payment raises ``payments_minor[{j}] must be > 0``; the overflow check uses
    the largest payment.
    """
    items, payments_minor, limits = _validate_multi(items, payments_minor, limits)
    k = min(limits.max_items, len(items))
    if _use_shared_triples(items, limits.max_items, len(payments_minor)):
        prepared = _Budget(limits.node_budget)
        try:
            shared = _SharedTriples(items, k, limits.tolerance_minor, prepared)
        except _Exhausted:
            pass
        else:
            shared_solutions = []
            for payment_minor in payments_minor:
                budget = _Budget(limits.node_budget)
                budget.nodes = prepared.nodes
                found: _Collector = {}
                try:
                    shared.query(payment_minor, budget, found)
                except _Exhausted:
                    shared_solutions.append(solve_one_to_many(items, payment_minor, limits))
                    continue
                shared_solutions.append(
                    _finish_one(items, payment_minor, found, True, limits, SHARED_TRIPLES, budget.nodes)
                )
            return tuple(shared_solutions)
    algorithm = choose_algorithm(items, limits.max_items)
    # The DP table depends on the payment, so subset_dp payments are solved one by one; the
    # tables of `algorithm` are built once, and only if some payment needs them.
    dp = [
        choose_algorithm_for_payment(items, limits.max_items, p, limits.tolerance_minor) == "subset_dp"
        for p in payments_minor
    ]
    prepared = _Budget(limits.node_budget)
    engine = _run((items, k, limits.tolerance_minor, algorithm, False), prepared) if not all(dp) else None
    solutions = []
    for payment_minor, by_dp in zip(payments_minor, dp, strict=True):
        if by_dp:
            solutions.append(_SubsetDp(items, k, payment_minor, limits.tolerance_minor).solve(limits))
            continue
        budget = _Budget(limits.node_budget)
        budget.nodes = prepared.nodes
        found = {}
        complete = engine is not None
        if engine is not None:
            try:
                engine.query(payment_minor, budget, found)
            except _Exhausted:
                complete = False
        solutions.append(_finish_one(items, payment_minor, found, complete, limits, algorithm, budget.nodes))
    return tuple(solutions)


def _validate_many(
    items: ItemsLike, payments_minor: Sequence[int], limits: ManyLimits
) -> tuple[list[OpenItem], list[int], ManyLimits]:
    """Validates and returns the inputs as plain Python ints."""
    numbers = _limit_fields(limits)
    numbers.update({f"payments_minor[{j}]": p for j, p in enumerate(payments_minor)})
    check_int64_inputs(items, numbers)
    items, limits = _plain_items(items), _plain_limits(limits)
    payments_minor = [operator.index(p) for p in payments_minor]
    if limits.max_payments < 1:
        raise ValueError("limits.max_payments must be >= 1")
    _validate_common_limits(
        limits.max_items, limits.tolerance_minor, limits.node_budget, limits.max_candidates
    )
    for j, p in enumerate(payments_minor):
        if p <= 0:
            raise ValueError(f"payments_minor[{j}] must be > 0")
    total = _validate_items(items)
    if total + sum(payments_minor) + limits.tolerance_minor > INT64_MAX:
        raise ValueError("overflow: sum of amount_minor, payments_minor and tolerance_minor exceeds int64")
    return items, payments_minor, limits


def _many_search(
    engine: _Engine,
    payments_minor: Sequence[int],
    max_payments: int,
    budget: _Budget,
    groups: list[Group],
) -> None:
    m = len(payments_minor)
    for size in range(1, min(max_payments, m) + 1):
        for combo in combinations(range(m), size):
            budget.tick()
            found: _Collector = {}
            try:
                engine.query(sum(payments_minor[j] for j in combo), budget, found)
            finally:
                for indices, (residual, flags) in found.items():
                    groups.append(Group(combo, indices, flags, residual))


def solve_many_to_many(
    items: ItemsLike, payments_minor: Sequence[int], limits: ManyLimits = ManyLimits()
) -> ManySolution:
    """Finds, ranks and classifies groups of payments explained by groups of items.

    A group is a non-empty set P of at most ``max_payments`` payments and a non-empty
    set S of at most ``max_items`` items with ``|sum(P) - total(S)| <= tolerance``;
    ``residual = sum(P) - total(S)``. One variant per (P, S) as in one-to-many. Ranking
    key: ``(residual != 0, |residual|, -sum(reference_score), |P| + |S|, due spread,
    due sum, payment_indices, item_indices)``; outcome rule as in one-to-many. Payment
    subsets are enumerated by size, then lexicographically, one node each. Run it on
    what one-to-many left unmatched: two independent exact pairs are AMBIGUOUS here.
    """
    items, payments_minor, limits = _validate_many(items, payments_minor, limits)
    algorithm = choose_algorithm(items, limits.max_items)
    k = min(limits.max_items, len(items))
    budget = _Budget(limits.node_budget)
    groups: list[Group] = []
    engine = _run((items, k, limits.tolerance_minor, algorithm, True), budget)
    complete = engine is not None
    if engine is not None:
        try:
            _many_search(engine, payments_minor, limits.max_payments, budget, groups)
        except _Exhausted:
            complete = False
    keyed = sorted(
        (
            _evidence(items, g.item_indices, g.residual_minor, len(g.payment_indices)),
            g.payment_indices,
            g.item_indices,
            g,
        )
        for g in groups
    )
    return ManySolution(
        outcome=_outcome([k_[0] for k_ in keyed[:2]], complete),
        groups=tuple(k_[3] for k_ in keyed[: limits.max_candidates]),
        group_count=len(keyed),
        algorithm=algorithm,
        nodes=budget.nodes,
    )


def _check_batch_shape(problem: BatchProblem) -> None:
    n = len(problem.amounts_minor)
    offsets = [int(o) for o in problem.item_offsets]
    if len(offsets) != len(problem.payments_minor) + 1:
        raise ValueError("item_offsets must have len(payments_minor) + 1 entries")
    lengths = {
        len(problem.discounted_minor),
        len(problem.due_ordinal),
        len(problem.reference_score),
    }
    if lengths != {n}:
        raise ValueError(
            "amounts_minor, discounted_minor, due_ordinal and reference_score must have equal lengths"
        )
    monotone = all(a <= b for a, b in pairwise(offsets))
    if offsets[0] != 0 or not monotone or offsets[-1] != n:
        raise ValueError("item_offsets must start at 0, never decrease and end at len(amounts_minor)")


def pack_solutions(solutions: Sequence[Solution]) -> BatchSolution:
    """Flattens solutions into a :class:`BatchSolution` (the Python batch layout)."""
    cand_offsets, member_offsets = [0], [0]
    totals: list[int] = []
    residuals: list[int] = []
    members: list[int] = []
    flags: list[bool] = []
    for s in solutions:
        for c in s.candidates:
            totals.append(c.total_minor)
            residuals.append(c.residual_minor)
            members.extend(c.item_indices)
            flags.extend(c.discounted)
            member_offsets.append(len(members))
        cand_offsets.append(len(totals))
    return BatchSolution(
        outcome_codes=_i64([OUTCOME_CODES.index(s.outcome) for s in solutions]),
        algorithm_codes=_i64([ALGORITHMS.index(s.algorithm) for s in solutions]),
        candidate_counts=_i64([s.candidate_count for s in solutions]),
        nodes=_i64([s.nodes for s in solutions]),
        candidate_offsets=_i64(cand_offsets),
        candidate_total_minor=_i64(totals),
        candidate_residual_minor=_i64(residuals),
        member_offsets=_i64(member_offsets),
        member_item_indices=_i64(members),
        member_discounted=np.asarray(flags, dtype=np.bool_),
    )


def solve_batch(problem: BatchProblem) -> BatchSolution:
    """Solves every problem in order; the first invalid one raises ``problem {p}: ...``."""
    solutions = []
    for p, (items, payment) in enumerate(problem.problems()):
        try:
            solutions.append(solve_one_to_many(items, payment, problem.limits))
        except ValueError as exc:
            raise ValueError(f"problem {p}: {exc}") from None
    return pack_solutions(solutions)
