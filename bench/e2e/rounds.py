"""AutoApply rounds timed in process, phase by phase, on a snapshot of the e2e book taken when the
decide phase starts (what bench/e2e/run.py's server holds after loading, before AutoApplyBacklog).

    python -m bench.e2e.rounds snapshot --payments 10000 --out /tmp/book10k.db
    python -m bench.e2e.rounds time /tmp/book10k.db --rounds 8 [--steps] [--profile out.prof]
        [--pragma cache_size=-16384]
    python -m bench.e2e.rounds decide /tmp/book10k.db --dump decided.json
    python -m bench.e2e.rounds compare base.json head.json

`time` runs the server's round (claim, plan, commit: server/servicers.py's decide_round) on a copy
of the snapshot and prints the CPU µs per payment of each phase; with --steps, the SQLite virtual
machine steps of each statement too (a measure of the rows it reads that costs no timing). `decide`
works through the whole backlog and dumps what was decided without its random ids and clocks:
the rounds' batches, the decisions, the applications and the payments' state, for `compare` to
check that two trees decide a snapshot alike. Runs against whatever `engine` is on the path, so
one harness measures a base tree (PYTHONPATH=<base tree>) and the head alike.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event

TENANT = "default"
STEP_EVERY = 100  # VM instructions between two progress-handler calls


def snapshot(payments: int, seed: int, out: Path) -> None:
    """The e2e book loaded through a real server into the SQLite file `out`, nothing decided."""
    from bench.e2e.book import generate
    from bench.e2e.run import Driver, Result
    from bench.quality.server import fresh_database, running_server
    from cashapp_client import Client

    book = generate(seed, payments)
    pids: list[int] = []
    with (
        tempfile.TemporaryDirectory(prefix="cashapp-rounds-") as tmp,
        fresh_database("sqlite", Path(tmp), keep=str(out)) as url,
        running_server(url, pids) as (target, _output),
        Client(target, timeout_seconds=3600.0) as client,
    ):
        Driver(client, pids[0], Result(payments, "sqlite")).load(book)
    with sqlite3.connect(out) as conn:  # one file, whatever the server left in its WAL
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@contextmanager
def _copy(path: Path) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="cashapp-rounds-") as tmp:
        target = Path(tmp) / "book.db"
        shutil.copyfile(path, target)
        yield f"sqlite:///{target}"


class Steps:
    """SQLite VM steps per statement, counted with a progress handler on every connection."""

    def __init__(self, engine: Any) -> None:
        self.by_statement: Counter[str] = Counter()
        self.current = ""
        self.phase = ""
        self.claim_steps = 0
        event.listen(engine, "connect", self._connect)
        event.listen(engine, "before_cursor_execute", self._before)

    def _connect(self, dbapi_connection: Any, _record: Any) -> None:
        def tick() -> int:
            self.by_statement[self.current] += STEP_EVERY
            return 0

        dbapi_connection.set_progress_handler(tick, STEP_EVERY)

    def _before(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        text = " ".join(statement.split())
        self.current = f"{self.phase}: " + (text if len(text) < 240 else f"{text[:110]} ... {text[-120:]}")


def _round(app: Any, holder: str, steps: Steps | None = None) -> tuple[list[str], Any, Any, dict[str, float]]:
    """One round as the server's decide_round runs it, with the CPU seconds of each phase."""
    from engine import reconciliation

    def phase(name: str) -> float:
        if steps is not None:
            steps.phase = name
        return time.process_time()

    cpu: dict[str, float] = {}
    start = phase("claim")
    app.db.statistics.refresh_if_stale()
    claimed = app.write(TENANT, lambda s: reconciliation.claim_batch(s, holder))
    cpu["claim"] = time.process_time() - start
    start = phase("plan")
    planned = app.read(TENANT, lambda s: reconciliation.plan(s, reconciliation.Scope(), claimed))
    cpu["plan"] = time.process_time() - start
    start = phase("commit")
    committed = app.write(TENANT, lambda s: reconciliation.commit(s, planned, holder))
    app.write(TENANT, lambda s: s.release_claims(holder))
    cpu["commit"] = time.process_time() - start
    return claimed, planned, committed, cpu


def _app(url: str) -> Any:
    from engine.app import CashApp
    from engine.storage.db import Database

    return CashApp(Database(url))


def _with_pragmas(app: Any, pragmas: list[str]) -> None:
    """PRAGMAs set on every connection after the engine's own, to compare settings in one harness."""
    if not pragmas:
        return

    def connect(dbapi_connection: Any, _record: Any) -> None:
        for pragma in pragmas:
            dbapi_connection.execute(f"PRAGMA {pragma}")

    event.listen(app.db.engine, "connect", connect)
    app.db.engine.dispose()  # connections opened before the listener (migrations) get it too


