"""Adapters from the project's solver (engine.matching.solver) to the benchmark's PeerAnswer.

"rust" is the compiled solver, "python" the pure-Python fallback running the same algorithm. Both
are imported lazily so the peers' numbers can be produced before the solver exists.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.matcher.generator import BatchInstance, Instance
from bench.matcher.peers import PeerAnswer


@functools.cache
def _solver() -> Any:
    return importlib.import_module("engine.matching.solver")


@functools.cache
def _backend(peer: str) -> Any:
    """The module (or object) exposing solve_one_to_many / solve_many_to_many / solve_batch."""
    if peer == "python":
        return importlib.import_module("engine.matching.solver_py")
    return importlib.import_module("engine.matching.solver_rs")


@functools.cache
def unavailable(peer: str) -> str:
    """Empty when the peer can run; otherwise the reason it cannot (recorded in RESULTS.md)."""
    try:
        _solver()
        _backend(peer)
    except Exception as exc:  # the reason is reported, not hidden
        return f"solver not available: {type(exc).__name__}: {exc}"
    return ""


def _limits(inst: Instance) -> Any:
    return _solver().Limits(max_items=inst.max_items, tolerance_minor=inst.tolerance_minor)


def to_answer(inst: Instance, sol: Any) -> PeerAnswer:
    outcome = sol.outcome.name
    found = tuple(sol.candidates[0].item_indices) if sol.candidates else None
    note = f"{sol.algorithm}, {sol.nodes} nodes"
    if outcome == "NO_MATCH":
        return PeerAnswer("no_match", count=0, note=note)
    if outcome == "BUDGET_EXHAUSTED":
        return PeerAnswer("budget", found=found, note=note)
    return PeerAnswer("matched", count=sol.candidate_count, found=found, note=note)


def solver_fn(peer: str) -> Callable[[Instance], PeerAnswer]:
    backend = _backend(peer)

    def solve(inst: Instance) -> PeerAnswer:
        sol = backend.solve_one_to_many(list(inst.amounts), inst.payment, _limits(inst))
        return to_answer(inst, sol)

    return solve


def one_to_many(peer: str, inst: Instance) -> Callable[[], PeerAnswer]:
    fn = solver_fn(peer)
    items = inst  # bound now so the timed call does no lookups
    return lambda: fn(items)


def reference_count(inst: Instance) -> int | None:
    """The Rust solver's count, when it is available and finished; peers are checked against it."""
    if inst.mode != "count" or unavailable("rust"):
        return None
    ans = solver_fn("rust")(inst)
    return ans.count if ans.status == "matched" else None


def batch(b: BatchInstance) -> Callable[[], list[int | None]]:
    raise NotImplementedError


def _unused(x: np.ndarray) -> None:  # placeholder until the batch API lands
    del x
