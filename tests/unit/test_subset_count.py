"""count_subsets: the number of explanations over every subset size (capped at 2) and the
unique one, in both backends, against a brute-force oracle."""

from __future__ import annotations

import importlib.util
from itertools import product

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.matching import solver
from engine.matching.solver import (
    Backend,
    CountLimits,
    CountOutcome,
    OpenItem,
    OpenItems,
    SubsetCount,
)

HAS_RUST = importlib.util.find_spec("cashapp_matcher") is not None
needs_rust = pytest.mark.skipif(not HAS_RUST, reason="cashapp-matcher (the Rust extension) not installed")
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BACKENDS = [
    pytest.param("python", id="python"),
    pytest.param("rust", id="rust", marks=needs_rust),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "rust":
        return solver.rust_backend()
    return solver.python_backend()


def all_backends() -> list[Backend]:
    """Python, and Rust when it is built: the oracle tests check both on every instance."""
    return [solver.python_backend(), *([solver.rust_backend()] if HAS_RUST else [])]


Explanation = tuple[tuple[int, ...], tuple[bool, ...], int]


def oracle(items: list[OpenItem], payment: int, tol: int) -> list[Explanation]:
    """Every non-empty subset, every full/discounted choice per discountable member, in full."""
    found = []
    for choice in product(
        *[(None, False, True) if it.discounted_minor is not None else (None, False) for it in items]
    ):
        chosen = [(i, c) for i, c in enumerate(choice) if c is not None]
        if not chosen:
            continue
        total = 0
        for i, c in chosen:
            d = items[i].discounted_minor
            total += d if c and d is not None else items[i].amount_minor
        if abs(payment - total) <= tol:
            found.append((tuple(i for i, _ in chosen), tuple(c for _, c in chosen), payment - total))
    return found


def expected(items: list[OpenItem], payment: int, tol: int, witness: bool = True) -> SubsetCount:
    found = oracle(items, payment, tol)
    if not found:
        return SubsetCount(CountOutcome.NONE, 0, (), (), None, False)
    if len(found) >= 2:
        return SubsetCount(CountOutcome.MANY, 2, (), (), None, False)
    indices, flags, residual = found[0]
    if not witness:
        return SubsetCount(CountOutcome.ONE, 1, (), (), residual, False)
    return SubsetCount(CountOutcome.ONE, 1, indices, flags, residual, True)


@st.composite
def count_items(draw: st.DrawFn, max_n: int = 14, max_amount: int = 30) -> list[OpenItem]:
    # Small amounts so that equal totals (and so counts of two or more) are common.
    out = []
    for _ in range(draw(st.integers(0, max_n))):
        amount = draw(st.integers(0, max_amount))
        discounted = draw(st.one_of(st.none(), st.integers(1, max_amount)))
        out.append(OpenItem(amount, discounted if discounted is not None and discounted < amount else None))
    return out


tolerances = st.one_of(st.just(0), st.integers(0, 3), st.integers(0, 60))


# --- the definition ------------------------------------------------------------------------


def test_a_unique_pair_is_one_with_its_witness(backend: Backend) -> None:
    r = backend.count_subsets([OpenItem(100), OpenItem(250), OpenItem(75)], 175, 0, CountLimits())
    assert r == SubsetCount(CountOutcome.ONE, 1, (0, 2), (False, False), 0, True)


def test_two_subsets_of_different_sizes_are_many(backend: Backend) -> None:
    # 100 alone and 60 + 40: a search bounded by set size would see only one of them.
    r = backend.count_subsets([OpenItem(100), OpenItem(60), OpenItem(40)], 100, 0, CountLimits())
    assert r.outcome is CountOutcome.MANY and r.explanation_count == 2
    assert r.item_indices == () and not r.witness_available


def test_a_set_larger_than_five_items_counts(backend: Backend) -> None:
    items = [OpenItem(2**i) for i in range(8)]
    r = backend.count_subsets(items, 255, 0, CountLimits())
    assert r == SubsetCount(CountOutcome.ONE, 1, tuple(range(8)), (False,) * 8, 0, True)


def test_full_and_discounted_amounts_of_one_item_are_two_explanations(backend: Backend) -> None:
    r = backend.count_subsets([OpenItem(100, 98)], 99, 1, CountLimits())
    assert r.outcome is CountOutcome.MANY


def test_the_discounted_witness_carries_its_flag_and_residual(backend: Backend) -> None:
    r = backend.count_subsets([OpenItem(100, 98), OpenItem(500)], 597, 1, CountLimits())
    assert r == SubsetCount(CountOutcome.ONE, 1, (0, 1), (True, False), -1, True)


def test_no_explanation_is_none(backend: Backend) -> None:
    r = backend.count_subsets([OpenItem(100), OpenItem(250)], 120, 5, CountLimits())
    assert r == SubsetCount(CountOutcome.NONE, 0, (), (), None, False)


def test_the_empty_set_never_explains_a_payment(backend: Backend) -> None:
    # The window [0, 10] holds 0, which only the empty set totals.
    assert backend.count_subsets([OpenItem(50)], 5, 5, CountLimits()).outcome is CountOutcome.NONE
    r = backend.count_subsets([], 5, 5, CountLimits())
    assert r.outcome is CountOutcome.NONE


def test_a_zero_amount_item_doubles_every_explanation(backend: Backend) -> None:
    assert backend.count_subsets([OpenItem(70)], 70, 0, CountLimits()).outcome is CountOutcome.ONE
    r = backend.count_subsets([OpenItem(70), OpenItem(0)], 70, 0, CountLimits())
    assert r.outcome is CountOutcome.MANY
    r = backend.count_subsets([OpenItem(0), OpenItem(70)], 3, 3, CountLimits())
    assert r == SubsetCount(CountOutcome.ONE, 1, (0,), (False,), 3, True)


def test_amounts_above_the_window_are_never_taken_but_their_discounts_may_be(backend: Backend) -> None:
    items = [OpenItem(10**12), OpenItem(30), OpenItem(10**12, 40)]
    r = backend.count_subsets(items, 70, 0, CountLimits())
    assert r == SubsetCount(CountOutcome.ONE, 1, (1, 2), (False, True), 0, True)
    assert backend.count_subsets(items, 30, 0, CountLimits()).item_indices == (1,)
    assert backend.count_subsets(items, 69, 0, CountLimits()).outcome is CountOutcome.NONE


def test_columns_give_the_same_answer_as_open_items(backend: Backend) -> None:
    items = [OpenItem(100, 97), OpenItem(60), OpenItem(40), OpenItem(3)]
    for payment in range(90, 210):
        assert backend.count_subsets(OpenItems.from_items(items), payment, 2, CountLimits()) == (
            backend.count_subsets(items, payment, 2, CountLimits())
        )


# --- against the oracle ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_every_backend_equals_the_oracle_up_to_fourteen_items(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 14 if seed % 2 == 0 else int(rng.integers(1, 14))
    items = [
        OpenItem(int(a), int(d) if 0 < d < a and rng.random() < 0.3 else None)
        for a, d in zip(rng.integers(0, 40 if seed < 6 else 4000, n), rng.integers(1, 40, n), strict=True)
    ]
    tol = int(rng.choice([0, 0, 2, 25]))
    total = sum(it.amount_minor for it in items)
    payments = [int(p) for p in rng.integers(1, max(2, total), 6)]
    for backend in all_backends():
        for payment in payments:
            assert backend.count_subsets(items, payment, tol, CountLimits()) == expected(items, payment, tol)


@FAST
@given(items=count_items(10), payment=st.integers(1, 120), tol=tolerances)
def test_random_instances_equal_the_oracle(items: list[OpenItem], payment: int, tol: int) -> None:
    want = expected(items, payment, tol)
    for backend in all_backends():
        assert backend.count_subsets(items, payment, tol, CountLimits()) == want


@FAST
@given(
    amounts=st.lists(st.integers(1, 25), max_size=11),
    payment=st.integers(1, 100),
    tol=tolerances,
)
def test_random_instances_without_discounts_equal_the_oracle(
    amounts: list[int], payment: int, tol: int
) -> None:
    items = [OpenItem(a) for a in amounts]
    want = expected(items, payment, tol)
    for backend in all_backends():
        assert backend.count_subsets(OpenItems.of_amounts(amounts), payment, tol, CountLimits()) == want


@FAST
@given(items=count_items(10), payments=st.lists(st.integers(1, 150), max_size=6), tol=tolerances)
def test_multi_equals_separate_calls(items: list[OpenItem], payments: list[int], tol: int) -> None:
    for backend in all_backends():
        # A witness budget between the payments' tables makes some payments lose their
        # witness and others keep it, as they would in separate calls.
        for lim in (CountLimits(), CountLimits(max_bits=100), CountLimits(max_witness_bits=len(items) * 80)):
            separate = tuple(backend.count_subsets(items, p, tol, lim) for p in payments)
            assert backend.count_subsets_multi(items, payments, tol, lim) == separate


# --- limits ----------------------------------------------------------------------------------


def test_a_window_beyond_max_bits_is_too_large_without_a_count(backend: Backend) -> None:
    items = [OpenItem(60), OpenItem(40)]
    # hi = payment + tolerance = 100 needs 101 bits.
    assert backend.count_subsets(items, 98, 2, CountLimits(max_bits=101)).outcome is CountOutcome.ONE
    r = backend.count_subsets(items, 98, 2, CountLimits(max_bits=100))
    assert r == SubsetCount(CountOutcome.TOO_LARGE, None, (), (), None, False)


def test_a_huge_payment_is_too_large_and_allocates_nothing(backend: Backend) -> None:
    r = backend.count_subsets([OpenItem(1)], 2**63 - 1, 2**63 - 1, CountLimits())
    assert r.outcome is CountOutcome.TOO_LARGE
    many = backend.count_subsets_multi([OpenItem(7)], [2**62, 7, 2**40], 0, CountLimits())
    assert [m.outcome for m in many] == [CountOutcome.TOO_LARGE, CountOutcome.ONE, CountOutcome.TOO_LARGE]


def test_without_room_for_the_stage_tables_the_count_comes_without_witness(backend: Backend) -> None:
    items = [OpenItem(100), OpenItem(250), OpenItem(75), OpenItem(1000)]
    # The stage tables hold len(items) * (hi + 1) = 4 * 176 bits.
    full = backend.count_subsets(items, 175, 0, CountLimits(max_witness_bits=4 * 176))
    assert full == SubsetCount(CountOutcome.ONE, 1, (0, 2), (False, False), 0, True)
    r = backend.count_subsets(items, 175, 0, CountLimits(max_witness_bits=4 * 176 - 1))
    assert r == SubsetCount(CountOutcome.ONE, 1, (), (), 0, False)
    assert (
        backend.count_subsets(
            [*items, OpenItem(175)], 175, 0, CountLimits(max_witness_bits=0)
        ).explanation_count
        == 2
    )


@FAST
@given(items=count_items(10), payment=st.integers(1, 120), tol=tolerances)
def test_the_count_is_right_without_witness_tables(items: list[OpenItem], payment: int, tol: int) -> None:
    want = expected(items, payment, tol, witness=False)
    for backend in all_backends():
        assert backend.count_subsets(items, payment, tol, CountLimits(max_witness_bits=0)) == want


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "payment", "tol", "limits", "field"),
    [
        ([OpenItem(-1)], 10, 0, CountLimits(), "items[0].amount_minor must be >= 0"),
        ([OpenItem(5), OpenItem(10, 10)], 10, 0, CountLimits(), "items[1].discounted_minor"),
        ([OpenItem(10, 0)], 10, 0, CountLimits(), "items[0].discounted_minor"),
        ([OpenItem(10)], 0, 0, CountLimits(), "payment_minor must be > 0"),
        ([OpenItem(10)], -5, 0, CountLimits(), "payment_minor must be > 0"),
        ([OpenItem(10)], 10, -1, CountLimits(), "tolerance_minor must be >= 0"),
        ([OpenItem(10)], 10, 0, CountLimits(max_bits=0), "limits.max_bits"),
        ([OpenItem(10)], 10, 0, CountLimits(max_bits=2**32 + 1), "limits.max_bits"),
        ([OpenItem(10)], 10, 0, CountLimits(max_witness_bits=-1), "limits.max_witness_bits"),
        ([OpenItem(10)], 10, 0, CountLimits(max_witness_bits=2**33 + 1), "limits.max_witness_bits"),
        ([OpenItem(2**63)], 10, 0, CountLimits(), "items[0].amount_minor does not fit"),
        ([OpenItem(10)], 2**64, 0, CountLimits(), "payment_minor does not fit"),
        ([OpenItem(10)], 10, 2**63, CountLimits(), "tolerance_minor does not fit"),
        ([OpenItem(10)], 10, 0, CountLimits(max_bits=2**70), "limits.max_bits does not fit"),
    ],
)
def test_bad_input_raises_value_error_naming_the_field(
    backend: Backend, items: list[OpenItem], payment: int, tol: int, limits: CountLimits, field: str
) -> None:
    with pytest.raises(ValueError, match=field.replace("[", r"\[").replace("]", r"\]")):
        backend.count_subsets(items, payment, tol, limits)


