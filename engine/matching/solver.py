"""Exact subset solver: which open items (and payments) explain a payment.

Public API of the amount-matching step. Two implementations return identical
results bit for bit (same candidates, ranking, outcome, algorithm and node count):
the compiled Rust core (``cashapp_matcher._matcher``, the separate and optional
distribution ``cashapp-matcher`` built from matcher_rs/) and the pure-Python fallback
(``engine.matching.solver_py``, where the definitions are documented in full).

The environment variable ``CASHAPP_MATCHER`` chooses the implementation on every
call: ``auto`` (default: Rust when cashapp-matcher is installed, else Python), ``rust``
(ImportError when it is missing) or ``python``. Tests reach each
implementation directly through :func:`rust_backend` and :func:`python_backend`.
"""

from __future__ import annotations

import importlib
import operator
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TypeVar

import numpy as np

from engine.matching import solver_py
from engine.matching.kernels import count as count_py
from engine.matching.kernels.count import CountLimits, CountOutcome, SubsetCount
from engine.matching.solver_py import choose_algorithm, choose_algorithm_for_payment
from engine.matching.solver_types import (
    ALGORITHMS,
    OUTCOME_CODES,
    BatchProblem,
    BatchSolution,
    Candidate,
    Group,
    ItemsLike,
    Limits,
    ManyLimits,
    ManySolution,
    OpenItem,
    OpenItems,
    Outcome,
    Solution,
    check_int64,
    check_int64_inputs,
)

__all__ = [
    "ALGORITHMS",
    "ENV_VAR",
    "OUTCOME_CODES",
    "Backend",
    "BatchProblem",
    "BatchSolution",
    "Candidate",
    "CountLimits",
    "CountOutcome",
    "Group",
    "ItemsLike",
    "Limits",
    "ManyLimits",
    "ManySolution",
    "OpenItem",
    "OpenItems",
    "Outcome",
    "Solution",
    "SubsetCount",
    "backend_name",
    "choose_algorithm",
    "choose_algorithm_for_payment",
    "count_subsets",
    "count_subsets_multi",
    "python_backend",
    "rust_backend",
    "solve_batch",
    "solve_many_to_many",
    "solve_one_to_many",
    "solve_one_to_many_multi",
]

ENV_VAR = "CASHAPP_MATCHER"
_CHOICES = ("auto", "rust", "python")
_DEFAULT_LIMITS = Limits()
_DEFAULT_MANY_LIMITS = ManyLimits()
_DEFAULT_COUNT_LIMITS = CountLimits()


@dataclass(frozen=True, slots=True)
class Backend:
    """One implementation of the solver API."""

    name: str
    solve_one_to_many: Callable[[ItemsLike, int, Limits], Solution]
    solve_one_to_many_multi: Callable[[ItemsLike, Sequence[int], Limits], tuple[Solution, ...]]
    solve_many_to_many: Callable[[ItemsLike, Sequence[int], ManyLimits], ManySolution]
    solve_batch: Callable[[BatchProblem], BatchSolution]
    count_subsets: Callable[[ItemsLike, int, int, CountLimits], SubsetCount]
    count_subsets_multi: Callable[[ItemsLike, Sequence[int], int, CountLimits], tuple[SubsetCount, ...]]


_PYTHON = Backend(
    name="python",
    solve_one_to_many=solver_py.solve_one_to_many,
    solve_one_to_many_multi=solver_py.solve_one_to_many_multi,
    solve_many_to_many=solver_py.solve_many_to_many,
    solve_batch=solver_py.solve_batch,
    count_subsets=count_py.count_subsets,
    count_subsets_multi=count_py.count_subsets_multi,
)


EXTENSION_MODULE = "cashapp_matcher._matcher"


def _load_extension() -> ModuleType | None:
    # The extension ships in its own wheel so that installing the engine never needs Rust.
    try:
        return importlib.import_module(EXTENSION_MODULE)
    except ImportError:
        return None


_EXTENSION = _load_extension()
if _EXTENSION is not None:
    # The extension builds these result types itself (no conversion of raw tuples here).
    _EXTENSION.register_result_types(Solution, Candidate, ManySolution, Group, OUTCOME_CODES)


def _no_extension(*_args: object) -> Solution:
    raise ImportError(f"{EXTENSION_MODULE} is not installed")


# The one-payment entry looked up once: a global read per call instead of a global and an
# attribute. Only the Rust backend calls it, and that exists only with the extension.
_EXT_ONE: Callable[..., Solution] = _no_extension if _EXTENSION is None else _EXTENSION.solve_one_to_many


