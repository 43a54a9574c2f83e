"""Credit memos (negative open amounts) netted inside a set: every kernel equals the
brute-force oracle, Rust equals Python bit for bit (node counts and budget exhaustion
included), and bad credits are refused with a named error by both."""

from __future__ import annotations

import importlib.util
from itertools import combinations, product

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.matching import solver, solver_py
from engine.matching.kernels.engine import Budget, Engine
from engine.matching.solver import (
    BatchProblem,
    Candidate,
    Limits,
    ManyLimits,
    OpenItem,
    Outcome,
    Solution,
)

HAS_RUST = importlib.util.find_spec("cashapp_matcher") is not None
needs_rust = pytest.mark.skipif(not HAS_RUST, reason="cashapp-matcher (the Rust extension) not installed")
PY = solver.python_backend()
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def items_with_credits(
    draw: st.DrawFn, max_n: int, max_amount: int = 60, max_credit: int = 40
) -> list[OpenItem]:
    # Few distinct amounts (duplicates, near-ties, many candidates); about a third credits.
    out = []
    for _ in range(draw(st.integers(0, max_n))):
        if draw(st.integers(0, 2)) == 0:
            out.append(
                OpenItem(
                    -draw(st.integers(1, max_credit)),
                    due_ordinal=draw(st.integers(0, 4)),
                    reference_score=draw(st.sampled_from([0, 0, 40, 100])),
                )
            )
            continue
        amount = draw(st.integers(1, max_amount))
        discounted = draw(st.one_of(st.none(), st.integers(1, max_amount)))
        if discounted is not None and discounted >= amount:
            discounted = None
        out.append(
            OpenItem(
                amount,
                discounted,
                due_ordinal=draw(st.integers(0, 4)),
                reference_score=draw(st.sampled_from([0, 0, 40, 100])),
            )
        )
    return out


tolerances = st.one_of(st.just(0), st.integers(0, 3), st.integers(0, 40))


def oracle(items: list[OpenItem], payment: int, lim: Limits) -> tuple[Outcome, list[Candidate]]:
    """Straight from the definition with itertools; no shared code with the solvers."""
    best: dict[tuple[int, ...], tuple[int, int, tuple[bool, ...], int]] = {}
    for size in range(1, min(lim.max_items, len(items)) + 1):
        for idx in combinations(range(len(items)), size):
            choices = [[False, True] if items[i].discounted_minor else [False] for i in idx]
            for flags in product(*choices):
                total = 0
                for i, f in zip(idx, flags, strict=True):
                    d = items[i].discounted_minor
                    total += d if f and d is not None else items[i].amount_minor
                residual = payment - total
                if abs(residual) <= lim.tolerance_minor:
                    key = (abs(residual), sum(flags), flags, residual)
                    if idx not in best or key < best[idx]:
                        best[idx] = key

    def rank(idx: tuple[int, ...]) -> tuple[object, ...]:
        residual = best[idx][3]
        dues = [items[i].due_ordinal for i in idx]
        ref = sum(items[i].reference_score for i in idx)
        return (residual != 0, abs(residual), -ref, len(idx), max(dues) - min(dues), sum(dues), idx)

    ranked = sorted(best, key=rank)
    cands = [Candidate(i, best[i][2], payment - best[i][3], best[i][3]) for i in ranked]
    if not ranked:
        return Outcome.NO_MATCH, cands
    tier = [(rank(i)[0], rank(i)[2]) for i in ranked[:2]]
    unique = len(ranked) == 1 or tier[1] > tier[0]
    return (Outcome.MATCHED if unique else Outcome.AMBIGUOUS), cands


def backends() -> list[solver.Backend]:
    return [PY, solver.rust_backend()] if HAS_RUST else [PY]


@FAST
@given(items=items_with_credits(11), payment=st.integers(1, 150), k=st.integers(1, 11), tol=tolerances)
def test_every_backend_nets_credits_like_the_oracle(
    items: list[OpenItem], payment: int, k: int, tol: int
) -> None:
    lim = Limits(k, tol, 10**9, 10**6)
    outcome, cands = oracle(items, payment, lim)
    for b in backends():
        s = b.solve_one_to_many(items, payment, lim)
        assert (s.outcome, list(s.candidates), s.candidate_count) == (outcome, cands, len(cands))


