"""AutoApply's decide phase, old code against new on one loaded book, back to back.

    python -m bench.apply_ab snapshot --payments 10000 --db /tmp/ab/book.db
    git archive <old commit> | tar -x -C /tmp/ab/old        # each tree to compare
    python -m bench.apply_ab server --db /tmp/ab/book.db /tmp/ab/old . /tmp/ab/old .
    python -m bench.apply_ab inprocess --db /tmp/ab/book.db /tmp/ab/old . /tmp/ab/old .

`snapshot` loads bench/e2e/book.py's book through a real server into a SQLite file and stops
before deciding. `server` decides a copy of it with a `cashapp serve` running each tree's code
(the e2e decide phase: AutoApplyBacklog through gRPC) and reports the server's CPU seconds;
`inprocess` runs the same claim, plan and commit rounds in a child process with each tree's code
(no gRPC, less noise). Both check that every tree decided every payment alike (outcome, reason,
customer and applications): a speed-up must not change a decision. On a shared machine CPU
seconds are the comparison; repeat the trees alternately and compare the smallest.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.e2e.book import generate
from bench.e2e.run import Driver, Result
from bench.process_usage import cpu_seconds
from bench.quality import server as qs
from cashapp_client import Client

TENANT = "default"
_ROUNDS = """
import os, sys, time
os.environ["OTEL_SDK_DISABLED"] = "true"
from engine import reconciliation
from engine.app import CashApp
from engine.storage.db import Database
app = CashApp(Database(sys.argv[1]))
start, decided = time.process_time(), 0
for n in range(1_000_000):
    holder = f"ab-{n}"
    claimed = app.write("default", lambda s: reconciliation.claim_batch(s, holder))
    if not claimed:
        break
    planned = app.read("default", lambda s: reconciliation.plan(s, reconciliation.Scope(), claimed))
    done = app.write("default", lambda s: reconciliation.commit(s, planned, holder))
    decided += len(done.decisions) + len(done.unchanged_payment_ids)
print(decided, time.process_time() - start)
"""


def snapshot(payments: int, db: Path) -> None:
    db.unlink(missing_ok=True)
    pids: list[int] = []
    with (
        qs.running_server(f"sqlite:///{db}", pids) as (target, _),
        Client(target, timeout_seconds=3600) as client,
    ):
        Driver(client, pids[0], Result(payments, "sqlite")).load(generate(7, payments))


def signature(db: Path) -> str:
    """What was decided, whatever the ids: each payment's latest outcome, reason and customer,
    and every application's payment, invoice and amounts."""
    with contextlib.closing(sqlite3.connect(db)) as con:
        decisions = con.execute(
            "SELECT payment_id, outcome, reason, coalesce(customer_id, '') FROM decisions ORDER BY 1, 2, 3"
        ).fetchall()
        applications = con.execute(
            "SELECT payment_id, invoice_id, amount_minor, discount_minor, write_off_minor FROM applications "
            "ORDER BY 1, 2"
        ).fetchall()
    return hashlib.sha256(repr((decisions, applications)).encode()).hexdigest()[:12]


def _env(tree: Path) -> dict[str, str]:
    return {**os.environ, "OTEL_SDK_DISABLED": "true", "PYTHONPATH": str(tree)}


def in_process(tree: Path, db: Path) -> tuple[int, float, float]:
    """(payments decided, CPU s, wall s) of the rounds run in a child with the tree's code."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _ROUNDS, f"sqlite:///{db}"],
        cwd=tree,
        env=_env(tree),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return int(out[-2]), float(out[-1]), time.perf_counter() - start


def through_server(tree: Path, db: Path) -> tuple[int, float, float]:
    """(payments decided, server CPU s, wall s) of AutoApplyBacklog on a server of the tree."""
    target = f"127.0.0.1:{qs._free_port()}"
    command = [sys.executable, "-c", "import sys; from server.cli import main; sys.exit(main())", "serve",
               "--listen", target, "--database-url", f"sqlite:///{db}"]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=tree, env=_env(tree), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        qs._wait_serving(target, time.monotonic() + qs.START_TIMEOUT_SECONDS)
        with Client(target, timeout_seconds=3600) as client:
            cpu, start, decided = cpu_seconds(process.pid), time.perf_counter(), 0
            for progress in client.auto_apply_backlog(timeout_seconds=3600):
                decided = progress.auto_applied_count + progress.suggested_count + progress.unmatched_count
            return decided, cpu_seconds(process.pid) - cpu, time.perf_counter() - start
    finally:
        process.terminate()
        process.wait(timeout=qs.STOP_TIMEOUT_SECONDS)


def compare(how: str, db: Path, trees: list[Path]) -> int:
    signatures: dict[Path, str] = {}
    for tree in trees:
        with tempfile.TemporaryDirectory(prefix="cashapp-ab-") as tmp:
            copy = Path(tmp) / "book.db"
            shutil.copy(db, copy)
            run = in_process if how == "inprocess" else through_server
            decided, cpu, wall = run(tree.resolve(), copy)
            signatures[tree] = signature(copy)
        print(
            f"{tree}: {decided:,} decided, {cpu:.2f} CPU s, {wall:.1f} wall s, decisions {signatures[tree]}"
        )
    differ = len(set(signatures.values())) > 1
    print("decisions DIFFER between trees" if differ else "every tree decided alike")
    return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("how", choices=("snapshot", "server", "inprocess"))
    parser.add_argument("trees", type=Path, nargs="*", help="source trees to compare, run in this order")
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--payments", type=int, default=10_000)
    args = parser.parse_intermixed_args(argv)
    if args.how == "snapshot":
        snapshot(args.payments, args.db)
        return 0
    return compare(args.how, args.db, args.trees)


if __name__ == "__main__":
    sys.exit(main())