_AMOUNT = operator.attrgetter("amount_minor")
_DISCOUNTED = operator.attrgetter("discounted_minor")
_DUE = operator.attrgetter("due_ordinal")
_REFERENCE = operator.attrgetter("reference_score")


def _item_columns(items: ItemsLike) -> tuple[object, object, object, object]:
    """The four columns the extension takes: OpenItems' arrays as they are (read in
    place), or lists read off OpenItem objects (None: no discount)."""
    if isinstance(items, OpenItems):
        return items.amounts_minor, items.discounted_minor, items.due_ordinal, items.reference_score
    return (
        list(map(_AMOUNT, items)),
        list(map(_DISCOUNTED, items)),
        list(map(_DUE, items)),
        list(map(_REFERENCE, items)),
    )


_T = TypeVar("_T")


def _checked_call(call: Callable[[], _T], check: Callable[[], None]) -> _T:
    """Calls the extension directly; only when it fails does ``check`` (the representability
    checks shared with the Python backend) run, so a field that is not an int64 raises the
    same named TypeError / ValueError as before, and valid input skips the per-field Python
    checks (the extension converts every argument to int64 itself, refusing the rest)."""
    try:
        return call()
    except (TypeError, OverflowError, ValueError):
        check()
        raise


def _rust_one(items: ItemsLike, payment_minor: int, limits: Limits = _DEFAULT_LIMITS) -> Solution:
    # The hot path of one payment, kept free of closures and helper calls: at n = 10 the
    # search itself takes about half a microsecond, so each bytecode here counts (the
    # extension's function is a module global; one call site for either kind of items). The
    # extension returns the Solution itself (see matcher_rs/binding/src/results.rs).
    a: object
    d: object
    due: object
    ref: object
    if type(items) is OpenItems:
        a, d, due, ref = items.amounts_minor, items.discounted_minor, items.due_ordinal, items.reference_score
    else:
        a, d, due, ref = _item_columns(items)
    try:
        return _EXT_ONE(
            a,
            d,
            due,
            ref,
            payment_minor,
            limits.max_items,
            limits.tolerance_minor,
            limits.node_budget,
            limits.max_candidates,
            limits.memory_limit_bytes,
            limits.max_solutions,
        )
    except (TypeError, OverflowError, ValueError):
        _check_one(items, payment_minor, limits)
        raise


def _check_one(items: ItemsLike, payment_minor: int, limits: Limits) -> None:
    """After the extension refused a call, as _checked_call: the named representability
    errors first (the caller re-raises the extension's error when there is none)."""
    check_int64_inputs(
        items,
        {
            "limits.max_items": limits.max_items,
            "limits.tolerance_minor": limits.tolerance_minor,
            "limits.node_budget": limits.node_budget,
            "limits.max_candidates": limits.max_candidates,
            "limits.memory_limit_bytes": limits.memory_limit_bytes,
            "limits.max_solutions": limits.max_solutions,
            "payment_minor": payment_minor,
        },
    )


# The extension returns each group / count as a tuple of exactly the result type's fields
# (index and flag tuples included), so it becomes the NamedTuple without a copy.
_as_result = tuple.__new__


def _rust_one_multi(
    items: ItemsLike, payments_minor: Sequence[int], limits: Limits = _DEFAULT_LIMITS
) -> tuple[Solution, ...]:
    assert _EXTENSION is not None
    ext = _EXTENSION
    l_ = limits

    def check() -> None:
        numbers = {
            "limits.max_items": l_.max_items,
            "limits.tolerance_minor": l_.tolerance_minor,
            "limits.node_budget": l_.node_budget,
            "limits.max_candidates": l_.max_candidates,
            "limits.memory_limit_bytes": l_.memory_limit_bytes,
            "limits.max_solutions": l_.max_solutions,
        }
        numbers.update({f"payments_minor[{j}]": p for j, p in enumerate(payments_minor)})
        check_int64_inputs(items, numbers)

    raw = _checked_call(
        lambda: ext.solve_one_to_many_multi(
            *_item_columns(items),
            list(payments_minor),
            l_.max_items,
            l_.tolerance_minor,
            l_.node_budget,
            l_.max_candidates,
            l_.memory_limit_bytes,
            l_.max_solutions,
        ),
        check,
    )
    return tuple(raw)


