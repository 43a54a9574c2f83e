"""Adapters from the project's solver (engine.matching.solver) to the benchmark's PeerAnswer.

"rust" is the compiled solver, "python" the pure-Python fallback running the same algorithm. Both
are imported lazily so the peers' numbers can be produced before the solver exists.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.matcher.generator import BatchInstance, Instance
from bench.matcher.peers import PeerAnswer


@functools.cache
def _solver() -> Any:
    return importlib.import_module("engine.matching.solver")


@functools.cache
def _backend(peer: str) -> Any:
    """The solver Backend (solve_one_to_many / solve_many_to_many / solve_batch) of a peer."""
    solver = _solver()
    return solver.python_backend() if peer == "python" else solver.rust_backend()


@functools.cache
def unavailable(peer: str) -> str:
    """Empty when the peer can run; otherwise the reason it cannot (recorded in RESULTS.md)."""
    try:
        _backend(peer)
    except Exception as exc:  # the reason is reported, not hidden
        return f"solver not available: {type(exc).__name__}: {exc}"
    return ""


def limits_of(inst: Instance) -> Any:
    """The product's default limits, except where an instance raises the node budget; a
    find-one instance stops at the first set (``max_solutions=1``, as flsss's
    ``n_solutions=1``)."""
    extra = {"node_budget": inst.params["node_budget"]} if "node_budget" in inst.params else {}
    if inst.mode == "find":
        extra["max_solutions"] = 1
    return _solver().Limits(max_items=inst.max_items, tolerance_minor=inst.tolerance_minor, **extra)


def to_answer(inst: Instance, sol: Any) -> PeerAnswer:
    outcome = sol.outcome.name
    found = tuple(sol.candidates[0].item_indices) if sol.candidates else None
    note = f"{sol.algorithm}, {sol.nodes:,} nodes"
    if outcome == "NO_MATCH":
        return PeerAnswer("no_match", count=0, note=note, nodes=sol.nodes)
    if outcome == "BUDGET_EXHAUSTED":
        return PeerAnswer("budget", found=found, note=note, nodes=sol.nodes)
    if outcome == "SOLUTION_LIMIT":  # stopped at the first set(s): no count
        return PeerAnswer("matched", found=found, note=note, nodes=sol.nodes)
    return PeerAnswer("matched", count=sol.candidate_count, found=found, note=note, nodes=sol.nodes)


def solver_fn(peer: str) -> Callable[[Instance], PeerAnswer]:
    backend = _backend(peer)

    def solve(inst: Instance) -> PeerAnswer:
        sol = backend.solve_one_to_many(open_items(inst), inst.payment, limits_of(inst))
        return to_answer(inst, sol)

    return solve


def open_items(inst: Instance) -> Any:
    """The instance's items as the solver's columnar input (OpenItems), the flat int64 form
    of the solver contract; the other peers get the amounts in their own native form."""
    return _solver().OpenItems.of_amounts(inst.amounts)


def one_to_many(peer: str, inst: Instance) -> tuple[Callable[[], Any], Callable[[Any], PeerAnswer]]:
    """The timed call (the solver API call alone; the items are built once, outside it, as a
    caller would hold them) and the conversion of its Solution to a PeerAnswer, done after."""
    solve = _backend(peer).solve_one_to_many
    items, payment, limits = open_items(inst), inst.payment, limits_of(inst)
    return (lambda: solve(items, payment, limits)), (lambda sol: to_answer(inst, sol))


def batch(b: BatchInstance, num_threads: int) -> tuple[Callable[[], Any], Callable[[Any], Any]]:
    """The timed call (one solve_batch over flat arrays built outside it) and, for after it,
    the conversion of its result to per-problem counts (None where the node budget ran out),
    which also re-sums the best candidate of every problem against its payment."""
    solver = _solver()
    zeros = np.zeros(len(b.amounts), dtype=np.int64)
    problem = solver.BatchProblem(
        item_offsets=b.offsets,
        amounts_minor=b.amounts,
        discounted_minor=zeros,
        due_ordinal=zeros,
        reference_score=zeros,
        payments_minor=b.payments,
        limits=solver.Limits(max_items=b.max_items, tolerance_minor=b.tolerance_minor),
    )
    rust_batch = solver._rust_batch  # the only entry taking an explicit thread count
    solver.rust_backend()  # ImportError when the extension is missing

    return (lambda: rust_batch(problem, num_threads)), (lambda out: _batch_counts(b, out))


def _batch_counts(b: BatchInstance, out: Any) -> list[int | None]:
    budget_code = 3  # OUTCOME_CODES index of BUDGET_EXHAUSTED
    codes = out.outcome_codes
    counts = [None if c == budget_code else int(n) for c, n in zip(codes, out.candidate_counts, strict=True)]
    first = out.candidate_offsets[:-1]
    has = out.candidate_offsets[1:] > first
    assert has.all(), "every batch problem has a planted match"
    lo, hi = out.member_offsets[first], out.member_offsets[first + 1]
    base = b.offsets[:-1]
    for p in range(b.problems):
        members = out.member_item_indices[lo[p] : hi[p]] + base[p]
        total = int(b.amounts[members].sum())
        assert abs(total - int(b.payments[p])) <= b.tolerance_minor, (p, total)
    return counts


def many_to_many(peer: str, inst: Instance) -> Callable[[], PeerAnswer]:
    """The timed call of solve_many_to_many, counting groups (P, S) like the other peers."""
    solver = _solver()
    solve = _backend(peer).solve_many_to_many
    items = open_items(inst)
    limits = solver.ManyLimits(
        max_payments=inst.params["max_payments"],
        max_items=inst.max_items,
        tolerance_minor=inst.tolerance_minor,
    )
    payments = list(inst.payments)

    def run() -> PeerAnswer:
        sol = solve(items, payments, limits)
        note = f"{sol.algorithm}, {sol.nodes:,} nodes"
        first = (sol.groups[0].payment_indices, sol.groups[0].item_indices) if sol.groups else None
        if sol.outcome.name == "BUDGET_EXHAUSTED":
            return PeerAnswer("budget", found_many=first, note=note, nodes=sol.nodes)
        status = "no_match" if sol.outcome.name == "NO_MATCH" else "matched"
        return PeerAnswer(status, count=sol.group_count, found_many=first, note=note, nodes=sol.nodes)

    return run


# One customer's payments against the same open items can share the solver's target-independent
# tables: solve_many_to_many with max_payments = 1 builds them once and queries every payment.
SHARED_NODE_BUDGET = 1_000_000_000


def shared_tables(b: BatchInstance) -> tuple[Callable[[], Any], Callable[[Any], int | None]]:
    """The timed call for a batch whose problems all hold the same items, and the total count."""
    solver = _solver()
    amounts = b.problem(0)[0]
    for p in range(b.problems):
        assert b.problem(p)[0] == amounts, "shared tables need one item list"
    items = solver.OpenItems.of_amounts(amounts)
    payments = [int(p) for p in b.payments]
    limits = solver.ManyLimits(
        max_payments=1,
        max_items=b.max_items,
        tolerance_minor=b.tolerance_minor,
        node_budget=SHARED_NODE_BUDGET,
    )
    solve = solver.rust_backend().solve_many_to_many

    def total(sol: Any) -> int | None:
        return None if sol.outcome.name == "BUDGET_EXHAUSTED" else int(sol.group_count)

    return (lambda: solve(items, payments, limits)), total


def multi(b: BatchInstance) -> tuple[Callable[[], Any], Callable[[Any], list[int | None]]]:
    """solve_one_to_many_multi: one customer's payments, tables built once, per-payment results.

    Raises AttributeError when the solver has no such entry point (the test records the skip).
    """
    solver = _solver()
    solve = solver.rust_backend().solve_one_to_many_multi
    amounts = b.problem(0)[0]
    for p in range(b.problems):
        assert b.problem(p)[0] == amounts, "one item list for every payment"
    items = solver.OpenItems.of_amounts(amounts)
    payments = [int(p) for p in b.payments]
    limits = solver.Limits(max_items=b.max_items, tolerance_minor=b.tolerance_minor)

    def counts(sols: Any) -> list[int | None]:
        out: list[int | None] = []
        for sol, payment in zip(sols, payments, strict=True):
            if sol.outcome.name == "BUDGET_EXHAUSTED":
                out.append(None)
                continue
            best = sol.candidates[0]
            total = sum(amounts[i] for i in best.item_indices)
            assert abs(total - payment) <= b.tolerance_minor, (payment, best)
            out.append(int(sol.candidate_count))
        return out

    return (lambda: solve(items, payments, limits)), counts
