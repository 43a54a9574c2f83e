"""Times the reconciliation report on a kept database (bench.reconcile.build), check by check,
in process: wall seconds and this process's CPU seconds per check and for the whole report.

    python -m bench.reconcile.profile URL [--repeat 3] [--engine-root DIR]

The checks are timed inside one call of the report itself: every function of engine.invariants
the report calls is wrapped for the call, so the list of checks is the report's own (a check
added there is timed here without a change). A function called by another is timed inside its
caller too (shown indented by call depth).

--engine-root puts another checkout's `engine` package first on the path (for example a `git
archive main` export), so the code before and after a change can be timed on the same database,
alternating. On PostgreSQL the server's own CPU is not in the process CPU: compare wall there.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any


@contextmanager
def _timing_each_function(module: ModuleType, times: list[tuple[int, str, float, float]]) -> Iterator[None]:
    """Wraps every function defined in `module` (not the report itself) so that each call
    appends (depth, name, wall, cpu) to `times`; restores them on exit."""
    originals = {
        name: f
        for name, f in vars(module).items()
        if inspect.isfunction(f) and f.__module__ == module.__name__ and name != "reconciliation_report"
    }
    depth = [0]

    def wrapped(name: str, f: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.process_time()
            depth[0] += 1
            try:
                return f(*args, **kwargs)
            finally:
                depth[0] -= 1
                times.append((depth[0], name, time.perf_counter() - wall, time.process_time() - cpu))

        return timed

    try:
        for name, f in originals.items():
            setattr(module, name, wrapped(name, f))
        yield
    finally:
        for name, f in originals.items():
            setattr(module, name, f)


def _report_once(invariants: ModuleType, store: Any, per_check: bool) -> None:
    times: list[tuple[int, str, float, float]] = []
    wall, cpu = time.perf_counter(), time.process_time()
    if per_check:
        with _timing_each_function(invariants, times):
            report = invariants.reconciliation_report(store)
    else:
        report = invariants.reconciliation_report(store)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    for depth, name, w, c in _in_call_order(times):
        print(f"  {'  ' * depth}{name:{32 - 2 * depth}} wall {w:7.2f} s  cpu {c:7.2f} s")
    failed = [c.name for c in report.invariants if c.violations]
    print(
        f"  {'reconciliation_report':32} wall {wall:7.2f} s  cpu {cpu:7.2f} s  "
        f"entries {report.journal_entry_count:,} head {report.journal_chain_head[:12]} failed {failed}",
        flush=True,
    )


def _in_call_order(times: list[tuple[int, str, float, float]]) -> list[tuple[int, str, float, float]]:
    """`times` is in finishing order (callees before their caller); this puts each caller before
    the callees that finished just before it."""
    ordered: list[tuple[int, str, float, float]] = []
    pending: list[tuple[int, str, float, float]] = []
    for row in times:
        if row[0] == 0:
            ordered += [row, *pending]
            pending = []
        else:
            pending.append(row)
    return ordered + pending


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("url")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--engine-root", default="")
    parser.add_argument("--tenant", default="default")
    parser.add_argument("--total-only", action="store_true")
    args = parser.parse_args(argv)
    if args.engine_root:
        sys.path.insert(0, args.engine_root)
    from engine import invariants
    from engine.storage.db import Database
    from engine.storage.store import Store

    print(f"engine from {invariants.__file__}", flush=True)
    db = Database(args.url)
    try:
        for _ in range(args.repeat):
            with db.reading() as conn:
                _report_once(invariants, Store(conn, args.tenant), per_check=not args.total_only)
    finally:
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