def _rust_many(
    items: ItemsLike,
    payments_minor: Sequence[int],
    limits: ManyLimits = _DEFAULT_MANY_LIMITS,
) -> ManySolution:
    # As _rust_one: no closures, and the extension returns the ManySolution itself.
    assert _EXTENSION is not None
    l_ = limits
    a: object
    d: object
    due: object
    ref: object
    if type(items) is OpenItems:
        a, d, due, ref = items.amounts_minor, items.discounted_minor, items.due_ordinal, items.reference_score
    else:
        a, d, due, ref = _item_columns(items)
    payments = payments_minor if type(payments_minor) is list else list(payments_minor)
    try:
        return _EXTENSION.solve_many_to_many(  # type: ignore[no-any-return]
            a,
            d,
            due,
            ref,
            payments,
            l_.max_payments,
            l_.max_items,
            l_.tolerance_minor,
            l_.node_budget,
            l_.max_candidates,
            l_.memory_limit_bytes,
        )
    except (TypeError, OverflowError, ValueError):
        # As _checked_call: the named representability errors first, else the extension's.
        numbers = {
            "limits.max_items": l_.max_items,
            "limits.tolerance_minor": l_.tolerance_minor,
            "limits.node_budget": l_.node_budget,
            "limits.max_candidates": l_.max_candidates,
            "limits.memory_limit_bytes": l_.memory_limit_bytes,
            "limits.max_payments": l_.max_payments,
        }
        numbers.update({f"payments_minor[{j}]": p for j, p in enumerate(payments)})
        check_int64_inputs(items, numbers)
        raise


def _rust_batch(problem: BatchProblem, num_threads: int = 0) -> BatchSolution:
    """Solves the batch in Rust; ``num_threads=0`` uses rayon's global pool."""
    assert _EXTENSION is not None
    l_ = problem.limits
    for name, value in (
        ("limits.max_items", l_.max_items),
        ("limits.tolerance_minor", l_.tolerance_minor),
        ("limits.node_budget", l_.node_budget),
        ("limits.max_candidates", l_.max_candidates),
        ("limits.memory_limit_bytes", l_.memory_limit_bytes),
        ("limits.max_solutions", l_.max_solutions),
    ):
        check_int64(name, value)
    if num_threads < 0:
        raise ValueError("num_threads must be >= 0")

    def arr(a: np.typing.ArrayLike) -> np.typing.NDArray[np.int64]:
        return np.ascontiguousarray(a, dtype=np.int64)

    out = _EXTENSION.solve_batch(
        arr(problem.item_offsets),
        arr(problem.amounts_minor),
        arr(problem.discounted_minor),
        arr(problem.due_ordinal),
        arr(problem.reference_score),
        arr(problem.payments_minor),
        l_.max_items,
        l_.tolerance_minor,
        l_.node_budget,
        l_.max_candidates,
        l_.memory_limit_bytes,
        l_.max_solutions,
        num_threads,
    )
    return BatchSolution(*out)


_COUNT_OUTCOME_OF = {o.value: o for o in CountOutcome}


def _count_check(
    items: ItemsLike, payments: dict[str, int], tolerance_minor: int, limits: CountLimits
) -> Callable[[], None]:
    def check() -> None:
        numbers = {
            "tolerance_minor": tolerance_minor,
            "limits.max_bits": limits.max_bits,
            "limits.max_witness_bits": limits.max_witness_bits,
        }
        check_int64_inputs(items, numbers | payments)

    return check


def _subset_count(
    raw: tuple[str, int | None, tuple[int, ...], tuple[bool, ...], int | None, bool],
) -> SubsetCount:
    outcome, *rest = raw
    return _as_result(SubsetCount, (_COUNT_OUTCOME_OF[outcome], *rest))


def _rust_count(
    items: ItemsLike,
    payment_minor: int,
    tolerance_minor: int = 0,
    limits: CountLimits = _DEFAULT_COUNT_LIMITS,
) -> SubsetCount:
    assert _EXTENSION is not None
    ext = _EXTENSION
    raw = _checked_call(
        lambda: ext.count_subsets(
            *_item_columns(items), payment_minor, tolerance_minor, limits.max_bits, limits.max_witness_bits
        ),
        _count_check(items, {"payment_minor": payment_minor}, tolerance_minor, limits),
    )
    return _subset_count(raw)


def _rust_count_multi(
    items: ItemsLike,
    payments_minor: Sequence[int],
    tolerance_minor: int = 0,
    limits: CountLimits = _DEFAULT_COUNT_LIMITS,
) -> tuple[SubsetCount, ...]:
    assert _EXTENSION is not None
    ext = _EXTENSION
    payments = {f"payments_minor[{j}]": p for j, p in enumerate(payments_minor)}
    raw = _checked_call(
        lambda: ext.count_subsets_multi(
            *_item_columns(items),
            list(payments_minor),
            tolerance_minor,
            limits.max_bits,
            limits.max_witness_bits,
        ),
        _count_check(items, payments, tolerance_minor, limits),
    )
    return tuple(_subset_count(r) for r in raw)


