"""Peers that solve the benchmark instances: itertools, CP-SAT, HiGHS, flsss, and the project solver.

Each peer returns a PeerAnswer; check_answer() verifies it on the instance itself (a found set is
re-summed, a count is compared with the reference when one is known). OR-Tools and highspy bundle
two incompatible builds of HiGHS, so they are imported lazily and run.sh runs their suites in
separate processes.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.matcher.generator import Instance

PEER_TIME_LIMIT_SECONDS = 10.0
# flsss returns every solution as its own array; past this many the count is reported as capped.
FLSSS_SOLUTION_CAP = 1_000_000


@dataclass
class PeerAnswer:
    """status: "matched", "no_match", "timeout", "capped" or "budget" (node budget exhausted)."""

    status: str
    count: int | None = None  # set when the peer enumerated every matching item set
    found: tuple[int, ...] | None = None  # one matching item set, when the peer found one
    found_many: tuple[tuple[int, ...], ...] | None = None  # many-to-many: one group per payment
    note: str = ""
    nodes: int = 0  # the project solver's node counter; 0 for other peers

    def as_info(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "count": self.count,
            "found": list(self.found) if self.found is not None else None,
            "note": self.note,
            "nodes": self.nodes,
        }


def check_answer(inst: Instance, ans: PeerAnswer, reference_count: int | None = None) -> None:
    """Raise AssertionError when a peer's answer is wrong for this instance."""
    lo, hi = inst.payment - inst.tolerance_minor, inst.payment + inst.tolerance_minor
    if ans.found is not None:
        idx = ans.found
        assert len(set(idx)) == len(idx) and 1 <= len(idx) <= inst.max_items, (inst.id, idx)
        total = sum(inst.amounts[i] for i in idx)
        assert lo <= total <= hi, (inst.id, idx, total, inst.payment)
    if inst.mode == "nomatch":
        assert ans.status in ("no_match", "timeout", "budget", "capped"), (inst.id, ans)
        assert not ans.count, (inst.id, ans)
    if inst.mode == "find":
        assert ans.status != "no_match", (inst.id, "a planted match exists", ans)
    if ans.count is not None and reference_count is not None:
        assert ans.count == reference_count, (inst.id, ans.count, reference_count)
    if ans.count is not None and inst.mode == "count":
        assert ans.count >= 1, (inst.id, "the planted set matches", ans)


# ---------------------------------------------------------------- itertools (plain baseline)


def itertools_combos(inst: Instance) -> int:
    """Combinations a full scan visits (sizes 1..k); the basis of the skip estimate."""
    return sum(math.comb(inst.n, r) for r in range(1, inst.max_items + 1))


def itertools_solve(inst: Instance) -> PeerAnswer:
    lo, hi = inst.payment - inst.tolerance_minor, inst.payment + inst.tolerance_minor
    amounts = inst.amounts
    # A no-match proof is a full count that comes out zero; counting over amounts alone is the
    # fastest plain scan.
    if inst.mode in ("count", "nomatch"):
        count = 0
        for r in range(1, inst.max_items + 1):
            for combo in itertools.combinations(amounts, r):
                if lo <= sum(combo) <= hi:
                    count += 1
        return PeerAnswer("matched" if count else "no_match", count=count)
    for r in range(1, inst.max_items + 1):
        for idx in itertools.combinations(range(inst.n), r):
            if lo <= sum(amounts[i] for i in idx) <= hi:
                return PeerAnswer("matched", found=idx)
    return PeerAnswer("no_match", count=0)


def itertools_find_visits(inst: Instance) -> int:
    """Upper bound on combinations a find-one scan visits before reaching the planted set."""
    planted = inst.planted[0]
    r, n = len(planted), inst.n
    before = sum(math.comb(n, s) for s in range(1, r))
    # Lexicographic rank of the planted set among the r-sets of range(n).
    rank, prev = 0, -1
    for pos, i in enumerate(planted):
        for j in range(prev + 1, i):
            rank += math.comb(n - j - 1, r - pos - 1)
        prev = i
    return before + rank + 1


# ---------------------------------------------------------------- OR-Tools CP-SAT


