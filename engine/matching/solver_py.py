"""Pure-Python subset solver: the fallback implementation (validation, algorithm choice
and the public functions; the types live in ``engine.matching.solver_types``).

This module mirrors ``matcher_rs/core/src/lib.rs`` and each kernel in
``engine/matching/kernels/<name>.py`` mirrors ``matcher_rs/core/src/kernels/<name>.rs``
line for line: same validation and messages, same algorithm choice, same enumeration
order and the same ``budget.tick`` calls, so both return identical results bit for bit,
including the node counter and the point where a node budget runs out.
``engine.matching.solver`` is the public entry point; it re-exports the types and
dispatches to Rust or to this module.

Definitions
-----------
- A candidate is a set S of distinct items, ``1 <= |S| <= max_items``, each taken at
  its full or (when it has one) its discounted amount, with
  ``|payment - total| <= tolerance``. One candidate per item set: the variant with the
  smallest ``|residual|``, then fewer discounted items, then the lexicographically
  smallest discount-flag tuple (False < True).
- ``residual_minor = payment - total``: positive when the customer paid more.
- Credit memos: in one-to-many searches an item may have a negative amount (a credit,
  without discount), netted inside the set like any member (100 + 80 - 30 pays 150);
  amounts must not be 0 and the absolute amounts, payment and tolerance must sum within
  int64. Many-to-many and counting take positive amounts only; subset_dp and the shared
  triple table are not used when credits are present.
- Ranking key, ascending: ``(residual != 0, |residual|, -sum(reference_score), |S|,
  max(due) - min(due), sum(due), item_indices)``.
- Outcome: NO_MATCH without candidates; MATCHED when exactly one candidate has the
  best tier ``(residual != 0, -sum(reference_score))``; AMBIGUOUS otherwise;
  BUDGET_EXHAUSTED whenever the node budget ran out (candidates found so far).
  MEMORY_LIMIT when a table would pass ``limits.memory_limit_bytes`` (refused before it
  is built) or more sets match than the memory left keeps (the search ends there; the
  sets kept so far are returned); see ``Budget.reserve`` and matcher_rs/README.md.
  SOLUTION_LIMIT when ``limits.max_solutions`` (0: none) sets were found and the search
  stopped there with work left: the first sets of the kernels' fixed enumeration order (the
  same in both twins), each in the first variant met within the tolerance, ranked. A
  search that ends anyway answers as without the limit.
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

import operator
from collections.abc import Sequence
from dataclasses import fields
from itertools import combinations
from typing import TypeVar

import numpy as np

from engine.matching.kernels.collect import Collector
from engine.matching.kernels.engine import Budget, Engine, Exhausted
from engine.matching.kernels.rank import evidence, outcome, with_memory, with_solution_limit
from engine.matching.kernels.shared_triples import SharedTriples, triple_count
from engine.matching.kernels.subset_dp import SubsetDp, dp_table_nodes
from engine.matching.solver_types import (
    ALGORITHMS,
    DP_TABLE_LIMIT,
    HS_TABLE_LIMIT,
    INT64_MAX,
    KSUM_MAX_ITEMS,
    MAX_REFERENCE_SCORE,
    OUTCOME_CODES,
    SHARED_MIN_PAYMENTS,
    SHARED_TRIPLES,
    SHARED_TRIPLES_PER_PAYMENT,
    TRIPLE_TABLE_LIMIT,
    BatchProblem,
    BatchSolution,
    Candidate,
    Group,
    ItemsLike,
    Limits,
    ManyLimits,
    ManySolution,
    OpenItem,
    OpenItems,
    Solution,
    as_int64,
    check_int64_inputs,
    hs_table_entries,
    solution_limit,
)

# Defaults of the public functions (frozen, so one instance serves every call).
_DEFAULT_LIMITS = Limits()
_DEFAULT_MANY_LIMITS = ManyLimits()


# --- validation ---------------------------------------------------------------------


def _validate_common_limits(limits: Limits | ManyLimits) -> None:
    max_items, tolerance_minor = limits.max_items, limits.tolerance_minor
    node_budget, max_candidates = limits.node_budget, limits.max_candidates
    if limits.memory_limit_bytes < 0:
        raise ValueError("limits.memory_limit_bytes must be >= 0")
    if max_items < 1:
        raise ValueError("limits.max_items must be >= 1")
    if tolerance_minor < 0:
        raise ValueError("limits.tolerance_minor must be >= 0")
    if node_budget < 0:
        raise ValueError("limits.node_budget must be >= 0")
    if max_candidates < 0:
        raise ValueError("limits.max_candidates must be >= 0")


def _validate_max_solutions(limits: Limits) -> None:
    if limits.max_solutions < 0:
        raise ValueError("limits.max_solutions must be >= 0")


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


def _validate_signed_items(items: Sequence[OpenItem]) -> int:
    """The items of a one-to-many search, where credit memos (negative amounts) are netted
    inside a set: returns the sum of the absolute amounts (mirrors
    ``validate_signed_items`` in Rust). A credit has no early-payment discount."""
    total = 0
    for i, it in enumerate(items):
        if it.amount_minor == 0:
            raise ValueError(f"items[{i}].amount_minor must not be 0")
        d = it.discounted_minor
        if d is not None and it.amount_minor < 0:
            raise ValueError(f"items[{i}].discounted_minor must be absent on a credit (amount_minor < 0)")
        if d is not None and (d <= 0 or d >= it.amount_minor):
            raise ValueError(f"items[{i}].discounted_minor must be > 0 and < amount_minor")
        if not 0 <= it.reference_score <= MAX_REFERENCE_SCORE:
            raise ValueError(f"items[{i}].reference_score must be between 0 and 100")
        total += abs(it.amount_minor)
    return total


def has_credits(items: Sequence[OpenItem]) -> bool:
    """Whether some item is a credit memo (a negative amount)."""
    return any(it.amount_minor < 0 for it in items)


def _validate_one(items: ItemsLike, payment_minor: int, limits: Limits) -> tuple[list[OpenItem], int, Limits]:
    """Validates and returns the inputs as plain Python ints."""
    check_int64_inputs(items, _limit_fields(limits) | {"payment_minor": payment_minor})
    items, payment_minor, limits = _plain_items(items), operator.index(payment_minor), _plain_limits(limits)
    _validate_common_limits(limits)
    _validate_max_solutions(limits)
    if payment_minor <= 0:
        raise ValueError("payment_minor must be > 0")
    total = _validate_signed_items(items)
    if total + payment_minor + limits.tolerance_minor > INT64_MAX:
        raise ValueError("overflow: sum of |amount_minor|, payment_minor and tolerance_minor exceeds int64")
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
        "limits.memory_limit_bytes": limits.memory_limit_bytes,
    }
    if isinstance(limits, ManyLimits):
        fields["limits.max_payments"] = limits.max_payments
    else:
        fields["limits.max_solutions"] = limits.max_solutions
    return fields


# --- algorithm choice ---------------------------------------------------------------


def choose_algorithm(items: Sequence[OpenItem], max_items: int) -> str:
    """The target-independent rule (see the module docstring); many-to-many uses it."""
    k = min(max_items, len(items))
    if k <= 2:
        return "two_pointer"
    if k <= KSUM_MAX_ITEMS:
        return "ksum_mitm"
    if hs_table_entries(items) <= HS_TABLE_LIMIT:
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
        cheaper = dp_table_nodes(len(items), hi) <= hs_table_entries(items)
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


def _use_shared_triples(items: Sequence[OpenItem], max_items: int, payments: int) -> bool:
    """Mirrors ``matcher_core::use_shared_triples``: k-sum with k in 4..5, at least
    ``SHARED_MIN_PAYMENTS`` payments, a triple table of at most ``TRIPLE_TABLE_LIMIT``
    entries and at most ``SHARED_TRIPLES_PER_PAYMENT`` entries per payment."""
    k = min(max_items, len(items))
    if choose_algorithm(items, max_items) != "ksum_mitm" or k < 4:
        return False
    # Its packed triple keys are unsigned in Rust: credits take the default path.
    if payments < SHARED_MIN_PAYMENTS or has_credits(items):
        return False
    count = len(items) + sum(1 for it in items if it.discounted_minor is not None)
    triples = triple_count(len(items), count)
    return triples <= TRIPLE_TABLE_LIMIT and triples <= payments * SHARED_TRIPLES_PER_PAYMENT


def _run(engine_args: tuple[Sequence[OpenItem], int, int, str, bool], budget: Budget) -> Engine | None:
    try:
        return Engine(*engine_args, budget)
    except Exhausted:
        return None


# --- public functions ---------------------------------------------------------------


def _check_forced(algorithm: str, k: int, items: Sequence[OpenItem]) -> None:
    # The k-sum kernels serve only these set sizes; subset_dp only items without discounts
    # (forced, it builds its table whatever its size); the other two serve anything.
    if (algorithm == "two_pointer" and k > 2) or (algorithm == "ksum_mitm" and not 3 <= k <= 5):
        raise ValueError(f"algorithm {algorithm} cannot serve max_items {k}")
    if algorithm == "subset_dp" and any(it.discounted_minor is not None for it in items):
        raise ValueError("algorithm subset_dp cannot serve items with a discounted amount")
    if algorithm == "subset_dp" and has_credits(items):
        raise ValueError("algorithm subset_dp cannot serve credits (negative amounts)")
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {', '.join(ALGORITHMS)}")


def solve_one_to_many(
    items: ItemsLike,
    payment_minor: int,
    limits: Limits = _DEFAULT_LIMITS,
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
        return SubsetDp(items, k, payment_minor, limits.tolerance_minor).solve(limits)
    budget = Budget(limits.node_budget, limits.memory_limit_bytes)
    found = Collector()
    engine = _run((items, k, limits.tolerance_minor, algorithm, False), budget)
    complete = engine is not None
    if engine is not None:
        found = Collector.bounded(budget, engine.pending_bytes()).limited_to(
            solution_limit(limits.max_solutions)
        )
        try:
            engine.query(payment_minor, budget, found)
        except Exhausted:
            complete = False
    return _finish_one(items, payment_minor, found, complete, limits, algorithm, budget)


def _finish_one(
    items: Sequence[OpenItem],
    payment_minor: int,
    found: Collector,
    complete: bool,
    limits: Limits,
    algorithm: str,
    budget: Budget,
) -> Solution:
    keyed = sorted(
        (evidence(items, indices, residual, 0), indices, flags, residual)
        for indices, (residual, flags) in found.items()
    )
    candidates = tuple(
        Candidate(indices, flags, payment_minor - residual, residual)
        for _ev, indices, flags, residual in keyed[: limits.max_candidates]
    )
    return Solution(
        outcome=with_memory(
            with_solution_limit(outcome([k_[0] for k_ in keyed[:2]], complete), complete, found.limited),
            budget.refused,
            found.overflowed,
        ),
        candidates=candidates,
        candidate_count=len(keyed),
        algorithm=algorithm,
        nodes=budget.nodes,
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
    _validate_common_limits(limits)
    _validate_max_solutions(limits)
    for j, p in enumerate(payments_minor):
        if p <= 0:
            raise ValueError(f"payments_minor[{j}] must be > 0")
    total = _validate_signed_items(items)
    if total + max(payments_minor, default=0) + limits.tolerance_minor > INT64_MAX:
        raise ValueError("overflow: sum of |amount_minor|, payment_minor and tolerance_minor exceeds int64")
    return items, payments_minor, limits


def solve_one_to_many_multi(
    items: ItemsLike, payments_minor: Sequence[int], limits: Limits = _DEFAULT_LIMITS
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
    the windows and loops of ``SharedTriples.query``). If the shared tables alone exceed
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
        prepared = Budget(limits.node_budget, limits.memory_limit_bytes)
        try:
            shared = SharedTriples(items, k, limits.tolerance_minor, prepared)
        except Exhausted:
            pass
        else:
            shared_solutions = []
            for payment_minor in payments_minor:
                budget = prepared.copy()
                found = Collector.bounded(budget).limited_to(solution_limit(limits.max_solutions))
                try:
                    shared.query(payment_minor, budget, found)
                except Exhausted:
                    found.overflowed = True
                # Its enumeration order is not the separate call's, so a search that reaches
                # the solution limit is answered by the separate call.
                if found.overflowed or found.limited:
                    shared_solutions.append(solve_one_to_many(items, payment_minor, limits))
                    continue
                shared_solutions.append(
                    _finish_one(items, payment_minor, found, True, limits, SHARED_TRIPLES, budget)
                )
            return tuple(shared_solutions)
    algorithm = choose_algorithm(items, limits.max_items)
    # The DP table depends on the payment, so subset_dp payments are solved one by one; the
    # tables of `algorithm` are built once, and only if some payment needs them.
    dp = [
        choose_algorithm_for_payment(items, limits.max_items, p, limits.tolerance_minor) == "subset_dp"
        for p in payments_minor
    ]
    prepared = Budget(limits.node_budget, limits.memory_limit_bytes)
    engine = _run((items, k, limits.tolerance_minor, algorithm, False), prepared) if not all(dp) else None
    solutions = []
    for payment_minor, by_dp in zip(payments_minor, dp, strict=True):
        if by_dp:
            solutions.append(SubsetDp(items, k, payment_minor, limits.tolerance_minor).solve(limits))
            continue
        budget = prepared.copy()
        pending = engine.pending_bytes() if engine is not None else 0
        found = Collector.bounded(budget, pending).limited_to(solution_limit(limits.max_solutions))
        complete = engine is not None
        if engine is not None:
            try:
                engine.query(payment_minor, budget, found)
            except Exhausted:
                complete = False
        solutions.append(_finish_one(items, payment_minor, found, complete, limits, algorithm, budget))
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
    _validate_common_limits(limits)
    for j, p in enumerate(payments_minor):
        if p <= 0:
            raise ValueError(f"payments_minor[{j}] must be > 0")
    total = _validate_items(items)
    if total + sum(payments_minor) + limits.tolerance_minor > INT64_MAX:
        raise ValueError("overflow: sum of amount_minor, payments_minor and tolerance_minor exceeds int64")
    return items, payments_minor, limits


def _many_search(
    engine: Engine,
    payments_minor: Sequence[int],
    max_payments: int,
    budget: Budget,
    groups: list[Group],
) -> None:
    # The groups kept count against the memory: a query may keep only what is left.
    m = len(payments_minor)
    for size in range(1, min(max_payments, m) + 1):
        for combo in combinations(range(m), size):
            budget.tick()
            found = Collector.bounded(budget, 0, len(groups))
            try:
                engine.query(sum(payments_minor[j] for j in combo), budget, found)
            finally:
                for indices, (residual, flags) in found.items():
                    groups.append(Group(combo, indices, flags, residual))


def solve_many_to_many(
    items: ItemsLike, payments_minor: Sequence[int], limits: ManyLimits = _DEFAULT_MANY_LIMITS
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
    budget = Budget(limits.node_budget, limits.memory_limit_bytes)
    groups: list[Group] = []
    engine = _run((items, k, limits.tolerance_minor, algorithm, True), budget)
    complete = engine is not None
    if engine is not None:
        try:
            _many_search(engine, payments_minor, limits.max_payments, budget, groups)
        except Exhausted:
            complete = False
    keyed = sorted(
        (
            evidence(items, g.item_indices, g.residual_minor, len(g.payment_indices)),
            g.payment_indices,
            g.item_indices,
            g,
        )
        for g in groups
    )
    return ManySolution(
        outcome=with_memory(outcome([k_[0] for k_ in keyed[:2]], complete), budget.refused, budget.stop),
        groups=tuple(k_[3] for k_ in keyed[: limits.max_candidates]),
        group_count=len(keyed),
        algorithm=algorithm,
        nodes=budget.nodes,
    )


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
        outcome_codes=as_int64([OUTCOME_CODES.index(s.outcome) for s in solutions]),
        algorithm_codes=as_int64([ALGORITHMS.index(s.algorithm) for s in solutions]),
        candidate_counts=as_int64([s.candidate_count for s in solutions]),
        nodes=as_int64([s.nodes for s in solutions]),
        candidate_offsets=as_int64(cand_offsets),
        candidate_total_minor=as_int64(totals),
        candidate_residual_minor=as_int64(residuals),
        member_offsets=as_int64(member_offsets),
        member_item_indices=as_int64(members),
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
