"""Private Rust solver (crate matcher_binding over matcher_core), shipped as the distribution
cashapp-matcher. Use engine.matching.solver, never this module directly.

Semantics are identical, bit for bit, to engine.matching.solver_py:

- A candidate is a set S of distinct items, 1 <= |S| <= max_items, each at its full or
  discounted amount, with |payment - total| <= tolerance; per set the variant with the
  smallest |residual|, then fewer discounted items, then the smallest flag tuple.
- residual_minor = payment - total (positive: the customer paid more).
- Ranking key, ascending: (residual != 0, |residual|, -sum(reference_score), |S|,
  max(due) - min(due), sum(due), item_indices).
- Outcome "NO_MATCH" without candidates, "MATCHED" when exactly one candidate has the best
  (residual != 0, -sum(reference_score)) tier, else "AMBIGUOUS"; "BUDGET_EXHAUSTED" when the
  node budget ran out (candidates found so far, ranked); "MEMORY_LIMIT" when the tables would
  pass memory_limit_bytes (refused before allocating) or more sets match than the memory left
  may keep (those kept so far, ranked); "SOLUTION_LIMIT" when max_solutions sets (0: no
  limit) were found and the search stopped there with work left (the sets found first, in the
  kernels' fixed enumeration order, ranked).
- Invalid input (non-positive amounts, discounts outside (0, amount), reference scores
  outside 0..100, negative limits, sums that could overflow int64) raises ValueError naming
  the field. Every argument must fit in int64 (the Python wrapper checks this first).
- Item columns (one-to-many, many-to-many): int64 numpy arrays, read in place, or sequences
  of ints. discounted_minor: in an int64 array 0 means no discount (as in the batch API); in
  a sequence, None does (and 0 is refused like any discount outside (0, amount)).
- algorithm: one of solver_py.ALGORITHMS ("two_pointer", "ksum_mitm", "horowitz_sahni",
  "branch_and_bound", "subset_dp"; the batch's algorithm_codes index that tuple), or
  "ksum_shared_triples" from solve_one_to_many_multi.
- count_subsets / count_subsets_multi: as engine.matching.kernels.count (explanations of
  every subset size, capped at 2; amounts >= 0; outcome "NONE", "ONE", "MANY", "TOO_LARGE").
"""

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

_Column = NDArray[np.int64] | Sequence[int]
_Discounts = NDArray[np.int64] | Sequence[int | None]
# (outcome, explanation_count, item_indices, discounted, residual_minor, witness_available)
_RawCount = tuple[str, int | None, tuple[int, ...], tuple[bool, ...], int | None, bool]

__all__ = [
    "__version__",
    "count_subsets",
    "count_subsets_multi",
    "read_camt",
    "register_result_types",
    "solve_batch",
    "solve_many_to_many",
    "solve_one_to_many",
    "solve_one_to_many_multi",
]

__version__: str

def register_result_types(
    solution: type[tuple[Any, ...]],
    candidate: type[tuple[Any, ...]],
    many_solution: type[tuple[Any, ...]],
    group: type[tuple[Any, ...]],
    outcomes: tuple[Any, ...],
) -> None:
    """Registers the NamedTuples the one-to-many calls return (Solution of 5 fields, Candidate
    of 4), those solve_many_to_many returns (ManySolution of 5, Group of 4) and the Outcome
    members in code order; later calls keep the first registration."""

def solve_one_to_many(
    amounts_minor: _Column,
    discounted_minor: _Discounts,
    due_ordinal: _Column,
    reference_score: _Column,
    payment_minor: int,
    max_items: int,
    tolerance_minor: int,
    node_budget: int,
    max_candidates: int,
    memory_limit_bytes: int,
    max_solutions: int,
) -> Any:
    """Returns the registered Solution (outcome: the registered Outcome member, candidates: a
    tuple of the registered Candidate (item_indices, discounted, total_minor, residual_minor),
    candidate_count, algorithm, nodes); RuntimeError before register_result_types."""

def solve_one_to_many_multi(
    amounts_minor: _Column,
    discounted_minor: _Discounts,
    due_ordinal: _Column,
    reference_score: _Column,
    payments_minor: list[int],
    max_items: int,
    tolerance_minor: int,
    node_budget: int,
    max_candidates: int,
    memory_limit_bytes: int,
    max_solutions: int,
) -> list[Any]:
    """One solve_one_to_many result per payment; the target-independent tables are built
    once (subset_dp payments: their own table each), payments run in parallel. Identical
    to separate calls (node counts included), except where the ksum_shared_triples kernel
    serves (k in 4..5, >= 16 payments; see matcher_rs/README.md): then algorithm and nodes
    are that kernel's own."""

def solve_many_to_many(
    amounts_minor: _Column,
    discounted_minor: _Discounts,
    due_ordinal: _Column,
    reference_score: _Column,
    payments_minor: list[int],
    max_payments: int,
    max_items: int,
    tolerance_minor: int,
    node_budget: int,
    max_candidates: int,
    memory_limit_bytes: int,
) -> Any:
    """Returns the registered ManySolution (outcome: the registered Outcome member, groups: a
    tuple of the registered Group (payment_indices, item_indices, discounted, residual_minor),
    group_count, algorithm, nodes); RuntimeError before register_result_types."""

def solve_batch(
    item_offsets: NDArray[np.int64],
    amounts_minor: NDArray[np.int64],
    discounted_minor: NDArray[np.int64],
    due_ordinal: NDArray[np.int64],
    reference_score: NDArray[np.int64],
    payments_minor: NDArray[np.int64],
    max_items: int,
    tolerance_minor: int,
    node_budget: int,
    max_candidates: int,
    memory_limit_bytes: int,
    max_solutions: int,
    num_threads: int,
) -> tuple[
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.bool_],
]:
    """Solves problems in parallel with the GIL released; num_threads=0 uses rayon's pool.
    Returns (outcome_codes, algorithm_codes, candidate_counts, nodes, candidate_offsets,
    candidate_total_minor, candidate_residual_minor, member_offsets, member_item_indices,
    member_discounted); see solver_py.BatchSolution for the layout."""

def count_subsets(
    amounts_minor: _Column,
    discounted_minor: _Discounts,
    due_ordinal: _Column,
    reference_score: _Column,
    payment_minor: int,
    tolerance_minor: int,
    max_bits: int,
    max_witness_bits: int,
) -> _RawCount:
    """The count (capped at 2) of explanations of every subset size within tolerance of the
    payment, and the unique one when there is exactly one; the GIL is released throughout."""

def count_subsets_multi(
    amounts_minor: _Column,
    discounted_minor: _Discounts,
    due_ordinal: _Column,
    reference_score: _Column,
    payments_minor: list[int],
    tolerance_minor: int,
    max_bits: int,
    max_witness_bits: int,
) -> list[_RawCount]:
    """One count_subsets result per payment; the DP tables are built once."""

def read_camt(
    data: bytes,
    namespace: str,
    number: str,
    exponents: dict[str, int],
    max_minor: int,
    factories: tuple[Any, ...],
) -> tuple[Any, ...]:
    """The camt.053/054 reader (crate cashapp_camt) with the GIL released; the records are
    built with the classes in `factories`. ("ok", entries, skipped, warnings, controls),
    ("error", location, message, reason) or ("decline", why). Use engine.ingest.camt_native."""
