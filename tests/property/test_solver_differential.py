"""Rust and Python agree bit for bit, and both equal a brute-force oracle."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from itertools import combinations, product

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.matching import solver, solver_py
from engine.matching.kernels.engine import Budget, Engine
from engine.matching.kernels.ksum_mitm import top_first
from engine.matching.solver import (
    BatchProblem,
    Candidate,
    CountLimits,
    Group,
    Limits,
    ManyLimits,
    OpenItem,
    OpenItems,
    Outcome,
    Solution,
)

HAS_RUST = importlib.util.find_spec("cashapp_matcher") is not None
needs_rust = pytest.mark.skipif(not HAS_RUST, reason="cashapp-matcher (the Rust extension) not installed")
PY = solver.python_backend()
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def open_items(draw: st.DrawFn, max_n: int, max_amount: int = 60) -> list[OpenItem]:
    # Few distinct amounts so duplicates, near-ties and many candidates are common.
    n = draw(st.integers(0, max_n))
    out = []
    for _ in range(n):
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


tolerances = st.one_of(st.just(0), st.integers(0, 3), st.integers(0, 80))


@st.composite
def plain_items(draw: st.DrawFn, min_n: int, max_n: int, max_amount: int = 30) -> list[OpenItem]:
    # No discounts (subset_dp's domain); small amounts give duplicates and near-ties.
    return [
        OpenItem(
            draw(st.integers(1, max_amount)),
            due_ordinal=draw(st.integers(0, 4)),
            reference_score=draw(st.sampled_from([0, 0, 40, 100])),
        )
        for _ in range(draw(st.integers(min_n, max_n)))
    ]


# With 12 or more plain items, k > 5 and payment + tolerance <= 330, the rule picks
# subset_dp: its table counts at most (n + 1) * 6 nodes, the half tables hold >= 128.
dp_payments = st.integers(1, 250)
dp_budgets = st.sampled_from([0, 1, 7, 60, 400, 5_000, 5_000_000])


@st.composite
def limits(draw: st.DrawFn, max_k: int = 9) -> Limits:
    return Limits(
        max_items=draw(st.integers(1, max_k)),
        tolerance_minor=draw(tolerances),
        node_budget=draw(st.sampled_from([0, 30, 400, 5_000, 5_000_000])),
        max_candidates=draw(st.integers(0, 12)),
    )


def oracle(items: list[OpenItem], payment: int, lim: Limits) -> tuple[Outcome, list[Candidate]]:
    """Straight from the definition with itertools; no shared code with the solvers."""
    best: dict[tuple[int, ...], tuple[int, int, tuple[bool, ...], int]] = {}
    for size in range(1, min(lim.max_items, len(items)) + 1):
        for idx in combinations(range(len(items)), size):
            choices = [[False, True] if items[i].discounted_minor else [False] for i in idx]
            for flags in product(*choices):
                total = sum(
                    items[i].discounted_minor or 0 if f else items[i].amount_minor
                    for i, f in zip(idx, flags, strict=True)
                )
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
@given(items=open_items(12), payment=st.integers(1, 200), lim=limits())
def test_every_backend_equals_the_bruteforce_oracle(items: list[OpenItem], payment: int, lim: Limits) -> None:
    lim = Limits(lim.max_items, lim.tolerance_minor, 10**9, 10**6)
    outcome, cands = oracle(items, payment, lim)
    for b in backends():
        s = b.solve_one_to_many(items, payment, lim)
        assert (s.outcome, list(s.candidates), s.candidate_count) == (outcome, cands, len(cands))


@FAST
@given(items=open_items(16, 40), payment=st.integers(1, 120), lim=limits(max_k=5))
def test_ksum_kernels_equal_the_oracle_up_to_sixteen_items(
    items: list[OpenItem], payment: int, lim: Limits
) -> None:
    lim = Limits(lim.max_items, lim.tolerance_minor, 10**9, 10**6)
    outcome, cands = oracle(items, payment, lim)
    for b in backends():
        s = b.solve_one_to_many(items, payment, lim)
        assert (s.outcome, list(s.candidates)) == (outcome, cands)


@needs_rust
@FAST
@given(items=open_items(14), payment=st.integers(1, 250), lim=limits(max_k=14))
def test_rust_and_python_agree_including_budget_exhaustion(
    items: list[OpenItem], payment: int, lim: Limits
) -> None:
    rust = solver.rust_backend().solve_one_to_many(items, payment, lim)
    assert rust == PY.solve_one_to_many(items, payment, lim)


def _verdict(s: Solution) -> tuple[Outcome, tuple[Candidate, ...], int]:
    return s.outcome, s.candidates, s.candidate_count


@FAST
@given(
    items=open_items(13, 120),
    payments=st.lists(st.integers(1, 450), min_size=solver_py.SHARED_MIN_PAYMENTS, max_size=22),
    k=st.integers(4, 5),
    tol=tolerances,
    budget=st.sampled_from([0, 300, 2_000, 6_000, 5_000_000]),
    max_candidates=st.integers(0, 6),
)
def test_multi_with_shared_triples_equals_separate_calls(
    items: list[OpenItem], payments: list[int], k: int, tol: int, budget: int, max_candidates: int
) -> None:
    lim = Limits(k, tol, budget, max_candidates)
    shared = solver_py._use_shared_triples(items, k, len(payments))
    got = PY.solve_one_to_many_multi(items, payments, lim)
    if HAS_RUST:
        assert solver.rust_backend().solve_one_to_many_multi(items, payments, lim) == got
    for s, p in zip(got, payments, strict=True):
        want = PY.solve_one_to_many(items, p, lim)
        if s.algorithm != solver_py.SHARED_TRIPLES:
            assert s == want
            continue
        assert shared
        assert s.outcome != Outcome.BUDGET_EXHAUSTED and s.nodes <= budget
        if want.outcome == Outcome.BUDGET_EXHAUSTED:
            want = PY.solve_one_to_many(items, p, Limits(k, tol, 10**12, max_candidates))
        assert _verdict(s) == _verdict(want)


@FAST
@given(
    items=open_items(10, 80),
    payments=st.lists(st.integers(1, 300), min_size=solver_py.SHARED_MIN_PAYMENTS, max_size=18),
    k=st.integers(4, 5),
    tol=tolerances,
)
def test_shared_triples_equals_the_oracle(
    items: list[OpenItem], payments: list[int], k: int, tol: int
) -> None:
    lim = Limits(k, tol, 10**9, 10**6)
    for b in backends():
        for s, p in zip(b.solve_one_to_many_multi(items, payments, lim), payments, strict=True):
            outcome, cands = oracle(items, p, lim)
            assert (s.outcome, list(s.candidates), s.candidate_count) == (outcome, cands, len(cands))


@needs_rust
@FAST
@given(items=open_items(14), payments=st.lists(st.integers(1, 250), max_size=5), lim=limits(max_k=14))
def test_multi_equals_separate_calls_in_both_backends(
    items: list[OpenItem], payments: list[int], lim: Limits
) -> None:
    want = tuple(PY.solve_one_to_many(items, p, lim) for p in payments)
    assert PY.solve_one_to_many_multi(items, payments, lim) == want
    assert solver.rust_backend().solve_one_to_many_multi(items, payments, lim) == want


@needs_rust
@FAST
@given(
    items=open_items(8),
    payments=st.lists(st.integers(1, 120), max_size=4),
    max_payments=st.integers(1, 3),
    lim=limits(max_k=6),
)
def test_rust_and_python_agree_on_many_to_many(
    items: list[OpenItem], payments: list[int], max_payments: int, lim: Limits
) -> None:
    many = ManyLimits(max_payments, lim.max_items, lim.tolerance_minor, lim.node_budget, lim.max_candidates)
    rust = solver.rust_backend().solve_many_to_many(items, payments, many)
    assert rust == PY.solve_many_to_many(items, payments, many)


@needs_rust
@settings(max_examples=40, deadline=None)
@given(
    problems=st.lists(st.tuples(open_items(9), st.integers(1, 150)), max_size=8),
    lim=limits(max_k=6),
    threads=st.integers(1, 4),
)
def test_rust_batch_equals_python_batch_for_any_thread_count(
    problems: list[tuple[list[OpenItem], int]], lim: Limits, threads: int
) -> None:
    batch = BatchProblem.from_problems(problems, lim)
    want: list[Solution] = PY.solve_batch(batch).solutions()
    assert solver._rust_batch(batch, threads).solutions() == want


BIG = 2**62


@needs_rust
@FAST
@given(
    amounts=st.lists(st.integers(BIG // 2, 2**63 - 1), min_size=1, max_size=3),
    payment=st.integers(1, 2**63 - 1),
)
def test_amounts_near_int64_limits_are_refused_identically(amounts: list[int], payment: int) -> None:
    items = [OpenItem(a) for a in amounts]
    errors = []
    for b in backends():
        try:
            b.solve_one_to_many(items, payment, Limits())
            errors.append("")
        except ValueError as exc:
            errors.append(str(exc))
    assert len(set(errors)) == 1
    if sum(amounts) + payment > 2**63 - 1:
        assert errors[0].startswith("overflow")


@FAST
@given(
    items=open_items(10),
    payment=st.integers(1, 200),
    lim=limits(),
    algorithm=st.sampled_from(solver.ALGORITHMS),
)
def test_every_python_kernel_equals_the_oracle(
    items: list[OpenItem], payment: int, lim: Limits, algorithm: str
) -> None:
    lim = Limits(lim.max_items, lim.tolerance_minor, 10**9, 10**6)
    k = min(lim.max_items, len(items))
    if (algorithm == "two_pointer" and k > 2) or (algorithm == "ksum_mitm" and not 3 <= k <= 5):
        return
    if algorithm == "subset_dp" and any(it.discounted_minor is not None for it in items):
        return
    outcome, cands = oracle(items, payment, lim)
    s = solver_py.solve_one_to_many(items, payment, lim, algorithm=algorithm)
    assert (s.outcome, list(s.candidates)) == (outcome, cands)


@needs_rust
@settings(max_examples=60, deadline=None)
@given(
    amounts=st.lists(st.integers(2, 400), min_size=42, max_size=50),
    payment=st.integers(1, 900),
    max_items=st.integers(6, 12),
    tol=tolerances,
    budget=st.integers(0, 20_000),
)
def test_rust_and_python_branch_and_bound_agree_on_large_instances(
    amounts: list[int], payment: int, max_items: int, tol: int, budget: int
) -> None:
    # Item 0 always has a discount: subset_dp (no discounts) would otherwise take over.
    items = [OpenItem(a, a - 1 if i == 0 or a % 3 == 0 else None) for i, a in enumerate(amounts)]
    lim = Limits(max_items, tol, budget, 10)
    rust = solver.rust_backend().solve_one_to_many(items, payment, lim)
    assert rust.algorithm == "branch_and_bound"
    assert rust == PY.solve_one_to_many(items, payment, lim)


def many_oracle(items: list[OpenItem], payments: list[int], lim: ManyLimits) -> tuple[Outcome, list[Group]]:
    """Many-to-many from its definition: every payment subset, every item subset."""
    groups: list[tuple[tuple[object, ...], Group]] = []
    one = Limits(lim.max_items, lim.tolerance_minor, 10**9, 10**6)
    for size in range(1, min(lim.max_payments, len(payments)) + 1):
        for pay_idx in combinations(range(len(payments)), size):
            _outcome, cands = oracle(items, sum(payments[j] for j in pay_idx), one)
            for c in cands:
                r = c.residual_minor
                dues = [items[i].due_ordinal for i in c.item_indices]
                ref = sum(items[i].reference_score for i in c.item_indices)
                key = (r != 0, abs(r), -ref, size + len(c.item_indices), max(dues) - min(dues))
                key += (sum(dues), pay_idx, c.item_indices)
                groups.append((key, Group(pay_idx, c.item_indices, c.discounted, r)))
    groups.sort(key=lambda g: g[0])
    if not groups:
        return Outcome.NO_MATCH, []
    unique = len(groups) == 1 or (groups[1][0][0], groups[1][0][2]) > (
        groups[0][0][0],
        groups[0][0][2],
    )
    return (Outcome.MATCHED if unique else Outcome.AMBIGUOUS), [g[1] for g in groups]


@FAST
@given(
    items=open_items(7),
    payments=st.lists(st.integers(1, 120), max_size=4),
    max_payments=st.integers(1, 3),
    lim=limits(max_k=7),
)
def test_many_to_many_equals_its_oracle(
    items: list[OpenItem], payments: list[int], max_payments: int, lim: Limits
) -> None:
    many = ManyLimits(max_payments, lim.max_items, lim.tolerance_minor, 10**9, 10**6)
    outcome, groups = many_oracle(items, payments, many)
    for b in backends():
        s = b.solve_many_to_many(items, payments, many)
        assert (s.outcome, list(s.groups), s.group_count) == (outcome, groups, len(groups))


# --- k-sum kernels: both decompositions, bounds at the window edges, wide amounts ------

# (items as (amount, discounted), payment, k, tolerance, whether top_first holds): each
# kernel for 3, 4 and 5 items both ways, discounted items mixed with plain ones.
KSUM_DIRECTION_CASES = [
    ([(32, None), (82, None), (154, None), (44, None), (54, 51), (43, None), (55, 52)], 231, 3, 5, True),
    (
        [
            (51, None),
            (56, None),
            (54, None),
            (58, 55),
            (53, 50),
            (54, None),
            (57, 56),
            (57, None),
            (49, None),
        ],
        161,
        3,
        0,
        False,
    ),
    ([(40, None), (48, None), (55, None), (59, 57), (52, 51), (53, None), (52, 49)], 168, 4, 5, True),
    (
        [(46, None), (48, None), (44, None), (45, 44), (59, 57), (41, 39), (48, None), (45, None), (41, 39)],
        176,
        4,
        1,
        False,
    ),
    (
        [
            (60, 58),
            (53, None),
            (49, None),
            (53, None),
            (58, None),
            (53, None),
            (41, None),
            (53, 50),
            (44, None),
        ],
        268,
        5,
        5,
        True,
    ),
    (
        [
            (373, 371),
            (909, 906),
            (12, None),
            (24, None),
            (11, 10),
            (74, 73),
            (48, None),
            (13, None),
            (124, None),
        ],
        122,
        5,
        0,
        False,
    ),
]


def _top_first_holds(items: list[OpenItem], payment: int, k: int, tol: int) -> bool:
    eng = Engine(solver_py._plain_items(items), k, tol, "ksum_mitm", False, Budget(10**9))
    rows = eng.values if k == 3 else eng.pair_values
    return top_first(k, eng.values, rows, payment - tol, payment + tol, eng.top2)


@pytest.mark.parametrize(("pairs", "payment", "k", "tol", "top"), KSUM_DIRECTION_CASES)
def test_each_ksum_kernel_both_ways_equals_the_oracle_and_stops_at_the_same_node(
    pairs: list[tuple[int, int | None]], payment: int, k: int, tol: int, top: bool
) -> None:
    items = [OpenItem(a, d) for a, d in pairs]
    assert _top_first_holds(items, payment, k, tol) is top
    full = Limits(k, tol, 10**9, 10**6)
    outcome, cands = oracle(items, payment, full)
    for b in backends():
        s = b.solve_one_to_many(items, payment, full)
        assert (s.outcome, list(s.candidates), s.candidate_count) == (outcome, cands, len(cands))
    if HAS_RUST:
        # Every exhaustion point: the node counters and the sets found so far agree.
        nodes = PY.solve_one_to_many(items, payment, full).nodes
        for budget in range(nodes + 1):
            lim = Limits(k, tol, budget, 4)
            assert solver.rust_backend().solve_one_to_many(items, payment, lim) == PY.solve_one_to_many(
                items, payment, lim
            )


@st.composite
def ksum_instances(draw: st.DrawFn) -> tuple[list[OpenItem], int, Limits]:
    """Skewed or flat amounts (so both decompositions run), duplicates, discounted items
    mixed with plain ones, and a payment that puts a planted set on the window's edge."""
    n = draw(st.integers(3, 13))
    if draw(st.booleans()):
        pool = st.sampled_from([1, 2, 3, 5, 8, 13, 30, 70, 150, 400, 900])
    else:
        pool = st.integers(40, 48)
    items = []
    for _ in range(n):
        amount = draw(pool)
        cut = draw(st.one_of(st.none(), st.integers(1, 3)))
        items.append(OpenItem(amount, amount - cut if cut is not None and cut < amount else None))
    k = draw(st.integers(3, 5))
    tol = draw(st.sampled_from([0, 0, 1, 4, 60]))
    planted = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=k, unique=True))
    payment = sum(items[i].amount_minor for i in planted) + draw(st.sampled_from([-tol, 0, tol, tol + 1]))
    budget = draw(st.sampled_from([0, 40, 300, 2_000, 5_000_000]))
    return items, max(payment, 1), Limits(k, tol, budget, draw(st.integers(0, 6)))