def cpsat_solve(inst: Instance, time_limit: float = PEER_TIME_LIMIT_SECONDS) -> PeerAnswer:
    """Find-one / no-match: plain feasibility solve. Count: CP-SAT's solution enumeration."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    xs = [model.new_bool_var(f"x{i}") for i in range(inst.n)]
    total = cp_model.LinearExpr.weighted_sum(xs, list(inst.amounts))
    model.add(total >= inst.payment - inst.tolerance_minor)
    model.add(total <= inst.payment + inst.tolerance_minor)
    model.add(sum(xs) <= inst.max_items)
    model.add(sum(xs) >= 1)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = time_limit
    if inst.mode == "count":
        return _cpsat_count(solver, model, xs)
    status = solver.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        found = tuple(i for i, x in enumerate(xs) if solver.boolean_value(x))
        return PeerAnswer("matched", found=found)
    if status == cp_model.INFEASIBLE:
        return PeerAnswer("no_match", count=0)
    return PeerAnswer("timeout", note=f"no answer in {time_limit:g} s")


def _cpsat_count(solver: Any, model: Any, xs: list[Any]) -> PeerAnswer:
    from ortools.sat.python import cp_model

    class Counter(cp_model.CpSolverSolutionCallback):
        def __init__(self) -> None:
            super().__init__()
            self.count = 0
            self.first: tuple[int, ...] | None = None

        def on_solution_callback(self) -> None:
            self.count += 1
            if self.first is None:
                self.first = tuple(i for i, x in enumerate(xs) if self.boolean_value(x))

    counter = Counter()
    solver.parameters.enumerate_all_solutions = True
    status = solver.solve(model, counter)
    if status == cp_model.OPTIMAL:
        return PeerAnswer("matched", count=counter.count, found=counter.first)
    if status == cp_model.INFEASIBLE:
        return PeerAnswer("no_match", count=0)
    limit = solver.parameters.max_time_in_seconds
    return PeerAnswer("timeout", found=counter.first, note=f"{counter.count} sets enumerated in {limit:g} s")


# ---------------------------------------------------------------- HiGHS (MIP, find-one only)


def highs_solve(inst: Instance, time_limit: float = PEER_TIME_LIMIT_SECONDS) -> PeerAnswer:
    """A MIP finds one feasible set (or proves none); HiGHS cannot enumerate, so no counts."""
    import highspy

    n = inst.n
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("time_limit", float(time_limit))
    h.addVars(n, np.zeros(n), np.ones(n))
    h.changeColsIntegrality(
        n, np.arange(n, dtype=np.int32), np.full(n, int(highspy.HighsVarType.kInteger), np.uint8)
    )
    lower = np.array([inst.payment - inst.tolerance_minor, 1], dtype=np.float64)
    upper = np.array([inst.payment + inst.tolerance_minor, inst.max_items], dtype=np.float64)
    starts = np.array([0, n], dtype=np.int32)
    index = np.concatenate([np.arange(n), np.arange(n)]).astype(np.int32)
    values = np.concatenate([np.array(inst.amounts, dtype=np.float64), np.ones(n)])
    h.addRows(2, lower, upper, 2 * n, starts, index, values)
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        col = h.getSolution().col_value
        return PeerAnswer("matched", found=tuple(i for i in range(n) if col[i] > 0.5))
    if status == highspy.HighsModelStatus.kInfeasible:
        return PeerAnswer("no_match", count=0)
    if status == highspy.HighsModelStatus.kTimeLimit:
        return PeerAnswer("timeout", note=f"no answer in {time_limit:g} s")
    return PeerAnswer("timeout", note=f"HiGHS status {h.modelStatusToString(status)}")


# ---------------------------------------------------------------- flsss


def flsss_solve(inst: Instance, time_limit: float = PEER_TIME_LIMIT_SECONDS) -> PeerAnswer:
    """flsss searches one subset size at a time (len=L), or any size (len=0) when k = n."""
    from flsss import gen  # type: ignore[import-untyped]

    x = np.array(inst.amounts, dtype=np.int64)
    lo, hi = inst.payment - inst.tolerance_minor, inst.payment + inst.tolerance_minor
    enumerate_all = inst.mode == "count"
    cap = FLSSS_SOLUTION_CAP if enumerate_all else 1
    sizes = [0] if inst.max_items >= inst.n else list(range(1, inst.max_items + 1))
    deadline = time.perf_counter() + time_limit
    count, first = 0, None
    for size in sizes:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return PeerAnswer("timeout", found=first, note=f"no answer in {time_limit:g} s")
        sols = gen(x, lo, hi, len=size, n_solutions=cap, time_limit=remaining, n_threads=1)
        if sols and first is None:
            first = tuple(sorted(int(i) for i in sols[0]))
        count += len(sols)
        if len(sols) >= cap and enumerate_all:
            return PeerAnswer("capped", found=first, note=f"stopped at {cap} sets")
        if first is not None and not enumerate_all:
            return PeerAnswer("matched", found=first)
        if time.perf_counter() >= deadline:
            return PeerAnswer("timeout", found=first, note=f"no answer in {time_limit:g} s")
    if not enumerate_all:
        return PeerAnswer("no_match", count=0)
    return PeerAnswer("matched" if count else "no_match", count=count, found=first)


def warm_import(peer: str) -> None:
    """Import a peer's package outside the timed region (ortools alone takes ~0.3 s)."""
    if peer == "cpsat":
        from ortools.sat.python import cp_model  # noqa: F401
    elif peer == "highs":
        import highspy  # noqa: F401
    elif peer == "flsss":
        import flsss  # noqa: F401