def _rust_backend_or_none() -> Backend | None:
    if _EXTENSION is None:
        return None
    return Backend(
        name="rust",
        solve_one_to_many=_rust_one,
        solve_one_to_many_multi=_rust_one_multi,
        solve_many_to_many=_rust_many,
        solve_batch=_rust_batch,
        count_subsets=_rust_count,
        count_subsets_multi=_rust_count_multi,
    )


_RUST = _rust_backend_or_none()


def python_backend() -> Backend:
    """The pure-Python implementation."""
    return _PYTHON


def rust_backend() -> Backend:
    """The Rust implementation; ImportError when the extension is not built."""
    if _RUST is None:
        raise ImportError(
            f"{EXTENSION_MODULE} (the Rust solver, distribution cashapp-matcher) is not installed; "
            "install it with `pip install ./matcher_rs` (needs cargo) or set CASHAPP_MATCHER=python"
        )
    return _RUST


def _selected() -> Backend:
    choice = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto"
    if choice not in _CHOICES:
        raise ValueError(f"{ENV_VAR} must be one of auto, rust, python; got {choice!r}")
    if choice == "python" or (choice == "auto" and _RUST is None):
        return _PYTHON
    return rust_backend()


def backend_name() -> str:
    """``"rust"`` or ``"python"``: what the dispatcher chooses now."""
    return _selected().name


def solve_one_to_many(items: ItemsLike, payment_minor: int, limits: Limits = _DEFAULT_LIMITS) -> Solution:
    """Every set of at most ``max_items`` items whose total meets the payment within
    tolerance, ranked, with the verdict (see ``solver_py`` for the definitions)."""
    return _selected().solve_one_to_many(items, payment_minor, limits)


def solve_one_to_many_multi(
    items: ItemsLike, payments_minor: Sequence[int], limits: Limits = _DEFAULT_LIMITS
) -> tuple[Solution, ...]:
    """One :func:`solve_one_to_many` result per payment of the same customer (same items):
    same candidates, ranking, count and outcome as separate calls; the sorted entries and
    pair-sum tables are built once for all payments (Rust solves them in parallel). Every
    field, node counts included, is identical too except where the ``ksum_shared_triples``
    kernel serves (k in 4..5, many payments; see ``solver_py.solve_one_to_many_multi``)."""
    return _selected().solve_one_to_many_multi(items, payments_minor, limits)


def solve_many_to_many(
    items: ItemsLike,
    payments_minor: Sequence[int],
    limits: ManyLimits = _DEFAULT_MANY_LIMITS,
) -> ManySolution:
    """Groups of payments explained by groups of items, ranked, with the verdict."""
    return _selected().solve_many_to_many(items, payments_minor, limits)


def solve_batch(problem: BatchProblem, *, num_threads: int = 0) -> BatchSolution:
    """Many independent one-to-many problems. In Rust the GIL is released for the
    whole call and problems run in parallel (``num_threads=0``: rayon's default);
    results do not depend on the thread count. Python solves them in order."""
    backend = _selected()
    if backend is _RUST:
        return _rust_batch(problem, num_threads)
    return backend.solve_batch(problem)


def count_subsets(
    items: ItemsLike,
    payment_minor: int,
    tolerance_minor: int = 0,
    limits: CountLimits = _DEFAULT_COUNT_LIMITS,
) -> SubsetCount:
    """How many explanations of ANY subset size meet the payment within the tolerance (capped
    at 2: outcome NONE / ONE / MANY, or TOO_LARGE when ``payment + tolerance + 1`` exceeds
    ``limits.max_bits``), and the unique one when exactly one does (see
    ``engine.matching.kernels.count`` for the definitions). Cost O(n * (payment + tolerance) / 64)
    word operations; the decision policy asks it before auto-applying an amount-only match."""
    return _selected().count_subsets(items, payment_minor, tolerance_minor, limits)


def count_subsets_multi(
    items: ItemsLike,
    payments_minor: Sequence[int],
    tolerance_minor: int = 0,
    limits: CountLimits = _DEFAULT_COUNT_LIMITS,
) -> tuple[SubsetCount, ...]:
    """One :func:`count_subsets` result per payment of the same items, identical to separate
    calls; the DP tables are built once, up to the largest payment that fits the limits."""
    return _selected().count_subsets_multi(items, payments_minor, tolerance_minor, limits)