@FAST
@given(case=ksum_instances())
def test_ksum_kernels_equal_the_oracle_on_skewed_and_flat_amounts(
    case: tuple[list[OpenItem], int, Limits],
) -> None:
    items, payment, lim = case
    if HAS_RUST:
        assert solver.rust_backend().solve_one_to_many(items, payment, lim) == PY.solve_one_to_many(
            items, payment, lim
        )
    full = Limits(lim.max_items, lim.tolerance_minor, 10**9, 10**6)
    outcome, cands = oracle(items, payment, full)
    for b in backends():
        s = b.solve_one_to_many(items, payment, full)
        assert (s.outcome, list(s.candidates), s.candidate_count) == (outcome, cands, len(cands))


@needs_rust
@FAST
@given(
    items=plain_items(12, 20),
    payment=dp_payments,
    max_items=st.integers(6, 22),
    tol=tolerances,
    budget=dp_budgets,
    max_candidates=st.integers(0, 12),
)
def test_rust_and_python_agree_on_subset_dp_including_budget_exhaustion(
    items: list[OpenItem], payment: int, max_items: int, tol: int, budget: int, max_candidates: int
) -> None:
    lim = Limits(max_items, tol, budget, max_candidates)
    rust = solver.rust_backend().solve_one_to_many(items, payment, lim)
    assert rust.algorithm == "subset_dp"
    assert rust == PY.solve_one_to_many(items, payment, lim)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=plain_items(12, 16), payment=dp_payments, max_items=st.integers(6, 16), tol=tolerances)
