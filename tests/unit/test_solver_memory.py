"""The memory limit: instances whose tables or candidates would not fit answer MEMORY_LIMIT,
cleanly and within bounded memory (measured in a subprocess), on both twins."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from engine.matching import solver
from engine.matching.solver import Backend, Limits, ManyLimits, OpenItems, Outcome
from tests.unit.test_solver_api import BACKENDS, HAS_RUST

MiB = 1 << 20


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    return solver.rust_backend() if request.param == "rust" else solver.python_backend()


def _run(backend: str, body: str) -> dict[str, object]:
    """Runs ``body`` (which sets ``s``, a Solution) in a fresh interpreter on ``backend``;
    returns the outcome, counts and the process's peak RSS in MiB."""
    code = (
        textwrap.dedent(
            """
        import json, random
        from engine.matching import solver
        from engine.matching.solver import Limits, OpenItems
        """
        )
        + textwrap.dedent(body)
        + textwrap.dedent(
            """
        # VmHWM: this process image's peak RSS (ru_maxrss would carry the forking parent's
        # peak across exec).
        with open("/proc/self/status") as status:
            peak = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:")) / 1024
        print(json.dumps({"outcome": s.outcome.value, "count": s.candidate_count,
                          "nodes": s.nodes, "peak_mib": peak}))
        """
        )
    )
    env = {"CASHAPP_MATCHER": backend, "PATH": "/usr/bin:/bin", "RAYON_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# The abort: the pair table of 30,000 items (450 M pairs, 7.2 GB) with a budget
# large enough to build it.
HUGE_PAIR_TABLE = """
    amounts = [1_000 + 7 * i for i in range(30_000)]
    s = solver.solve_one_to_many(OpenItems.of_amounts(amounts), amounts[5],
                                 Limits(max_items=4, node_budget=10**12))
"""


@pytest.mark.parametrize("name", [p.values[0] for p in BACKENDS])
def test_a_pair_table_past_the_limit_is_refused_before_it_is_built(name: str) -> None:
    if name == "rust" and not HAS_RUST:
        pytest.skip("cashapp-matcher (the Rust extension) not installed")
    got = _run(name, HUGE_PAIR_TABLE)
    assert got["outcome"] == "MEMORY_LIMIT"
    # The sets of 1 to 3 were searched first (item 5 alone pays), then the table was refused.
    assert got["count"] == 1
    assert float(str(got["peak_mib"])) < 200


# The 643 MB: 1,000 round amounts, a payment of three of them; millions of sets match.
ROUND_AMOUNTS = """
    rng = random.Random(1)
    amounts = [rng.randint(1, 1000) * 100 for _ in range(1_000)]
    s = solver.solve_one_to_many(OpenItems.of_amounts(amounts), sum(amounts[:3]),
                                 Limits(node_budget=10**9))
"""


@pytest.mark.skipif(not HAS_RUST, reason="cashapp-matcher (the Rust extension) not installed")
def test_more_matching_sets_than_memory_keeps_answer_memory_limit_within_bounded_memory() -> None:
    got = _run("rust", ROUND_AMOUNTS)
    assert got["outcome"] == "MEMORY_LIMIT"
    # The sets kept are what 64 MiB holds at CANDIDATE_BYTES each, less the tables.
    assert 0 < int(str(got["count"])) <= (64 * MiB) // 160
    assert float(str(got["peak_mib"])) < 64 + 150


def test_a_candidate_overflow_answers_memory_limit_on_both_twins(backend: Backend) -> None:
    # Every pair, triple, ... of 20 equal amounts of 1 sums into [2, 5]: far more sets
    # than 2,000 bytes beyond the tables hold.
    items = OpenItems.of_amounts([1] * 20)
    lim = Limits(max_items=5, tolerance_minor=2, memory_limit_bytes=20 * 16 + 190 * 24 + 2_000)
    s = backend.solve_one_to_many(items, 3, lim)
    assert s.outcome is Outcome.MEMORY_LIMIT
    assert s.candidate_count == 2_000 // 160
    assert len(s.candidates) == 10
    full = backend.solve_one_to_many(items, 3, Limits(max_items=5, tolerance_minor=2))
    assert full.outcome is Outcome.AMBIGUOUS and full.candidate_count > s.candidate_count


def test_tables_that_fit_leave_the_answer_unchanged(backend: Backend) -> None:
    items = OpenItems.of_amounts([1_000 + 13 * i for i in range(200)])
    # The sorted entries, the pair table and room for exactly 5 candidates: just enough.
    fits = 200 * 16 + (200 * 199 // 2) * 24 + 160 * 5
    want = backend.solve_one_to_many(items, 3_039, Limits(max_items=4))
    assert want.candidate_count == 1
    assert backend.solve_one_to_many(items, 3_039, Limits(max_items=4, memory_limit_bytes=fits)) == want
    short = backend.solve_one_to_many(items, 3_039, Limits(max_items=4, memory_limit_bytes=fits - 161 * 5))
    # The pair table is refused; the triple that pays was found before it (smaller sets first).
    assert short.outcome is Outcome.MEMORY_LIMIT and short.candidates == want.candidates


def test_the_memory_limit_refuses_many_to_many_too(backend: Backend) -> None:
    items = OpenItems.of_amounts([1_000 + 13 * i for i in range(200)])
    s = backend.solve_many_to_many(items, [3_039, 5_000], ManyLimits(memory_limit_bytes=10_000))
    assert s.outcome is Outcome.MEMORY_LIMIT and s.groups == ()


@pytest.mark.parametrize("limits", [Limits(memory_limit_bytes=-1), ManyLimits(memory_limit_bytes=-1)])
def test_a_negative_memory_limit_is_refused_naming_the_field(backend: Backend, limits: object) -> None:
    with pytest.raises(ValueError, match=r"^limits\.memory_limit_bytes must be >= 0$"):
        if isinstance(limits, Limits):
            backend.solve_one_to_many(OpenItems.of_amounts([5]), 5, limits)
        else:
            assert isinstance(limits, ManyLimits)
            backend.solve_many_to_many(OpenItems.of_amounts([5]), [5], limits)


def test_the_default_memory_limit_is_64_mib() -> None:
    assert Limits().memory_limit_bytes == ManyLimits().memory_limit_bytes == 64 * MiB
