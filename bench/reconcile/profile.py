"""Times the reconciliation report on a kept database (bench.reconcile.build), check by check,
in process: wall seconds and this process's CPU seconds per check and for the whole report.

    python -m bench.reconcile.profile URL [--repeat 3] [--engine-root DIR]

--engine-root puts another checkout's `engine` package first on the path (for example a `git
archive main` export), so the code before and after a change can be timed on the same database,
alternating. On PostgreSQL the server's own CPU is not in the process CPU: compare wall there.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

CHECKS = (
    "account_balances",
    "_journal_chain_intact",
    "_entries_balance",
    "_ar_equals_open_invoices",
    "_payments_add_up",
    "_replay_matches_balances",
    "_effects_once",
    "_deductions_equal_open_cases",
    "_dunning_outbox_complete",
)


def _timed(work: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = work()
    return time.perf_counter() - wall, time.process_time() - cpu, value


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
                store = Store(conn, args.tenant)
                if not args.total_only:
                    for name in CHECKS:
                        wall, cpu, value = _timed(
                            lambda name=name, store=store: getattr(invariants, name)(store)
                        )
                        check = value[0] if isinstance(value, tuple) and name.startswith("_") else value
                        failed = getattr(check, "violations", ())
                        print(f"  {name:32} wall {wall:7.2f} s  cpu {cpu:7.2f} s  violations {len(failed)}")
                wall, cpu, report = _timed(lambda store=store: invariants.reconciliation_report(store))
                failed = [c.name for c in report.invariants if c.violations]
                print(
                    f"  {'reconciliation_report':32} wall {wall:7.2f} s  cpu {cpu:7.2f} s  "
                    f"entries {report.journal_entry_count:,} head {report.journal_chain_head[:12]} "
                    f"failed {failed}",
                    flush=True,
                )
    finally:
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