def test_subset_dp_equals_the_oracle_up_to_sixteen_items(
    items: list[OpenItem], payment: int, max_items: int, tol: int
) -> None:
    lim = Limits(max_items, tol, 10**9, 10**6)
    outcome, cands = oracle(items, payment, lim)
    for b in backends():
        s = b.solve_one_to_many(items, payment, lim)
        assert s.algorithm == "subset_dp"
        assert (s.outcome, list(s.candidates), s.candidate_count) == (outcome, cands, len(cands))


@FAST
@given(
    offsets=st.lists(st.integers(0, 40), min_size=3, max_size=8),
    huge=st.booleans(),
    k=st.integers(3, 5),
    tol=st.sampled_from([0, 3, 2**40]),
    shift=st.integers(-3, 3),
)
def test_ksum_kernels_handle_amounts_near_the_int64_limit(
    offsets: list[int], huge: bool, k: int, tol: int, shift: int
) -> None:
    # Amounts near 2**59 (sums of up to eight near the int64 limit), or small amounts and
    # one item so large that its two amounts together exceed int64 (bounds that add them
    # must not wrap).
    base = 2**59 if not huge else 2**20
    items = [OpenItem(base + o, base + o - 2 if o % 3 == 0 else None) for o in offsets]
    if huge:
        big = 2**62 + 2**61
        items.append(OpenItem(big, big - 5))
    payment = sum(it.amount_minor for it in items[:3]) + shift
    lim = Limits(k, tol, 10**9, 10**6)
    outcome, cands = oracle(items, payment, lim)
    for b in backends():
        s = b.solve_one_to_many(items, payment, lim)
        assert (s.outcome, list(s.candidates), s.candidate_count) == (outcome, cands, len(cands))
    if HAS_RUST:
        assert solver.rust_backend().solve_one_to_many(items, payment, lim) == PY.solve_one_to_many(
            items, payment, lim
        )


