"""OpenItems, the columnar input: same answers as OpenItem lists, and the same refusals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.matching import solver
from engine.matching.solver import Limits, ManyLimits, OpenItem, OpenItems
from tests.property.test_solver_differential import HAS_RUST, open_items

BACKENDS = ["python", "rust"] if HAS_RUST else ["python"]
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def backend(name: str) -> solver.Backend:
    return solver.python_backend() if name == "python" else solver.rust_backend()


@pytest.mark.parametrize("name", BACKENDS)
@SETTINGS
@given(
    items=open_items(12),
    payments=st.lists(st.integers(1, 200), min_size=1, max_size=4),
    k=st.integers(1, 7),
    tol=st.integers(0, 20),
)
def test_columns_give_the_same_results_as_objects(
    name: str, items: list[OpenItem], payments: list[int], k: int, tol: int
) -> None:
    b, cols = backend(name), OpenItems.from_items(items)
    lim = Limits(max_items=k, tolerance_minor=tol, node_budget=50_000)
    assert b.solve_one_to_many(cols, payments[0], lim) == b.solve_one_to_many(items, payments[0], lim)
    assert b.solve_one_to_many_multi(cols, payments, lim) == b.solve_one_to_many_multi(items, payments, lim)
    many = ManyLimits(max_payments=2, max_items=min(k, 3), tolerance_minor=tol, node_budget=50_000)
    assert b.solve_many_to_many(cols, payments, many) == b.solve_many_to_many(items, payments, many)


def test_from_items_round_trips_and_maps_no_discount_to_zero() -> None:
    items = [OpenItem(500, 490, 3, 40), OpenItem(700)]
    cols = OpenItems.from_items(items)
    assert cols.discounted_minor.tolist() == [490, 0]
    assert cols.to_items() == items
    assert len(cols) == 2
    assert OpenItems.of_amounts([5, 6]).to_items() == [OpenItem(5), OpenItem(6)]


def test_columns_are_private_read_only_copies() -> None:
    amounts = np.array([100, 200], dtype=np.int64)
    cols = OpenItems.of_amounts(amounts)
    amounts[0] = 1
    assert cols.amounts_minor.tolist() == [100, 200]
    with pytest.raises(ValueError, match="read-only"):
        cols.amounts_minor[0] = 5


def test_a_strided_int64_array_is_read_correctly() -> None:
    # A non-contiguous view is copied into a contiguous column.
    cols = OpenItems.of_amounts(np.arange(10, 30, dtype=np.int64)[::2])
    assert cols.amounts_minor.flags.c_contiguous
    listed = [OpenItem(a) for a in range(10, 30, 2)]
    for name in BACKENDS:
        got = backend(name).solve_one_to_many(cols, 22, Limits(max_items=2))
        assert [c.item_indices for c in got.candidates] == [(6,), (0, 1)]
        assert got == backend(name).solve_one_to_many(listed, 22, Limits(max_items=2))


@pytest.mark.parametrize(
    ("columns", "error", "message"),
    [
        ({"amounts_minor": [1.5]}, TypeError, "amounts_minor must hold integers"),
        ({"due_ordinal": [True]}, TypeError, "due_ordinal must hold integers"),
        ({"reference_score": [2**63]}, ValueError, r"overflow: reference_score\[0\] does not fit in int64"),
        ({"amounts_minor": np.array([2**64 - 1], dtype=np.uint64)}, ValueError, "overflow: amounts_minor"),
        ({"amounts_minor": [[1]]}, ValueError, "amounts_minor must be one-dimensional"),
        ({"due_ordinal": [0, 0]}, ValueError, "must have equal lengths"),
    ],
)
def test_bad_columns_are_refused_naming_the_field(
    columns: dict[str, object], error: type[Exception], message: str
) -> None:
    fields = {"amounts_minor": [1], "discounted_minor": [0], "due_ordinal": [0], "reference_score": [0]}
    with pytest.raises(error, match=message):
        OpenItems(**(fields | columns))  # type: ignore[arg-type]


def test_from_items_refuses_what_the_solver_refuses() -> None:
    with pytest.raises(ValueError, match=r"items\[1\].discounted_minor must be > 0"):
        OpenItems.from_items([OpenItem(5), OpenItem(5, 0)])
    with pytest.raises(ValueError, match=r"overflow: items\[0\].amount_minor"):
        OpenItems.from_items([OpenItem(2**63)])
    with pytest.raises(TypeError, match=r"items\[0\].due_ordinal must be an integer"):
        OpenItems.from_items([OpenItem(5, None, 1.5)])  # type: ignore[arg-type]


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize(
    ("item", "message"),
    [
        (OpenItem(0), r"items\[0\].amount_minor must not be 0"),
        (OpenItem(-5, 3), r"items\[0\].discounted_minor must be absent on a credit"),
        (OpenItem(5, 7), r"items\[0\].discounted_minor must be > 0 and < amount_minor"),
        (OpenItem(5, -1), r"items\[0\].discounted_minor must be > 0 and < amount_minor"),
        (OpenItem(5, None, 0, 101), r"items\[0\].reference_score must be between 0 and 100"),
    ],
)
def test_invalid_items_in_columns_get_the_same_error_as_objects(
    name: str, item: OpenItem, message: str
) -> None:
    cols = OpenItems.from_items([item])
    for items in ([item], cols):
        with pytest.raises(ValueError, match=message):
            backend(name).solve_one_to_many(items, 5, Limits())