def test_bad_payment_in_multi_is_named_by_index(backend: Backend) -> None:
    with pytest.raises(ValueError, match=r"payments_minor\[2\] must be > 0"):
        backend.count_subsets_multi([OpenItem(10)], [10, 20, 0], 0, CountLimits())


def test_errors_are_identical_in_every_backend() -> None:
    cases = [
        ([OpenItem(-1), OpenItem(3, 5)], 10, 0, CountLimits()),
        ([OpenItem(3, 5)], 10, -1, CountLimits(max_bits=0)),
        ([OpenItem(3)], -1, 0, CountLimits(max_witness_bits=-3)),
    ]
    for items, payment, tol, lim in cases:
        messages = set()
        for backend in all_backends():
            with pytest.raises(ValueError) as err:
                backend.count_subsets(items, payment, tol, lim)
            messages.add(str(err.value))
        assert len(messages) == 1, messages


@pytest.mark.parametrize("choice", [pytest.param("python"), pytest.param("rust", marks=needs_rust)])
def test_the_dispatcher_serves_the_selected_backend(monkeypatch: pytest.MonkeyPatch, choice: str) -> None:
    monkeypatch.setenv(solver.ENV_VAR, choice)
    assert solver.backend_name() == choice
    r = solver.count_subsets([OpenItem(100), OpenItem(60), OpenItem(40)], 100)
    assert r.outcome is CountOutcome.MANY
    assert solver.count_subsets_multi([OpenItem(5)], [5, 6]) == (
        SubsetCount(CountOutcome.ONE, 1, (0,), (False,), 0, True),
        SubsetCount(CountOutcome.NONE, 0, (), (), None, False),
    )
