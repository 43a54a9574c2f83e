"""The solver's public types and constants, shared by the facade (``engine.matching.solver``),
the pure-Python twin (``engine.matching.solver_py``) and its kernels (``engine.matching.kernels``).

Twin of the types in ``matcher_rs/core/src/lib.rs``; the definitions are documented in
``engine.matching.solver_py``."""

from __future__ import annotations

import enum
import operator
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from itertools import pairwise
from typing import NamedTuple

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
# Default of limits.memory_limit_bytes, and the modelled footprint per table entry that a
# search reserves against it before building the table (see matcher_core's constants of
# the same names: upper bounds of what Rust allocates; the Python twin reserves the same
# sizes, so both refuse the same instances, though its own objects are larger).
DEFAULT_MEMORY_LIMIT_BYTES = 64 << 20
VAL_BYTES = 16
PAIR_BYTES = 24
HALF_BYTES = 32
BNB_BYTES = 24
TRIPLE_BYTES = 24
DP_CELL_BYTES = 2
CANDIDATE_BYTES = 160


class Outcome(enum.Enum):
    """How a search ended. Only MATCHED may ever be auto-applied."""

    MATCHED = "MATCHED"
    AMBIGUOUS = "AMBIGUOUS"
    NO_MATCH = "NO_MATCH"
    BUDGET_EXHAUSTED = "BUDGET_EXHAUSTED"
    # The tables would pass limits.memory_limit_bytes (refused before they are built), or
    # more sets match than the memory left may keep; the search is incomplete.
    MEMORY_LIMIT = "MEMORY_LIMIT"
    # limits.max_solutions sets were found and the search stopped there with more of it
    # left to run: the candidates are the sets found first, not necessarily the best.
    SOLUTION_LIMIT = "SOLUTION_LIMIT"


# Code order of the batch API's outcome_codes.
OUTCOME_CODES = (
    Outcome.MATCHED,
    Outcome.AMBIGUOUS,
    Outcome.NO_MATCH,
    Outcome.BUDGET_EXHAUSTED,
    Outcome.MEMORY_LIMIT,
    Outcome.SOLUTION_LIMIT,
)


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
    """Limits of a one-to-many search.

    ``max_solutions``: stop once this many item sets are found (flsss's ``n_solutions``; 0:
    find every set). Which sets come first is the kernels' fixed enumeration order, the
    same in both implementations; a search cut there answers SOLUTION_LIMIT.
    """

    max_items: int = 5
    tolerance_minor: int = 0
    node_budget: int = 5_000_000
    max_candidates: int = 10
    memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT_BYTES
    max_solutions: int = 0


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
    memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT_BYTES


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


def as_int64(values: Sequence[int] | None = None) -> NDArray[np.int64]:
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
            item_offsets=as_int64(offsets),
            amounts_minor=as_int64([it.amount_minor for it in flat]),
            discounted_minor=as_int64([it.discounted_minor or 0 for it in flat]),
            due_ordinal=as_int64([it.due_ordinal for it in flat]),
            reference_score=as_int64([it.reference_score for it in flat]),
            payments_minor=as_int64([p for _items, p in problems]),
            limits=limits,
        )

    def problems(self) -> Iterator[tuple[list[OpenItem], int]]:
        """Unpacks the flat arrays into (items, payment_minor) pairs."""
        check_batch_shape(self)
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


def solution_limit(max_solutions: int) -> int:
    """The collector's stop point for ``limits.max_solutions`` (0: none); mirrors
    ``matcher_core::solution_limit``."""
    return max_solutions if max_solutions > 0 else 2**64 - 1


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


def check_batch_shape(problem: BatchProblem) -> None:
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


def half_table_size(items: Sequence[OpenItem]) -> int:
    size = 1
    for it in items:
        size *= 3 if it.discounted_minor is not None else 2
        if size > HS_TABLE_LIMIT:
            return 2**63 - 1
    return size


def hs_table_entries(items: Sequence[OpenItem]) -> int:
    """Entries of both Horowitz-Sahni half tables (saturated past HS_TABLE_LIMIT)."""
    half = len(items) // 2
    return half_table_size(items[:half]) + half_table_size(items[half:])
