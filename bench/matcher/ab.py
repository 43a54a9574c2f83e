"""A/B of two builds of the Rust extension in one process, on the one-to-many instances of
bench/matcher: a baseline copy (e.g. the extension saved before a change) against the
installed one, interleaved, best of rounds per call; asserts identical answers (outcome,
candidates, count, algorithm, nodes).

    cp matcher_rs/python/cashapp_matcher/_matcher.abi3.so /tmp/base.so   # before the change
    RAYON_NUM_THREADS=1 .venv/bin/python -m bench.matcher.ab /tmp/base.so [--base-args 9] \\
        [--skip dense/n=40 dense/n=45 find-one/n=10000]

``--base-args 10``: the baseline predates ``max_solutions`` (ten positional arguments; ``9``:
it predates ``memory_limit_bytes`` too).
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import time
from types import ModuleType
from typing import Any

import cashapp_matcher._matcher as current
import numpy as np

from bench.matcher.generator import all_instances
from engine.matching.solver import Limits

FAMILIES = ("find-one", "exhaustive", "no-match", "dense")


def _load(path: str) -> ModuleType:
    # The init symbol follows the last name component, so the copy loads beside the installed one.
    loader = importlib.machinery.ExtensionFileLoader("ab_baseline._matcher", path)
    spec = importlib.util.spec_from_file_location("ab_baseline._matcher", path, loader=loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def _best(call: Any, args: tuple[Any, ...], reps: int) -> float:
    start = time.perf_counter()
    for _ in range(reps):
        call(*args)
    return (time.perf_counter() - start) / reps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("baseline")
    parser.add_argument("--base-args", type=int, default=11)
    parser.add_argument("--skip", nargs="*", default=[])
    opts = parser.parse_args()
    base = _load(opts.baseline)
    print(f"{'instance':42s} {'base us':>11s} {'new us':>11s} {'new/base':>8s}")
    for family in FAMILIES:
        for inst in all_instances()[family]:
            if any(inst.id.startswith(p) for p in opts.skip):
                continue
            a = np.asarray(inst.amounts, dtype=np.int64)
            z = np.zeros_like(a)
            budget = inst.params.get("node_budget", Limits().node_budget)
            new_args = (a, z, z, z, inst.payment, inst.max_items, inst.tolerance_minor, budget, 10)
            new_args += (Limits().memory_limit_bytes, Limits().max_solutions)
            base_args = new_args[: opts.base_args]
            got = current.solve_one_to_many(*new_args)
            assert base.solve_one_to_many(*base_args) == got, inst.id
            one = max(_best(base.solve_one_to_many, base_args, 1), 1e-7)
            reps = max(1, min(2_000, int(0.05 / one)))
            times = {"base": 1e9, "new": 1e9}
            for _ in range(5 if one < 0.5 else 1):
                times["base"] = min(times["base"], _best(base.solve_one_to_many, base_args, reps))
                times["new"] = min(times["new"], _best(current.solve_one_to_many, new_args, reps))
            ratio = times["new"] / times["base"]
            print(
                f"{inst.id:42s} {times['base'] * 1e6:11.1f} {times['new'] * 1e6:11.1f} {ratio:8.2f}"
                f"  {got[0]} {got[3]} nodes={got[4]}",
                flush=True,
            )


if __name__ == "__main__":
    main()