# ---------------------------------------------------------------- many-to-many
# A group is (P, S): <= max_payments payments and <= k items with |sum(P) - total(S)| <= tol.
# Every peer counts groups; HiGHS finds one.


def payment_sets(inst: Instance) -> list[tuple[int, ...]]:
    m = len(inst.payments)
    top = min(inst.params["max_payments"], m)
    return [c for r in range(1, top + 1) for c in itertools.combinations(range(m), r)]


def check_many(inst: Instance, ans: PeerAnswer, reference_count: int | None = None) -> None:
    if ans.found_many is not None:
        pays, idx = ans.found_many
        assert 1 <= len(pays) <= inst.params["max_payments"], (inst.id, pays)
        assert 1 <= len(idx) <= inst.max_items and len(set(idx)) == len(idx), (inst.id, idx)
        diff = sum(inst.payments[j] for j in pays) - sum(inst.amounts[i] for i in idx)
        assert abs(diff) <= inst.tolerance_minor, (inst.id, pays, idx, diff)
    assert ans.status != "no_match", (inst.id, "planted groups exist", ans)
    if ans.count is not None:
        assert ans.count >= len(inst.payments), (inst.id, "each planted group counts", ans)
        if reference_count is not None:
            assert ans.count == reference_count, (inst.id, ans.count, reference_count)


def many_itertools_combos(inst: Instance) -> int:
    return len(payment_sets(inst)) * itertools_combos(inst)


def many_itertools(inst: Instance) -> PeerAnswer:
    tol, count, first = inst.tolerance_minor, 0, None
    for pays in payment_sets(inst):
        target = sum(inst.payments[j] for j in pays)
        for r in range(1, inst.max_items + 1):
            for combo in itertools.combinations(inst.amounts, r):
                if abs(target - sum(combo)) <= tol:
                    count += 1
    return PeerAnswer("matched" if count else "no_match", count=count, found_many=first)


def _single(inst: Instance, target: int) -> Instance:
    return Instance(
        inst.id,
        inst.family,
        "count",
        inst.amounts,
        (target,),
        inst.max_items,
        inst.tolerance_minor,
    )


