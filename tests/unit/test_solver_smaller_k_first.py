"""Smaller sets first: when the pair table of sets of 4 and 5 is past the node budget or
the memory limit, the sets of 1 to 3 are still searched and returned (ranked), and the
outcome still says the search is incomplete (MATCHED needs every set up to k)."""

from __future__ import annotations

import random

import pytest

from engine.matching import solver
from engine.matching.solver import Backend, Limits, OpenItems, Outcome
from tests.unit.test_solver_api import BACKENDS

_RNG = random.Random(3)
AMOUNTS = [_RNG.randint(1_000, 1_000_000) for _ in range(300)]
ITEMS = OpenItems.of_amounts(AMOUNTS)
# Item 17 alone pays exactly; the pair table of 300 items holds 44,850 pairs.
PAYMENT = AMOUNTS[17]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    return solver.rust_backend() if request.param == "rust" else solver.python_backend()


@pytest.mark.parametrize(
    ("limits", "outcome"),
    [
        (Limits(max_items=4, node_budget=30_000), Outcome.BUDGET_EXHAUSTED),
        (Limits(max_items=5, memory_limit_bytes=300 * 16 + 1_000), Outcome.MEMORY_LIMIT),
    ],
)
def test_an_exact_single_invoice_is_found_when_the_pair_table_is_refused(
    backend: Backend, limits: Limits, outcome: Outcome
) -> None:
    s = backend.solve_one_to_many(ITEMS, PAYMENT, limits)
    assert s.outcome is outcome
    assert s.candidates[0].item_indices == (17,)
    assert s.candidates[0].residual_minor == 0


def test_with_the_table_affordable_the_answer_covers_every_size(backend: Backend) -> None:
    s = backend.solve_one_to_many(ITEMS, PAYMENT, Limits(max_items=4))
    assert s.outcome is Outcome.AMBIGUOUS  # larger sets make the same amount too
    assert s.candidates[0].item_indices == (17,)
    assert any(len(c.item_indices) == 4 for c in s.candidates)
