"""Times the Rust solver, one thread, on the dense family; checks every count against the oracle.

Usage: RAYON_NUM_THREADS=1 python -m bench.matcher.dense_timing [--node-budget N] [--rounds R] [n ...]
Prints, per instance, the kernel, outcome, count (against dense_count_oracle), nodes and the best
wall-clock and CPU times over the rounds (one round once a call takes over 5 s).
"""

from __future__ import annotations

import argparse
import time

from bench.matcher.generator import DENSE_NODE_BUDGET, DENSE_SIZES, dense, dense_count_oracle
from engine.matching import solver


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int, default=list(DENSE_SIZES))
    parser.add_argument("--node-budget", type=int, default=DENSE_NODE_BUDGET)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rust = solver.rust_backend()
    for n in args.sizes:
        inst = dense(n)
        items = [solver.OpenItem(a) for a in inst.amounts]
        limits = solver.Limits(max_items=inst.max_items, node_budget=args.node_budget)
        wall, cpu = float("inf"), float("inf")
        for _ in range(args.rounds):
            t0, c0 = time.perf_counter(), time.process_time()
            s = rust.solve_one_to_many(items, inst.payment, limits)
            wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
            if wall > 5:
                break
        want = dense_count_oracle(inst.amounts, inst.payment, inst.tolerance_minor)
        check = "= oracle" if s.candidate_count == want else f"oracle {want:,}"
        print(
            f"{inst.id}: {s.algorithm} {s.outcome.value} count {s.candidate_count:,} ({check}), "
            f"{s.nodes:,} nodes, wall {wall * 1e3:,.2f} ms, cpu {cpu * 1e3:,.2f} ms",
            flush=True,
        )


if __name__ == "__main__":
    main()