def many_flsss(inst: Instance, time_limit: float = PEER_TIME_LIMIT_SECONDS) -> PeerAnswer:
    """flsss has no many-to-many mode: one counting call per payment set, under one deadline."""
    deadline = time.perf_counter() + time_limit
    count, first = 0, None
    for pays in payment_sets(inst):
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return PeerAnswer("timeout", found_many=first, note=f"no answer in {time_limit:g} s")
        ans = flsss_solve(_single(inst, sum(inst.payments[j] for j in pays)), remaining)
        if ans.status in ("timeout", "capped"):
            return PeerAnswer(ans.status, found_many=first, note=ans.note)
        count += ans.count or 0
        if first is None and ans.found is not None:
            first = (pays, ans.found)
    return PeerAnswer("matched" if count else "no_match", count=count, found_many=first)


def _many_model(inst: Instance) -> tuple[Any, list[Any], list[Any]]:
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    ys = [model.new_bool_var(f"y{j}") for j in range(len(inst.payments))]
    xs = [model.new_bool_var(f"x{i}") for i in range(inst.n)]
    diff = cp_model.LinearExpr.weighted_sum(ys, list(inst.payments)) - cp_model.LinearExpr.weighted_sum(
        xs, list(inst.amounts)
    )
    model.add(diff >= -inst.tolerance_minor)
    model.add(diff <= inst.tolerance_minor)
    model.add(sum(ys) >= 1)
    model.add(sum(ys) <= inst.params["max_payments"])
    model.add(sum(xs) >= 1)
    model.add(sum(xs) <= inst.max_items)
    return model, ys, xs


def many_cpsat(inst: Instance, time_limit: float = PEER_TIME_LIMIT_SECONDS) -> PeerAnswer:
    from ortools.sat.python import cp_model

    model, ys, xs = _many_model(inst)

    class Counter(cp_model.CpSolverSolutionCallback):
        def __init__(self) -> None:
            super().__init__()
            self.count = 0
            self.first: tuple[tuple[int, ...], tuple[int, ...]] | None = None

        def on_solution_callback(self) -> None:
            self.count += 1
            if self.first is None:
                self.first = (self._pick(ys), self._pick(xs))

        def _pick(self, variables: list[Any]) -> tuple[int, ...]:
            return tuple(i for i, v in enumerate(variables) if self.boolean_value(v))

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.enumerate_all_solutions = True
    counter = Counter()
    status = solver.solve(model, counter)
    if status == cp_model.OPTIMAL:
        return PeerAnswer("matched", count=counter.count, found_many=counter.first)
    if status == cp_model.INFEASIBLE:
        return PeerAnswer("no_match", count=0)
    return PeerAnswer(
        "timeout",
        found_many=counter.first,
        note=f"{counter.count} groups enumerated in {time_limit:g} s",
    )


def many_highs(inst: Instance, time_limit: float = PEER_TIME_LIMIT_SECONDS) -> PeerAnswer:
    """One group (P, S) as a MIP feasibility problem; HiGHS cannot count."""
    import highspy

    m, n = len(inst.payments), inst.n
    cols = m + n
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("time_limit", float(time_limit))
    h.addVars(cols, np.zeros(cols), np.ones(cols))
    h.changeColsIntegrality(
        cols,
        np.arange(cols, dtype=np.int32),
        np.full(cols, int(highspy.HighsVarType.kInteger), np.uint8),
    )
    tol = inst.tolerance_minor
    lower = np.array([-tol, 1, 1], dtype=np.float64)
    upper = np.array([tol, inst.params["max_payments"], inst.max_items], dtype=np.float64)
    starts = np.array([0, cols, cols + m], dtype=np.int32)
    index = np.concatenate([np.arange(cols), np.arange(m), m + np.arange(n)]).astype(np.int32)
    values = np.concatenate(
        [
            np.array(inst.payments, dtype=np.float64),
            -np.array(inst.amounts, dtype=np.float64),
            np.ones(m),
            np.ones(n),
        ]
    )
    h.addRows(3, lower, upper, len(index), starts, index, values)
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        col = h.getSolution().col_value
        pays = tuple(j for j in range(m) if col[j] > 0.5)
        idx = tuple(i for i in range(n) if col[m + i] > 0.5)
        return PeerAnswer("matched", found_many=(pays, idx))
    if status == highspy.HighsModelStatus.kInfeasible:
        return PeerAnswer("no_match", count=0)
    return PeerAnswer("timeout", note=f"no answer in {time_limit:g} s")