@FAST
@given(items=items_with_credits(16, 40, 30), payment=st.integers(1, 100), k=st.integers(3, 5), tol=tolerances)
def test_ksum_kernels_net_credits_up_to_sixteen_items(
    items: list[OpenItem], payment: int, k: int, tol: int
) -> None:
    lim = Limits(k, tol, 10**9, 10**6)
    outcome, cands = oracle(items, payment, lim)
    for b in backends():
        s = b.solve_one_to_many(items, payment, lim)
        assert (s.outcome, list(s.candidates)) == (outcome, cands)


@FAST
@given(
    items=items_with_credits(10),
    payment=st.integers(1, 150),
    k=st.integers(1, 10),
    tol=tolerances,
    algorithm=st.sampled_from([a for a in solver.ALGORITHMS if a != "subset_dp"]),
)
def test_every_python_kernel_nets_credits_like_the_oracle(
    items: list[OpenItem], payment: int, k: int, tol: int, algorithm: str
) -> None:
    lim = Limits(k, tol, 10**9, 10**6)
    k = min(k, len(items))
    if (algorithm == "two_pointer" and k > 2) or (algorithm == "ksum_mitm" and not 3 <= k <= 5):
        return
    outcome, cands = oracle(items, payment, lim)
    s = solver_py.solve_one_to_many(items, payment, lim, algorithm=algorithm)
    assert (s.outcome, list(s.candidates)) == (outcome, cands)


@needs_rust
@FAST
@given(
    items=items_with_credits(14),
    payment=st.integers(1, 250),
    k=st.integers(1, 14),
    tol=tolerances,
    budget=st.sampled_from([0, 30, 400, 5_000, 5_000_000]),
    max_candidates=st.integers(0, 12),
)
def test_rust_and_python_agree_on_credits_including_budget_exhaustion(
    items: list[OpenItem], payment: int, k: int, tol: int, budget: int, max_candidates: int
) -> None:
    lim = Limits(k, tol, budget, max_candidates)
    assert solver.rust_backend().solve_one_to_many(items, payment, lim) == PY.solve_one_to_many(
        items, payment, lim
    )


@needs_rust
@settings(max_examples=50, deadline=None)
@given(
    amounts=st.lists(st.one_of(st.integers(2, 400), st.integers(-150, -1)), min_size=42, max_size=50),
    payment=st.integers(1, 900),
    max_items=st.integers(6, 12),
    tol=tolerances,
    budget=st.integers(0, 20_000),
)
def test_branch_and_bound_nets_credits_alike_in_both_backends(
    amounts: list[int], payment: int, max_items: int, tol: int, budget: int
) -> None:
    # 42+ items and k > 5: half tables too large and, with credits, no subset_dp, so both
    # backends take branch_and_bound; the small budgets stop it at every depth.
    items = [OpenItem(a) for a in amounts]
    lim = Limits(max_items, tol, budget, 10)
    rust = solver.rust_backend().solve_one_to_many(items, payment, lim)
    assert rust.algorithm == "branch_and_bound" or not solver_py.has_credits(items)
    assert rust == PY.solve_one_to_many(items, payment, lim)


@needs_rust
@FAST
@given(
    items=items_with_credits(13, 120),
    payments=st.lists(st.integers(1, 300), min_size=solver_py.SHARED_MIN_PAYMENTS, max_size=20),
    k=st.integers(4, 5),
    tol=tolerances,
)
def test_multi_with_credits_equals_separate_calls(
    items: list[OpenItem], payments: list[int], k: int, tol: int
) -> None:
    # Enough payments for the shared triple table, whose packed keys are unsigned: with
    # credits the calls take the default path, each equal to a separate call.
    assume(solver_py.has_credits(items))
    lim = Limits(k, tol, 10**9, 10)
    want = tuple(PY.solve_one_to_many(items, p, lim) for p in payments)
    assert PY.solve_one_to_many_multi(items, payments, lim) == want
    assert solver.rust_backend().solve_one_to_many_multi(items, payments, lim) == want


@needs_rust
@settings(max_examples=40, deadline=None)
@given(
    problems=st.lists(st.tuples(items_with_credits(9), st.integers(1, 150)), max_size=8),
    k=st.integers(1, 6),
    tol=tolerances,
    threads=st.integers(1, 3),
)
def test_rust_batch_with_credits_equals_python_batch(
    problems: list[tuple[list[OpenItem], int]], k: int, tol: int, threads: int
) -> None:
    batch = BatchProblem.from_problems(problems, Limits(k, tol, 10**6, 10))
    want: list[Solution] = PY.solve_batch(batch).solutions()
    assert solver._rust_batch(batch, threads).solutions() == want