@FAST
@given(
    items=plain_items(0, 10, 60),
    payment=st.integers(1, 200),
    lim=limits(max_k=11),
)
def test_forced_subset_dp_equals_the_oracle_for_any_k(
    items: list[OpenItem], payment: int, lim: Limits
) -> None:
    outcome, cands = oracle(items, payment, lim)
    big = Limits(lim.max_items, lim.tolerance_minor, 10**9, 10**6)
    s = solver_py.solve_one_to_many(items, payment, big, algorithm="subset_dp")
    assert (s.outcome, list(s.candidates), s.candidate_count) == (outcome, cands, len(cands))
    # Truncation and the outcome rule as the hashing kernels apply them.
    s = solver_py.solve_one_to_many(items, payment, lim, algorithm="subset_dp")
    want = solver_py.solve_one_to_many(items, payment, lim, algorithm="branch_and_bound")
    if Outcome.BUDGET_EXHAUSTED not in (s.outcome, want.outcome):
        assert _verdict(s) == _verdict(want)


def test_forcing_subset_dp_on_discounted_items_is_refused() -> None:
    with pytest.raises(ValueError, match="subset_dp cannot serve items with a discounted amount"):
        solver_py.solve_one_to_many([OpenItem(5, 4)], 5, Limits(), algorithm="subset_dp")


