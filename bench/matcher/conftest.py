"""Shared benchmark plumbing: peer selection, adaptive rounds, skip records, itertools calibration.

These suites are run only by bench/run.sh (the project's pytest testpaths is tests/). A suite never
asserts on time; it asserts only that each peer's answer is right, and records the numbers.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

# Per-peer skip threshold for the plain itertools baseline, from the brief.
ITERTOOLS_SKIP_SECONDS = 60.0
# Fast peers repeat until about this much time is spent (and at most MAX_ROUNDS times).
TARGET_SECONDS_PER_BENCH = 1.0
MAX_ROUNDS = 50
# A peer slower than this on its first call is timed on that one call only.
SLOW_CALL_SECONDS = 0.5

T = TypeVar("T")
_SKIPS: list[dict[str, Any]] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--peers",
        default="rust,python,itertools,flsss",
        help="comma-separated peers to run: rust, python, itertools, flsss, cpsat, highs",
    )
    parser.addoption("--skips-json", default="", help="where to write the skipped-peer records")


@pytest.fixture(scope="session")
def peers(request: pytest.FixtureRequest) -> set[str]:
    return set(str(request.config.getoption("--peers")).split(","))


def record_skip(instance_id: str, family: str, peer: str, reason: str) -> None:
    _SKIPS.append({"instance": instance_id, "family": family, "peer": peer, "reason": reason})


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = session.config.getoption("--skips-json")
    if path:
        Path(path).write_text(json.dumps(_SKIPS, indent=1))


@pytest.fixture(scope="session")
def itertools_rate() -> dict[str, float]:
    """Combinations per second of the plain scans, measured once on this machine."""
    amounts = tuple(range(1_000, 1_040))
    start = time.perf_counter()
    hits = sum(1 for c in itertools.combinations(amounts, 5) if sum(c) == 5_100)
    count_rate = 658_008 / (time.perf_counter() - start)
    start = time.perf_counter()
    for idx in itertools.islice(itertools.combinations(range(40), 5), 200_000):
        if sum(amounts[i] for i in idx) == -1:
            break
    find_rate = 200_000 / (time.perf_counter() - start)
    assert hits >= 0
    return {"count": count_rate, "find": find_rate}


def run_timed(benchmark: Any, solve: Callable[[], T], *, slow: bool = False) -> T:
    """Benchmark solve() and return its answer.

    Peers known to be slow (or found slow on a first call) are timed on a single round so the
    whole run stays within its budget; fast peers get a warm-up call and enough rounds for a
    stable median.
    """
    answers: list[T] = []

    def call() -> None:
        answers.append(solve())

    if slow:
        benchmark.pedantic(call, rounds=1, iterations=1)
        return answers[-1]
    start = time.perf_counter()
    call()
    first = time.perf_counter() - start
    first = max(first, 1e-7)
    # Microsecond calls are grouped into iterations of about a millisecond so the timer's
    # resolution and the call overhead of the harness do not dominate.
    iterations = max(1, min(1_000, int(1e-3 / first)))
    if first > SLOW_CALL_SECONDS:
        rounds = 1
    else:
        rounds = max(3, min(MAX_ROUNDS, int(TARGET_SECONDS_PER_BENCH / (first * iterations))))
    benchmark.pedantic(call, rounds=rounds, iterations=iterations)
    return answers[-1]
