"""Behaviour of the public solver API, run on every available implementation."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from engine.matching import solver
from engine.matching.solver import (
    Backend,
    BatchProblem,
    Limits,
    ManyLimits,
    OpenItem,
    Outcome,
)

HAS_RUST = importlib.util.find_spec("cashapp_matcher") is not None
needs_rust = pytest.mark.skipif(not HAS_RUST, reason="cashapp-matcher (the Rust extension) not installed")

BACKENDS = [
    pytest.param("python", id="python"),
    pytest.param("rust", id="rust", marks=needs_rust),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "rust":
        return solver.rust_backend()
    return solver.python_backend()


def items_of(*amounts: int) -> list[OpenItem]:
    return [OpenItem(a) for a in amounts]


def test_single_exact_invoice_is_matched(backend: Backend) -> None:
    s = backend.solve_one_to_many(items_of(100, 250, 75), 250, Limits())
    assert s.outcome is Outcome.MATCHED
    assert s.candidates[0].item_indices == (1,)
    assert s.candidates[0].residual_minor == 0


def test_two_equal_explanations_are_ambiguous_never_matched(backend: Backend) -> None:
    s = backend.solve_one_to_many(items_of(100, 60, 40), 100, Limits())
    assert s.outcome is Outcome.AMBIGUOUS
    assert s.candidate_count == 2


def test_reference_evidence_breaks_an_amount_tie(backend: Backend) -> None:
    items = [OpenItem(100), OpenItem(100, reference_score=80)]
    s = backend.solve_one_to_many(items, 100, Limits())
    assert s.outcome is Outcome.MATCHED
    assert s.candidates[0].item_indices == (1,)


def test_exact_candidate_beats_inexact_one_within_tolerance(backend: Backend) -> None:
    s = backend.solve_one_to_many(items_of(100, 99), 100, Limits(tolerance_minor=5))
    assert s.outcome is Outcome.MATCHED
    assert [c.residual_minor for c in s.candidates] == [0, 1]


def test_short_pay_residual_is_negative(backend: Backend) -> None:
    s = backend.solve_one_to_many(items_of(100), 97, Limits(tolerance_minor=3))
    assert s.candidates[0].residual_minor == -3
    assert s.candidates[0].total_minor == 100


def test_discount_is_taken_only_when_it_explains_the_payment(backend: Backend) -> None:
    items = [OpenItem(100, discounted_minor=98), OpenItem(50, discounted_minor=49)]
    s = backend.solve_one_to_many(items, 148, Limits())
    assert s.candidates[0].item_indices == (0, 1)
    assert s.candidates[0].discounted == (True, False)
    assert s.outcome is Outcome.MATCHED


def test_no_subset_gives_no_match(backend: Backend) -> None:
    s = backend.solve_one_to_many(items_of(100, 200), 150, Limits())
    assert s.outcome is Outcome.NO_MATCH
    assert s.candidates == ()


def test_empty_item_list_gives_no_match(backend: Backend) -> None:
    s = backend.solve_one_to_many([], 150, Limits())
    assert s.outcome is Outcome.NO_MATCH


def test_max_items_limits_the_set_size(backend: Backend) -> None:
    items = items_of(10, 20, 30, 40)
    assert backend.solve_one_to_many(items, 100, Limits(max_items=3)).outcome is Outcome.NO_MATCH
    assert backend.solve_one_to_many(items, 100, Limits(max_items=4)).outcome is Outcome.MATCHED


def test_budget_exhaustion_is_reported_never_a_silent_guess(backend: Backend) -> None:
    s = backend.solve_one_to_many(items_of(*range(1, 40)), 60, Limits(node_budget=1000))
    assert s.outcome is Outcome.BUDGET_EXHAUSTED
    assert s.nodes > 1000


def test_max_candidates_truncates_but_count_is_complete(backend: Backend) -> None:
    s = backend.solve_one_to_many(items_of(*([10] * 8)), 20, Limits(max_candidates=3))
    assert len(s.candidates) == 3
    assert s.candidate_count == 28


# With k > 5, subset_dp takes over where its table is small: always from branch_and_bound
# (n = 60, payment 7), from horowitz_sahni when the table counts fewer nodes than the half
# tables hold entries (n = 20, payment 7: 21 nodes against 2,048 entries), not with a large
# target (n = 20, payment 7,000: 21 * 110 nodes) or a table past DP_TABLE_LIMIT (n = 60,
# payment 300,000: 18.3 M cells).
@pytest.mark.parametrize(
    ("max_items", "n", "payment", "algorithm"),
    [(2, 10, 7, "two_pointer"), (5, 10, 7, "ksum_mitm"), (8, 20, 7, "subset_dp"),
     (8, 20, 7_000, "horowitz_sahni"), (8, 60, 7, "subset_dp"),
     (8, 60, 300_000, "branch_and_bound")],
)  # fmt: skip
def test_algorithm_rule_is_reported(
    backend: Backend, max_items: int, n: int, payment: int, algorithm: str
) -> None:
    items = items_of(*range(1, n + 1))
    s = backend.solve_one_to_many(items, payment, Limits(max_items=max_items))
    assert s.algorithm == algorithm


def test_a_discounted_item_keeps_subset_dp_out(backend: Backend) -> None:
    items = [*items_of(*range(1, 60)), OpenItem(60, discounted_minor=59)]
    s = backend.solve_one_to_many(items, 7, Limits(max_items=8))
    assert s.algorithm == "branch_and_bound"
    assert [c.item_indices for c in s.candidates[:2]] == [(6,), (0, 5)]


def count_sets(amounts: list[int], payment: int) -> int:
    """Item sets (any size) totalling exactly ``payment``: a counting DP, no solver code."""
    ways = [1] + [0] * payment
    for a in amounts:
        for s in range(payment, a - 1, -1):
            ways[s] += ways[s - a]
    return ways[payment]


def test_subset_dp_counts_every_set_and_ranks_the_best(backend: Backend) -> None:
    items = items_of(*range(1, 25))
    s = backend.solve_one_to_many(items, 60, Limits(max_items=24, max_candidates=3))
    assert s.algorithm == "subset_dp"
    assert s.candidate_count == count_sets(list(range(1, 25)), 60)
    # The fewest items (three: 13 + 23 + 24), then the smallest indices.
    assert [c.item_indices for c in s.candidates] == [(12, 22, 23), (13, 21, 23), (14, 20, 23)]
    assert s.outcome is Outcome.AMBIGUOUS


def test_subset_dp_budget_exhaustion_is_reported(backend: Backend) -> None:
    s = backend.solve_one_to_many(items_of(*range(1, 25)), 60, Limits(max_items=24, node_budget=100))
    assert s.outcome is Outcome.BUDGET_EXHAUSTED
    assert s.algorithm == "subset_dp"
    assert s.nodes == 101


def test_batch_reports_subset_dp(backend: Backend) -> None:
    problems = [(items_of(*range(1, 21)), 40), (items_of(*range(1, 21)), 7)]
    limits = Limits(max_items=20)
    batch = backend.solve_batch(BatchProblem.from_problems(problems, limits))
    singles = [backend.solve_one_to_many(i, p, limits) for i, p in problems]
    assert batch.solutions() == singles
    assert [s.algorithm for s in singles] == ["subset_dp", "subset_dp"]


@pytest.mark.parametrize(
    ("items", "payment", "limits", "field"),
    [
        ([OpenItem(0)], 5, Limits(), "items[0].amount_minor"),
        ([OpenItem(5, discounted_minor=5)], 5, Limits(), "items[0].discounted_minor"),
        ([OpenItem(5, discounted_minor=0)], 5, Limits(), "items[0].discounted_minor"),
        ([OpenItem(5, reference_score=101)], 5, Limits(), "items[0].reference_score"),
        ([OpenItem(5)], 0, Limits(), "payment_minor"),
        ([OpenItem(5)], 5, Limits(max_items=0), "limits.max_items"),
        ([OpenItem(5)], 5, Limits(tolerance_minor=-1), "limits.tolerance_minor"),
        ([OpenItem(5)], 5, Limits(node_budget=-1), "limits.node_budget"),
        ([OpenItem(5)], 5, Limits(max_candidates=-1), "limits.max_candidates"),
        ([OpenItem(2**62), OpenItem(2**62)], 5, Limits(), "overflow"),
        ([OpenItem(5)], 2**63 - 1, Limits(), "overflow"),
        ([OpenItem(2**63)], 5, Limits(), "overflow: items[0].amount_minor"),
        ([OpenItem(5)], 5, Limits(tolerance_minor=2**64), "overflow: limits.tolerance_minor"),
    ],
)
def test_invalid_input_raises_value_error_naming_the_field(
    backend: Backend, items: list[OpenItem], payment: int, limits: Limits, field: str
) -> None:
    with pytest.raises(ValueError, match=field.replace("[", r"\[").replace("]", r"\]")):
        backend.solve_one_to_many(items, payment, limits)


def test_two_payments_for_one_invoice_form_a_matched_group(backend: Backend) -> None:
    s = backend.solve_many_to_many(items_of(300, 70), [100, 200], ManyLimits())
    assert s.outcome is Outcome.MATCHED
    assert s.groups[0].payment_indices == (0, 1)
    assert s.groups[0].item_indices == (0,)


def test_many_to_many_refuses_bad_payment(backend: Backend) -> None:
    with pytest.raises(ValueError, match=r"payments_minor\[1\]"):
        backend.solve_many_to_many(items_of(10), [5, 0], ManyLimits())
    with pytest.raises(ValueError, match=r"limits\.max_payments"):
        backend.solve_many_to_many(items_of(10), [5], ManyLimits(max_payments=0))


def test_batch_matches_one_by_one_solving(backend: Backend) -> None:
    problems = [(items_of(100, 250, 75), 250), ([], 10), (items_of(10, 10), 10)]
    batch = backend.solve_batch(BatchProblem.from_problems(problems, Limits()))
    singles = [backend.solve_one_to_many(i, p, Limits()) for i, p in problems]
    assert batch.solutions() == singles
    assert batch.candidate_offsets.dtype == np.int64


def test_batch_names_the_first_invalid_problem(backend: Backend) -> None:
    problems = [(items_of(1), 1), (items_of(0), 1), (items_of(-1), 1)]
    with pytest.raises(ValueError, match=r"problem 1: items\[0\].amount_minor"):
        backend.solve_batch(BatchProblem.from_problems(problems))


def test_batch_refuses_inconsistent_offsets(backend: Backend) -> None:
    good = BatchProblem.from_problems([(items_of(1, 2), 3)])
    bad = BatchProblem(
        np.array([0, 3], dtype=np.int64), good.amounts_minor, good.discounted_minor,
        good.due_ordinal, good.reference_score, good.payments_minor,
    )  # fmt: skip
    with pytest.raises(ValueError, match="item_offsets"):
        backend.solve_batch(bad)


@needs_rust
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_rust_batch_is_identical_for_any_thread_count(threads: int) -> None:
    problems = [
        ([OpenItem(10 + (i * 37 + p) % 91, due_ordinal=i % 4) for i in range(12)], 150 + p) for p in range(40)
    ]
    batch = BatchProblem.from_problems(problems, Limits(tolerance_minor=2))
    reference = solver.python_backend().solve_batch(batch).solutions()
    got = solver.solve_batch(batch, num_threads=threads) if solver.backend_name() == "rust" else None
    rust = solver.rust_backend().solve_batch(batch).solutions()
    assert rust == reference
    if got is not None:
        assert got.solutions() == reference


# --- dispatcher -----------------------------------------------------------------------


def test_python_is_chosen_when_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASHAPP_MATCHER", "python")
    assert solver.backend_name() == "python"
    assert solver.solve_one_to_many(items_of(5), 5).outcome is Outcome.MATCHED


@needs_rust
def test_rust_is_chosen_when_forced_or_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASHAPP_MATCHER", "rust")
    assert solver.backend_name() == "rust"
    monkeypatch.setenv("CASHAPP_MATCHER", "auto")
    assert solver.backend_name() == "rust"
    monkeypatch.delenv("CASHAPP_MATCHER")
    assert solver.backend_name() == "rust"


def test_auto_falls_back_to_python_without_extension(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solver, "_RUST", None)
    monkeypatch.setenv("CASHAPP_MATCHER", "auto")
    assert solver.backend_name() == "python"


def test_forcing_rust_without_extension_raises_import_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(solver, "_RUST", None)
    monkeypatch.setenv("CASHAPP_MATCHER", "rust")
    with pytest.raises(ImportError, match="distribution cashapp-matcher"):
        solver.solve_one_to_many(items_of(5), 5)


def test_invalid_matcher_choice_raises_value_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CASHAPP_MATCHER", "fortran")
    with pytest.raises(ValueError, match="CASHAPP_MATCHER"):
        solver.backend_name()


def test_multi_equals_one_call_per_payment(backend: Backend) -> None:
    items = [OpenItem(100, 98), OpenItem(250), OpenItem(75), OpenItem(175), OpenItem(350, 340)]
    payments = [250, 175, 425, 1, 98, 600]
    for lim in (Limits(), Limits(max_items=2, tolerance_minor=3), Limits(node_budget=30, max_candidates=1)):
        got = backend.solve_one_to_many_multi(items, payments, lim)
        assert got == tuple(backend.solve_one_to_many(items, p, lim) for p in payments)
    assert backend.solve_one_to_many_multi(items, [], Limits()) == ()


def test_multi_uses_shared_triples_for_many_payments_at_k_4_and_5(backend: Backend) -> None:
    items = [OpenItem(100 + 37 * i, 90 + 37 * i if i % 3 == 0 else None, due_ordinal=i) for i in range(25)]
    payments = [500 + 61 * j for j in range(20)]
    for lim in (Limits(max_items=4, tolerance_minor=5), Limits(max_items=5)):
        got = backend.solve_one_to_many_multi(items, payments, lim)
        assert {s.algorithm for s in got} == {"ksum_shared_triples"}
        for s, p in zip(got, payments, strict=True):
            want = backend.solve_one_to_many(items, p, lim)
            assert (s.outcome, s.candidates, s.candidate_count) == (
                want.outcome,
                want.candidates,
                want.candidate_count,
            )
    # Fewer payments, k = 3, or shared tables past the budget: the per-payment path.
    for lim, pays in (
        (Limits(), payments[:15]),
        (Limits(max_items=3), payments),
        (Limits(node_budget=500), payments),
    ):
        got = backend.solve_one_to_many_multi(items, pays, lim)
        assert got == tuple(backend.solve_one_to_many(items, p, lim) for p in pays)


def test_multi_refuses_a_bad_payment_naming_it(backend: Backend) -> None:
    with pytest.raises(ValueError, match=r"payments_minor\[1\] must be > 0"):
        backend.solve_one_to_many_multi(items_of(100), [100, 0], Limits())
    with pytest.raises(ValueError, match=r"^overflow"):
        backend.solve_one_to_many_multi(items_of(100), [2**63 - 50], Limits())


def test_public_names_are_pinned() -> None:
    for name in ["Outcome", "OpenItem", "Limits", "Candidate", "Solution", "ManyLimits", "Group",
                 "ManySolution", "BatchProblem", "BatchSolution", "solve_one_to_many",
                 "solve_one_to_many_multi", "solve_many_to_many", "solve_batch", "backend_name"]:  # fmt: skip
        assert name in solver.__all__
        assert hasattr(solver, name)
    assert [o.value for o in Outcome] == [
        "MATCHED",
        "AMBIGUOUS",
        "NO_MATCH",
        "BUDGET_EXHAUSTED",
        "MEMORY_LIMIT",
        "SOLUTION_LIMIT",
    ]


def test_non_integer_amount_is_refused_alike_by_every_backend(backend: Backend) -> None:
    with pytest.raises(TypeError, match=r"items\[0\]\.amount_minor must be an integer"):
        backend.solve_one_to_many([OpenItem(1.5)], 5, Limits())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"payments_minor\[0\] must be an integer"):
        backend.solve_many_to_many([OpenItem(1)], [2.0], ManyLimits())  # type: ignore[list-item]


def test_numpy_integers_are_accepted(backend: Backend) -> None:
    s = backend.solve_one_to_many([OpenItem(np.int64(5))], np.int64(5), Limits())  # type: ignore[arg-type]
    assert s.outcome is Outcome.MATCHED


def test_numpy_integers_cannot_wrap_the_overflow_check(backend: Backend) -> None:
    items = [OpenItem(np.int64(2**61)), OpenItem(np.int64(2**61 + 1))]  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^overflow: sum"):
        backend.solve_one_to_many(items, np.int64(2**62 + 1), Limits(tolerance_minor=2))  # type: ignore[arg-type]
