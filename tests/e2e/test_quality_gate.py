"""The correctness gate: a 2,000-payment ground-truth world through a real server on SQLite.

No money may be lost, and at most 0.1 % of payments may get cash the truth does not say. Missed
payments (left for a clerk) are reported, not gated. No timing is asserted.
"""

from __future__ import annotations

from collections.abc import Callable

from bench.quality.generate import generate
from bench.quality.load import run_world
from bench.quality.score import score, table
from tests.e2e.conftest import RunningServer

GATE_PAYMENTS = 2_000
GATE_SEED = 7
MAX_WRONG_PERCENT = 0.1


def test_quality_gate_loses_nothing_and_is_almost_never_wrong(
    server_factory: Callable[..., RunningServer],
) -> None:
    world = generate(GATE_SEED, GATE_PAYMENTS)
    server = server_factory()
    result = run_world(server.target, world)
    scored = score(world.truths, result.observed, result.failed_invariants)
    print(f"\nquality gate: {len(world.payments)} payments, seed {GATE_SEED}, SQLite\n{table(scored)}")
    print(f"decisions stored {result.decisions_stored}, AutoApply calls {result.auto_apply_calls}")
    assert result.import_failures == 0
    assert scored.lost == 0, (scored.overall.lost, scored.failed_invariants)
    assert scored.wrong_share <= MAX_WRONG_PERCENT, (
        f"{scored.overall.wrong} wrong ({scored.wrong_share:.2f} %)"
    )
