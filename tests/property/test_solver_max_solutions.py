"""limits.max_solutions, the stop-early mode (find one set, or find out whether there are two):
both twins stop at the same set after the same nodes, and what they answer is part of the full
answer."""

from __future__ import annotations

import importlib.util
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.matching import solver
from engine.matching.solver import BatchProblem, Limits, OpenItem, OpenItems, Outcome, Solution
from tests.property.test_solver_differential import FAST, limits, open_items, oracle, plain_items

HAS_RUST = importlib.util.find_spec("cashapp_matcher") is not None
needs_rust = pytest.mark.skipif(not HAS_RUST, reason="cashapp-matcher (the Rust extension) not installed")
PY = solver.python_backend()
solution_limits = st.integers(0, 4)


def _backends() -> list[solver.Backend]:
    return [PY, solver.rust_backend()] if HAS_RUST else [PY]


@st.composite
def wide_items(draw: st.DrawFn) -> list[OpenItem]:
    # Amounts over many decades: sorted_bounds serves the sets of 4 and 5 (see wide_amounts).
    n = draw(st.integers(8, 40))
    return [
        OpenItem(draw(st.sampled_from([1, 2, 3, 7, 10, 30, 100, 1_000, 10**6, 5 * 10**6]))) for _ in range(n)
    ]


def _check_against_full(items: list[OpenItem], payment: int, lim: Limits, got: Solution) -> None:
    """A search cut by the limit answers SOLUTION_LIMIT with that many sets of the full answer
    (each in a variant within the tolerance) after no more nodes than the full search; any
    other answer is the full search's, field for field."""
    full = PY.solve_one_to_many(items, payment, replace(lim, max_solutions=0))
    if got.outcome is not Outcome.SOLUTION_LIMIT:
        assert got == full
        return
    assert got.candidate_count == lim.max_solutions
    assert got.nodes <= full.nodes and got.algorithm == full.algorithm
    sets = {c.item_indices for c in oracle(items, payment, replace(lim, max_candidates=10**9))[1]}
    for c in got.candidates:
        assert c.item_indices in sets
        total = sum(
            items[i].discounted_minor or 0 if d else items[i].amount_minor
            for i, d in zip(c.item_indices, c.discounted, strict=True)
        )
        assert total == c.total_minor and abs(payment - total) <= lim.tolerance_minor


@FAST
@given(items=open_items(10), payment=st.integers(1, 200), lim=limits(max_k=10), m=solution_limits)
def test_a_limited_search_answers_sets_of_the_full_answer(
    items: list[OpenItem], payment: int, lim: Limits, m: int
) -> None:
    lim = replace(lim, max_solutions=m)
    for backend in _backends():
        _check_against_full(items, payment, lim, backend.solve_one_to_many(items, payment, lim))


@needs_rust
@FAST
@given(items=open_items(14), payment=st.integers(1, 250), lim=limits(max_k=14), m=solution_limits)
def test_rust_and_python_stop_at_the_same_sets(
    items: list[OpenItem], payment: int, lim: Limits, m: int
) -> None:
    lim = replace(lim, max_solutions=m)
    rust = solver.rust_backend().solve_one_to_many(items, payment, lim)
    assert rust == PY.solve_one_to_many(items, payment, lim)
    columns = OpenItems.from_items(items) if all(it.discounted_minor != 0 for it in items) else items
    assert solver.rust_backend().solve_one_to_many(columns, payment, lim) == rust


@needs_rust
@FAST
@given(items=plain_items(12, 22), payment=st.integers(1, 250), tol=st.integers(0, 3), m=solution_limits)
def test_rust_and_python_stop_at_the_same_sets_in_subset_dp(
    items: list[OpenItem], payment: int, tol: int, m: int
) -> None:
    lim = Limits(max_items=12, tolerance_minor=tol, max_solutions=m)
    rust = solver.rust_backend().solve_one_to_many(items, payment, lim)
    assert rust == PY.solve_one_to_many(items, payment, lim)
    if len(items) <= 14:  # the oracle enumerates every subset
        _check_against_full(items, payment, lim, rust)


