"""Where the time of one small solver call goes (n <= 20), Rust against its Python twin.

At n = 10 the search itself is a fraction of a microsecond, so the fixed cost of a call decides
the Rust / Python ratio. Each row splits one Rust call of a bench instance into:

- ``empty``: the raw extension call on zero items (argument parsing, borrowing the four
  columns, validation, an empty result): the floor of every call;
- ``raw``: the raw extension call on the instance (adds converting the items, the search and
  building the raw result tuples);
- ``raw, no candidates``: the same with ``max_candidates=0`` (no candidate tuples built), so
  ``raw - raw, no candidates`` is the cost of the returned candidates;
- ``facade``: ``rust_backend().solve_one_to_many`` (adds the Python wrapper: the Solution and
  Candidate NamedTuples);
- ``python``: ``python_backend().solve_one_to_many``, the twin, and the ratio python / facade.

Times are the best of ``--repeat`` short rounds of ``--number`` calls (best, not mean: on a shared
machine many short rounds catch quiet moments); CPU seconds of the run are printed at the end.

    RAYON_NUM_THREADS=1 .venv/bin/python -m bench.matcher.small_n [--number 500] [--repeat 300]

A baseline: an older checkout's engine/ and bench/ with its built cashapp_matcher package in one
folder, first on the path (``PYTHONPATH=/tmp/base .venv/bin/python -m bench.matcher.small_n``).
"""

from __future__ import annotations

import argparse
import time
import timeit
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from bench.matcher import project
from bench.matcher.generator import Instance, all_instances
from engine.matching import solver
from engine.matching.solver import Limits, OpenItems

SMALL_N = 20


def _instances() -> list[Instance]:
    out = []
    for fam in ("find-one", "exhaustive", "no-match"):
        out += [i for i in all_instances()[fam] if i.params["n"] <= SMALL_N]
    return out


def _best(call: Callable[[], object], number: int, repeat: int) -> float:
    """Seconds per call, best of ``repeat`` rounds."""
    return min(timeit.repeat(call, number=number, repeat=repeat)) / number


def _limits(inst: Instance, **over: int) -> Limits:
    """The limits of the bench run (project.limits_of), with ``over`` replaced."""
    limits = project.limits_of(inst)
    return replace(limits, **over) if over else limits


def _raw_args(items: OpenItems, payment: int, limits: Limits) -> tuple[object, ...]:
    # A build before limits.max_solutions takes ten arguments (for a baseline run from an
    # older checkout on PYTHONPATH).
    newer = (limits.max_solutions,) if hasattr(limits, "max_solutions") else ()
    return (
        items.amounts_minor,
        items.discounted_minor,
        items.due_ordinal,
        items.reference_score,
        payment,
        limits.max_items,
        limits.tolerance_minor,
        limits.node_budget,
        limits.max_candidates,
        limits.memory_limit_bytes,
        *newer,
    )


def _row(inst: Instance, number: int, repeat: int) -> str:
    """One instance's line of the table."""
    ext = solver._EXTENSION
    assert ext is not None, "the Rust extension is not installed"
    rust, python = solver.rust_backend(), solver.python_backend()
    empty = OpenItems.of_amounts(np.zeros(0, dtype=np.int64))
    items, payment, limits = OpenItems.of_amounts(inst.amounts), inst.payment, _limits(inst)
    a_empty = _raw_args(empty, payment, limits)
    a_raw = _raw_args(items, payment, limits)
    a_nocand = _raw_args(items, payment, _limits(inst, max_candidates=0))
    n, r = number, repeat
    t_empty = _best(lambda: ext.solve_one_to_many(*a_empty), n, r)
    t_raw = _best(lambda: ext.solve_one_to_many(*a_raw), n, r)
    t_nocand = _best(lambda: ext.solve_one_to_many(*a_nocand), n, r)
    t_facade = _best(lambda: rust.solve_one_to_many(items, payment, limits), n, r)
    t_python = _best(lambda: python.solve_one_to_many(items, payment, limits), max(n // 25, 1), r)
    assert rust.solve_one_to_many(items, payment, limits) == python.solve_one_to_many(items, payment, limits)
    us = [f"{t * 1e6:.2f} µs" for t in (t_empty, t_raw, t_nocand, t_facade, t_python)]
    return f"| {inst.id} | {' | '.join(us)} | {t_python / t_facade:.1f}x |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    print("| instance | empty | raw | raw, no candidates | facade | python | python / facade |")
    print("|---|---|---|---|---|---|---|")
    for inst in _instances():
        print(_row(inst, args.number, args.repeat))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    print(f"\n{cpu:.1f} CPU s in {wall:.1f} s wall")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