def test_a_credit_memo_nets_an_invoice_to_the_payment() -> None:
    # Two invoices and a credit memo: 100 + 80 - 30 = 150 is the only set paying 150.
    items = [OpenItem(100), OpenItem(80), OpenItem(-30), OpenItem(45)]
    for b in backends():
        s = b.solve_one_to_many(items, 150, Limits(max_items=3))
        assert s.outcome == Outcome.MATCHED
        assert s.candidates[0].item_indices == (0, 1, 2) and s.candidates[0].total_minor == 150


BAD_CREDITS = [
    ([OpenItem(5), OpenItem(0)], r"^items\[1\]\.amount_minor must not be 0$"),
    ([OpenItem(-5, 3)], r"^items\[0\]\.discounted_minor must be absent on a credit"),
    ([OpenItem(-(2**62)), OpenItem(-(2**62))], r"^overflow: sum of \|amount_minor\|"),
]


@pytest.mark.parametrize(("items", "message"), BAD_CREDITS)
def test_bad_credits_are_refused_alike(items: list[OpenItem], message: str) -> None:
    for b in backends():
        with pytest.raises(ValueError, match=message):
            b.solve_one_to_many(items, 10, Limits())
        with pytest.raises(ValueError, match=message):
            b.solve_one_to_many_multi(items, [10, 20], Limits())


def test_many_to_many_and_forced_subset_dp_refuse_credits() -> None:
    items = [OpenItem(50), OpenItem(-20)]
    for b in backends():
        with pytest.raises(ValueError, match=r"^items\[1\]\.amount_minor must be > 0$"):
            b.solve_many_to_many(items, [30], ManyLimits())
    with pytest.raises(ValueError, match="subset_dp cannot serve credits"):
        solver_py.solve_one_to_many(items, 30, Limits(max_items=8), algorithm="subset_dp")


# --- sorted_bounds: one payment's sets of 4 and 5 on amounts spread over six decades ---


@st.composite
def wide_items(draw: st.DrawFn, max_n: int) -> list[OpenItem]:
    # Small and huge amounts mixed (the span rule needs largest >= 2^20 x smallest), with
    # duplicates and discounts so sets collide, and payments built from a few of them.
    scales = [1, 7, 2**10, 2**21, 2**21 + 3, 2**30]
    out = [OpenItem(1), OpenItem(2**21)]
    for _ in range(draw(st.integers(0, max_n - 2))):
        amount = draw(st.sampled_from(scales)) * draw(st.integers(1, 4)) + draw(st.integers(0, 2))
        discounted = draw(st.one_of(st.none(), st.integers(1, amount)))
        out.append(OpenItem(amount, discounted if discounted is not None and discounted < amount else None))
    return out


@FAST
@given(items=wide_items(12), picks=st.lists(st.integers(0, 11), min_size=1, max_size=5), k=st.integers(4, 5))
def test_sorted_bounds_equals_the_oracle(items: list[OpenItem], picks: list[int], k: int) -> None:
    payment = sum(items[i % len(items)].amount_minor for i in set(picks))
    lim = Limits(k, 2, 10**9, 10**6)
    assert Engine(items, k, 2, "ksum_mitm", False, Budget(10**9)).bounded  # the kernel under test
    outcome, cands = oracle(items, payment, lim)
    for b in backends():
        s = b.solve_one_to_many(items, payment, lim)
        assert (s.outcome, list(s.candidates), s.candidate_count) == (outcome, cands, len(cands))


@needs_rust
@FAST
@given(
    items=wide_items(60),
    picks=st.lists(st.integers(0, 59), min_size=1, max_size=6),
    k=st.integers(4, 5),
    budget=st.sampled_from([0, 50, 600, 5_000, 5_000_000]),
)
def test_sorted_bounds_agrees_in_both_backends_including_budget_exhaustion(
    items: list[OpenItem], picks: list[int], k: int, budget: int
) -> None:
    payment = sum(items[i % len(items)].amount_minor for i in set(picks))
    lim = Limits(k, 0, budget, 10)
    rust = solver.rust_backend().solve_one_to_many(items, payment, lim)
    assert rust == PY.solve_one_to_many(items, payment, lim)
