"""One payment against many open items: find-one, exhaustive, no-match, dense, wide-range and
unstructured no-match families."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pytest

from bench.matcher import peers as P
from bench.matcher import project
from bench.matcher.conftest import ITERTOOLS_SKIP_SECONDS, record_skip, run_timed
from bench.matcher.generator import Instance, all_instances, dense_count_oracle

FAMILIES = ("find-one", "exhaustive", "no-match", "dense", "wide-range", "unstructured-no-match")
INSTANCES = [inst for fam in FAMILIES for inst in all_instances()[fam]]
PEERS = ("rust", "python", "itertools", "flsss", "cpsat", "highs")
# Peers with their own wall-clock limit, or none at all, are timed on one round.
SLOW_PEERS = {"itertools", "cpsat", "highs"}


def _itself(answer: Any) -> P.PeerAnswer:
    return cast(P.PeerAnswer, answer)


def _skip(inst: Instance, peer: str, reason: str) -> None:
    record_skip(inst.id, inst.family, peer, reason)
    pytest.skip(reason)


# The Rust answer of each instance, kept for the peers that run after it in this process.
_RUST_ANSWERS: dict[str, P.PeerAnswer] = {}
_RUST_SECONDS: dict[str, float] = {}
# The Python fallback holds the k-sum tables as Python objects: past this many nodes (the
# n = 10,000 pair table: 50 M) it needs minutes and gigabytes, so it is skipped.
PYTHON_MAX_NODES = 20_000_000


def _reference_count(inst: Instance) -> int | None:
    """An exact count from an independent oracle where one is cheap, else Rust's (if finished)."""
    if inst.family == "dense":
        return dense_count_oracle(inst.amounts, inst.payment, inst.tolerance_minor)
    if inst.mode == "nomatch":
        return 0
    rust = _RUST_ANSWERS.get(inst.id)
    if inst.mode == "count" and rust is not None and rust.status == "matched":
        return rust.count
    return None


@pytest.mark.parametrize("peer", PEERS)
@pytest.mark.parametrize("inst", INSTANCES, ids=lambda i: i.id)
def test_one_to_many(
    benchmark: Any, inst: Instance, peer: str, peers: set[str], itertools_rate: dict[str, float]
) -> None:
    if peer not in peers:
        pytest.skip("peer not selected for this process")
    benchmark.group = inst.family
    slow = peer in SLOW_PEERS
    answer_of: Callable[[Any], P.PeerAnswer] = _itself  # the project's peers answer with a Solution
    if peer == "itertools":
        if inst.mode == "find":
            est = P.itertools_find_visits(inst) / itertools_rate["find"]
        else:
            est = P.itertools_combos(inst) / itertools_rate["count"]
        if est > ITERTOOLS_SKIP_SECONDS:
            _skip(inst, peer, f"skipped (>60 s est.: {est:,.0f} s)")
        slow = est > 0.2  # quick scans get repeated rounds like the fast peers
        solve = lambda: P.itertools_solve(inst)  # noqa: E731
    elif peer == "cpsat":
        solve = lambda: P.cpsat_solve(inst)  # noqa: E731
    elif peer == "highs":
        solve = lambda: P.highs_solve(inst)  # noqa: E731
    elif peer == "flsss":
        solve = lambda: P.flsss_solve(inst)  # noqa: E731
    else:
        missing = project.unavailable(peer)
        if missing:
            _skip(inst, peer, missing)
        rust = _RUST_ANSWERS.get(inst.id)
        if peer == "python" and rust is not None and rust.nodes > PYTHON_MAX_NODES:
            _skip(inst, peer, f"skipped (>60 s est.: {rust.nodes:,} nodes)")
        # The fallback is tens of times slower: where Rust took over 20 ms, one round will do.
        slow = peer == "python" and _RUST_SECONDS.get(inst.id, 0.0) > 0.02
        solve, answer_of = project.one_to_many(peer, inst)
    P.warm_import(peer)
    answer = answer_of(run_timed(benchmark, solve, slow=slow))
    P.check_answer(inst, answer, _reference_count(inst))
    if peer == "rust":
        _RUST_ANSWERS[inst.id] = answer
        _RUST_SECONDS[inst.id] = benchmark.stats.stats.median
    benchmark.extra_info.update(
        instance=inst.id, family=inst.family, peer=peer, mode=inst.mode, **answer.as_info()
    )
    benchmark.extra_info["params"] = inst.params