@FAST
@given(
    items=plain_items(12, 18),
    payments=st.lists(st.integers(1, 400), max_size=5),
    max_items=st.integers(6, 18),
    tol=tolerances,
    budget=dp_budgets,
)
def test_multi_with_subset_dp_equals_separate_calls(
    items: list[OpenItem], payments: list[int], max_items: int, tol: int, budget: int
) -> None:
    lim = Limits(max_items, tol, budget, 3)
    want = tuple(PY.solve_one_to_many(items, p, lim) for p in payments)
    assert PY.solve_one_to_many_multi(items, payments, lim) == want
    if HAS_RUST:
        assert solver.rust_backend().solve_one_to_many_multi(items, payments, lim) == want


count_limits = st.builds(
    CountLimits,
    max_bits=st.sampled_from([1, 64, 200, 1 << 28]),
    max_witness_bits=st.sampled_from([0, 500, 4_000, 1 << 29]),
)


@needs_rust
@FAST
@given(
    items=st.one_of(open_items(14), open_items(40, 600)),
    payments=st.lists(st.integers(1, 3_000), max_size=5),
    tol=tolerances,
    lim=count_limits,
)
def test_rust_and_python_agree_on_subset_counts(
    items: list[OpenItem], payments: list[int], tol: int, lim: CountLimits
) -> None:
    rust = solver.rust_backend()
    for p in payments:
        assert rust.count_subsets(items, p, tol, lim) == PY.count_subsets(items, p, tol, lim)
    want = PY.count_subsets_multi(items, payments, tol, lim)
    assert rust.count_subsets_multi(items, payments, tol, lim) == want
    assert rust.count_subsets_multi(OpenItems.from_items(items), payments, tol, lim) == want


