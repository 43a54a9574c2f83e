"""Several payments against several items: count every group (P, S) of <= 3 payments and <= 3
items whose sums agree. HiGHS finds one group (it cannot count)."""

from __future__ import annotations

from typing import Any

import pytest

from bench.matcher import peers as P
from bench.matcher import project
from bench.matcher.conftest import ITERTOOLS_SKIP_SECONDS, record_skip, run_timed
from bench.matcher.generator import Instance, all_instances

INSTANCES = all_instances()["many-to-many"]
PEERS = ("rust", "python", "itertools", "flsss", "cpsat", "highs")
SLOW_PEERS = {"cpsat", "highs"}
_RUST_COUNTS: dict[str, int] = {}


@pytest.mark.parametrize("peer", PEERS)
@pytest.mark.parametrize("inst", INSTANCES, ids=lambda i: i.id)
def test_many_to_many(
    benchmark: Any, inst: Instance, peer: str, peers: set[str], itertools_rate: dict[str, float]
) -> None:
    if peer not in peers:
        pytest.skip("peer not selected for this process")
    benchmark.group = inst.family
    slow = peer in SLOW_PEERS
    if peer == "itertools":
        est = P.many_itertools_combos(inst) / itertools_rate["count"]
        if est > ITERTOOLS_SKIP_SECONDS:
            reason = f"skipped (>60 s est.: {est:,.0f} s)"
            record_skip(inst.id, inst.family, peer, reason)
            pytest.skip(reason)
        slow = est > 0.2
        solve = lambda: P.many_itertools(inst)  # noqa: E731
    elif peer in ("flsss", "cpsat", "highs"):
        fn = {"flsss": P.many_flsss, "cpsat": P.many_cpsat, "highs": P.many_highs}[peer]
        solve = lambda: fn(inst)  # noqa: E731
    else:
        missing = project.unavailable(peer)
        if missing:
            record_skip(inst.id, inst.family, peer, missing)
            pytest.skip(missing)
        solve = project.many_to_many(peer, inst)
    P.warm_import(peer)
    answer = run_timed(benchmark, solve, slow=slow)
    P.check_many(inst, answer, _RUST_COUNTS.get(inst.id))
    if peer == "rust" and answer.status == "matched" and answer.count is not None:
        _RUST_COUNTS[inst.id] = answer.count
    benchmark.extra_info.update(
        instance=inst.id, family=inst.family, peer=peer, mode=inst.mode, **answer.as_info()
    )
    benchmark.extra_info["params"] = inst.params