def time_rounds(path: Path, rounds: int, steps: bool, profile: Path | None, pragmas: list[str]) -> None:
    with _copy(path) as url:
        app = _app(url)
        _with_pragmas(app, pragmas)
        counter = Steps(app.db.engine) if steps else None
        profiler = cProfile.Profile() if profile else None
        totals: Counter[str] = Counter()
        payments = 0
        for n in range(rounds):
            if profiler:
                profiler.enable()
            claimed, planned, _committed, cpu = _round(app, f"rounds-{n}", counter)
            if profiler:
                profiler.disable()
            if not claimed:
                break
            claim_steps = 0
            if counter is not None:
                claim_steps = sum(v for k, v in counter.by_statement.items() if k.startswith("claim:"))
                counter.claim_steps, claim_steps = claim_steps, claim_steps - counter.claim_steps
            payments += len(claimed)
            totals.update(cpu)
            print(
                f"round {n}: {len(claimed)} claimed, {len(planned.proposals)} proposals; "
                + ", ".join(f"{k} {v * 1e6 / len(claimed):,.0f}" for k, v in cpu.items())
                + " µs/payment"
                + (f"; claim {claim_steps / len(claimed):,.0f} VM steps/payment" if counter else ""),
                flush=True,
            )
        print(
            f"{payments} payments in {rounds} rounds: "
            + ", ".join(f"{k} {v * 1e6 / payments:,.0f}" for k, v in totals.items())
            + f" µs CPU/payment (total {sum(totals.values()) * 1e6 / payments:,.0f})"
        )
        if counter is not None:
            total = sum(counter.by_statement.values())
            print(f"SQLite VM steps: {total / payments:,.0f} per payment; the statements above 1 %:")
            by_phase: Counter[str] = Counter()
            for statement, count in counter.by_statement.items():
                by_phase[statement.split(":")[0]] += count
            print("  by phase: " + ", ".join(f"{k} {v / payments:,.0f}" for k, v in by_phase.items()))
            for statement, count in counter.by_statement.most_common():
                if count * 100 < total:
                    break
                print(f"  {count / payments:>9,.0f}  {statement}")
        if profiler and profile:
            profiler.dump_stats(profile)
        app.db.dispose()


def decide(path: Path, dump: Path, max_rounds: int) -> None:
    """The whole backlog, round after round until one claims nothing; what it decided, dumped."""
    with _copy(path) as url:
        app = _app(url)
        batches = []
        for n in range(max_rounds):
            claimed, _planned, _committed, _cpu = _round(app, f"decide-{n}")
            if not claimed:
                break
            batches.append(sorted(claimed))
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            tables = {
                "decisions": conn.execute(
                    "SELECT payment_id, customer_id, outcome, reason, explanation FROM decisions "
                    "ORDER BY payment_id, create_us, decision_id"
                ).fetchall(),
                "applications": conn.execute(
                    "SELECT payment_id, invoice_id, currency, amount_minor, discount_minor, "
                    "write_off_minor, deduction_minor, source, reverses_application_id IS NULL "
                    "FROM applications ORDER BY payment_id, invoice_id, amount_minor"
                ).fetchall(),
                "payments": conn.execute(
                    "SELECT payment_id, customer_id, unapplied_minor, on_account FROM payments "
                    "ORDER BY payment_id"
                ).fetchall(),
                "exceptions": conn.execute(
                    "SELECT payment_id, customer_id, state, reason, suggestions FROM match_exceptions "
                    "ORDER BY payment_id, create_us"
                ).fetchall(),
                "marks": conn.execute(
                    "SELECT payment_id, needs_decision FROM decision_marks ORDER BY payment_id"
                ).fetchall(),
            }
        app.db.dispose()
    dump.write_text(json.dumps({"batches": batches, **tables}))
    print(f"{len(batches)} rounds, " + ", ".join(f"{len(v)} {k}" for k, v in tables.items()))


def compare(a: Path, b: Path) -> int:
    left, right = json.loads(a.read_text()), json.loads(b.read_text())
    differ = 0
    for key in left.keys() | right.keys():
        x, y = left.get(key), right.get(key)
        if x == y:
            print(f"{key}: identical ({len(x or [])} rows)")
            continue
        differ += 1
        first = next((i for i, (p, q) in enumerate(zip(x or [], y or [], strict=False)) if p != q), None)
        print(f"{key}: DIFFER ({len(x or [])} vs {len(y or [])} rows; first difference at {first})")
        if first is not None:
            print(f"  {str(x[first])[:300]}\n  {str(y[first])[:300]}")
    return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    snap = commands.add_parser("snapshot")
    snap.add_argument("--payments", type=int, default=10_000)
    snap.add_argument("--seed", type=int, default=7)
    snap.add_argument("--out", type=Path, required=True)
    timed = commands.add_parser("time")
    timed.add_argument("snapshot", type=Path)
    timed.add_argument("--rounds", type=int, default=8)
    timed.add_argument("--steps", action="store_true")
    timed.add_argument("--profile", type=Path)
    timed.add_argument(
        "--pragma", action="append", default=[], help="NAME=VALUE set on every connection (repeatable)"
    )
    decided = commands.add_parser("decide")
    decided.add_argument("snapshot", type=Path)
    decided.add_argument("--dump", type=Path, required=True)
    decided.add_argument("--max-rounds", type=int, default=1000)
    compared = commands.add_parser("compare")
    compared.add_argument("a", type=Path)
    compared.add_argument("b", type=Path)
    args = parser.parse_args(argv)
    if args.command == "snapshot":
        snapshot(args.payments, args.seed, args.out)
    elif args.command == "time":
        time_rounds(args.snapshot, args.rounds, args.steps, args.profile, args.pragma)
    elif args.command == "decide":
        decide(args.snapshot, args.dump, args.max_rounds)
    else:
        return compare(args.a, args.b)
    return 0


if __name__ == "__main__":
    sys.exit(main())
