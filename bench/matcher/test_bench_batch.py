"""Batches: 10,000 typical problems (n ~ 50, k <= 5), and one customer's 200 payments (n = 100).

The Rust solver takes the whole batch in one call (flat arrays); run.sh runs this file once with
RAYON_NUM_THREADS=1 and once with 2. Peers without a batch API solve problem by problem; the slow
ones solve a prefix of the batch and their time is extrapolated linearly (the report says so).
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import pytest

from bench.matcher import peers as P
from bench.matcher import project
from bench.matcher.conftest import record_skip, run_timed
from bench.matcher.generator import BatchInstance, batch_problem, customer_batch, typical_batch

PEERS = ("rust", "rust_multi", "rust_shared", "python", "itertools", "flsss", "cpsat", "highs")
# How many problems of a batch each per-problem peer solves (None: all of them).
PREFIX = {
    "typical": {"python": 1_000, "itertools": 10, "flsss": None, "cpsat": 20, "highs": 20},
    "customer": {"python": 200, "itertools": 1, "flsss": None, "cpsat": 4, "highs": 10},
}
PREFIX_LENGTHS = sorted({v for d in PREFIX.values() for v in d.values() if v})
BATCHES = {"typical": typical_batch, "customer": customer_batch}


def counts_digest(counts: list[int | None]) -> str:
    return hashlib.sha256(json.dumps(counts).encode()).hexdigest()[:16]


@pytest.mark.parametrize("peer", PEERS)
@pytest.mark.parametrize("which", list(BATCHES))
def test_batch(benchmark: Any, which: str, peer: str, peers: set[str]) -> None:
    if peer not in peers and peer not in ("rust_multi", "rust_shared"):
        pytest.skip("peer not selected for this process")
    batch: BatchInstance = BATCHES[which]()
    threads = os.environ.get("RAYON_NUM_THREADS", "")
    if peer in ("rust_multi", "rust_shared") and which != "customer":
        pytest.skip("only a customer's payments share their items")
    if peer in ("rust_multi", "rust_shared") and "rust" not in peers:
        pytest.skip("peer not selected for this process")
    if peer not in ("rust", "rust_multi") and threads != "1":
        pytest.skip("per-problem peers are single-threaded; measured in the 1-thread run")
    benchmark.group = f"batch:{which}"
    info: dict[str, Any] = {"instance": batch.id, "family": f"batch:{which}", "peer": peer}
    if peer == "rust":
        missing = project.unavailable(peer)
        if missing:
            record_skip(batch.id, info["family"], peer, missing)
            pytest.skip(missing)
        solve_batch, to_counts = project.batch(batch, int(threads or 0))
        counts = to_counts(run_timed(benchmark, solve_batch))
        solved = batch.problems
        info["threads"] = int(threads or 0)
    elif peer == "rust_multi":
        try:
            solve_multi, to_counts = project.multi(batch)
        except AttributeError as exc:
            reason = f"solver has no solve_one_to_many_multi: {exc}"
            record_skip(batch.id, info["family"], peer, reason)
            pytest.skip(reason)
        counts = to_counts(run_timed(benchmark, solve_multi))
        solved = batch.problems
        info["threads"] = int(threads or 0)
    elif peer == "rust_shared":
        solve_shared, to_total = project.shared_tables(batch)
        total = to_total(run_timed(benchmark, solve_shared))
        assert total is not None, "the raised node budget suffices"
        info.update(threads=1, problems=batch.problems, solved=batch.problems, total_count=total)
        info.update(extrapolated=False, counts_digest=None, prefix_digests={}, unfinished=0)
        benchmark.extra_info.update(info)
        return
    else:
        if peer == "python" and project.unavailable(peer):
            record_skip(batch.id, info["family"], peer, project.unavailable(peer))
            pytest.skip(project.unavailable(peer))
        solved = min(batch.problems, PREFIX[which][peer] or batch.problems)
        problems = [batch_problem(batch, i) for i in range(solved)]
        solve_one = _per_problem(peer)
        P.warm_import(peer)
        answers = run_timed(benchmark, lambda: [solve_one(p) for p in problems], slow=True)
        counts = [_count(peer, p, a) for p, a in zip(problems, answers, strict=True)]
        info["threads"] = 1
    # HiGHS only finds one set per problem, so it has no counts to compare.
    counting = peer != "highs" and None not in counts
    for i, c in enumerate(counts):
        # Every problem has a planted set, so every finished count is at least one.
        assert c is None or c >= 1, (batch.id, i, c)
    info.update(
        problems=batch.problems,
        solved=solved,
        extrapolated=solved < batch.problems,
        counts_digest=counts_digest(counts[:solved]) if counting else None,
        prefix_digests=(
            {str(n): counts_digest(counts[:n]) for n in PREFIX_LENGTHS if n <= solved} if counting else {}
        ),
        unfinished=sum(1 for c in counts if c is None),
        total_count=sum(counts[:solved]) if counting else None,
    )
    benchmark.extra_info.update(info)


def _per_problem(peer: str) -> Any:
    """A function Instance -> count (None when the peer ran out of time or only finds one)."""
    fn = {
        "python": project.solver_fn("python"),
        "itertools": P.itertools_solve,
        "flsss": P.flsss_solve,
        "cpsat": P.cpsat_solve,
        "highs": P.highs_solve,
    }[peer]

    return fn


def _count(peer: str, inst: Any, ans: P.PeerAnswer) -> int | None:
    """Checks one per-problem answer (after the timed run) and returns its count."""
    P.check_answer(inst, ans)
    if peer == "highs":
        return 1 if ans.status == "matched" else None  # find-one: "at least one"
    return ans.count