@needs_rust
@FAST
@given(items=wide_items(), picks=st.lists(st.integers(0, 39), min_size=1, max_size=5), m=solution_limits)
def test_rust_and_python_stop_at_the_same_sets_on_wide_amounts(
    items: list[OpenItem], picks: list[int], m: int
) -> None:
    payment = sum(items[i % len(items)].amount_minor for i in set(picks))
    lim = Limits(max_items=5, max_solutions=m)
    rust = solver.rust_backend().solve_one_to_many(items, payment, lim)
    assert rust == PY.solve_one_to_many(items, payment, lim)


@needs_rust
@FAST
@given(
    items=open_items(12),
    payments=st.lists(st.integers(1, 250), max_size=20),
    lim=limits(max_k=6),
    m=solution_limits,
)
def test_limited_multi_and_batch_equal_limited_separate_calls(
    items: list[OpenItem], payments: list[int], lim: Limits, m: int
) -> None:
    lim = replace(lim, max_solutions=m)
    rust = solver.rust_backend()
    got = rust.solve_one_to_many_multi(items, payments, lim)
    assert got == PY.solve_one_to_many_multi(items, payments, lim)
    for s, p in zip(got, payments, strict=True):
        one = PY.solve_one_to_many(items, p, lim)
        if s.algorithm == "ksum_shared_triples":
            assert (s.outcome, s.candidates, s.candidate_count) == (
                one.outcome,
                one.candidates,
                one.candidate_count,
            )
        else:
            assert s == one
    batch = BatchProblem.from_problems([(items, p) for p in payments], lim)
    assert solver._rust_batch(batch, 2).solutions() == PY.solve_batch(batch).solutions()


def test_find_one_stops_at_the_first_set_in_every_backend() -> None:
    # 30 alone and 10 + 20 both pay 30; single items are searched first.
    items = [OpenItem(10), OpenItem(20), OpenItem(30), OpenItem(5)]
    for backend in _backends():
        s = backend.solve_one_to_many(items, 30, Limits(max_solutions=1))
        assert (s.outcome, s.candidate_count, s.candidates[0].item_indices) == (
            Outcome.SOLUTION_LIMIT,
            1,
            (2,),
        )
        two = backend.solve_one_to_many(items, 30, Limits(max_solutions=2))
        full = backend.solve_one_to_many(items, 30, Limits())
        assert full.outcome is Outcome.AMBIGUOUS and full.candidate_count == 2
        # Stopped at the second set, with the pairs after it left unsearched: the engine's
        # "is there more than one?" answered with less work.
        assert two.outcome is Outcome.SOLUTION_LIMIT and two.candidates == full.candidates
        assert two.nodes < full.nodes
        # A limit no search reaches changes nothing.
        assert backend.solve_one_to_many(items, 30, Limits(max_solutions=3)) == full


@pytest.mark.parametrize("bad", [-1, -(2**63)])
def test_a_negative_solution_limit_is_refused_by_every_backend(bad: int) -> None:
    for backend in _backends():
        with pytest.raises(ValueError, match=r"limits\.max_solutions must be >= 0"):
            backend.solve_one_to_many([OpenItem(5)], 5, Limits(max_solutions=bad))
        with pytest.raises(ValueError, match=r"limits\.max_solutions must be >= 0"):
            backend.solve_one_to_many_multi([OpenItem(5)], [5], Limits(max_solutions=bad))


def test_a_solution_limit_beyond_int64_is_refused_naming_it() -> None:
    for backend in _backends():
        with pytest.raises(ValueError, match=r"limits\.max_solutions"):
            backend.solve_one_to_many([OpenItem(5)], 5, Limits(max_solutions=2**63))