# Memory limits from "nothing fits" through "some tables fit, few candidates" to the default.
memory_limits = st.sampled_from([0, 100, 700, 2_000, 6_000, 20_000, 200_000, 64 << 20])


def _at_default_memory(lim: Limits | ManyLimits) -> Limits | ManyLimits:
    return replace(lim, memory_limit_bytes=Limits().memory_limit_bytes)


@needs_rust
@FAST
@given(items=open_items(14), payment=st.integers(1, 250), lim=limits(max_k=14), memory=memory_limits)
def test_rust_and_python_agree_at_any_memory_limit(
    items: list[OpenItem], payment: int, lim: Limits, memory: int
) -> None:
    lim = replace(lim, memory_limit_bytes=memory)
    rust = solver.rust_backend().solve_one_to_many(items, payment, lim)
    assert rust == PY.solve_one_to_many(items, payment, lim)
    # A limit that refuses nothing changes nothing.
    if rust.outcome is not Outcome.MEMORY_LIMIT:
        assert rust == solver.rust_backend().solve_one_to_many(items, payment, _at_default_memory(lim))


@needs_rust
@FAST
@given(
    items=open_items(14),
    payments=st.lists(st.integers(1, 250), max_size=18),
    lim=limits(max_k=5),
    memory=memory_limits,
)
def test_multi_and_many_agree_at_any_memory_limit(
    items: list[OpenItem], payments: list[int], lim: Limits, memory: int
) -> None:
    lim = replace(lim, memory_limit_bytes=memory)
    rust = solver.rust_backend().solve_one_to_many_multi(items, payments, lim)
    assert rust == PY.solve_one_to_many_multi(items, payments, lim)
    many = ManyLimits(2, lim.max_items, lim.tolerance_minor, lim.node_budget, lim.max_candidates, memory)
    got = solver.rust_backend().solve_many_to_many(items, payments[:4], many)
    assert got == PY.solve_many_to_many(items, payments[:4], many)
    if got.outcome is not Outcome.MEMORY_LIMIT:
        assert got == PY.solve_many_to_many(items, payments[:4], _at_default_memory(many))
