"""AutoApply throughput with 1 and 2 `cashapp serve` replicas on one PostgreSQL, side by side in
one run, on the quality world's book; writes its section of bench/RESULTS.md.

    python -m bench.scale_out --payments 10000 --out bench/RESULTS.md

For each replica count: a fresh database, the replicas started on it, the world loaded through the
first one, then every replica works through the backlog at once (AutoApplyBacklog); the backlog is
divided by claims on customers (engine/storage/claim_store.py). Measured: wall time of the
backlog, payments per second, the CPU seconds each server process and the database used during
it, and the quality of the result against the world's truth (dividing the work must not change
what is decided). The machine has 2 cores, shared by the replicas and PostgreSQL.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.markdown import replace_section
from bench.process_usage import cpu_seconds, user_cpu_seconds
from bench.quality.generate import generate
from bench.quality.load import load_customers, load_invoices, load_payments, read_back
from bench.quality.score import score
from bench.quality.server import fresh_database, running_server
from bench.quality.world import World
from cashapp_client import Client

HEADER = "## Scale-out: replicas on one PostgreSQL dividing one backlog"
CALL_TIMEOUT_SECONDS = 3600.0


@dataclass
class Run:
    replicas: int
    seconds: float
    server_cpu: list[float]
    database_cpu: float
    rounds: list[int]
    right: float
    wrong: int
    failed_invariants: int

    def rate(self, payments: int) -> float:
        return payments / self.seconds


def run(world: World, replicas: int) -> Run:
    pids: list[int] = []
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="cashapp-scale-"))
        url = stack.enter_context(fresh_database("postgres", Path(tmp)))
        targets = [stack.enter_context(running_server(url, pids))[0] for _ in range(replicas)]
        clients = [stack.enter_context(Client(t, timeout_seconds=CALL_TIMEOUT_SECONDS)) for t in targets]
        load_customers(clients[0], world)
        load_invoices(clients[0], world)
        load_payments(clients[0], world)
        rounds: dict[int, list[int]] = {}

        def work(index: int) -> None:
            rounds[index] = [p.round_payment_count for p in clients[index].auto_apply_backlog()]

        cpu_before = [cpu_seconds(pid) for pid in pids]
        db_before = user_cpu_seconds("postgres")
        start = time.perf_counter()
        threads = [threading.Thread(target=work, args=(i,)) for i in range(replicas)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - start
        server_cpu = [cpu_seconds(pid) - before for pid, before in zip(pids, cpu_before, strict=True)]
        database_cpu = user_cpu_seconds("postgres") - db_before
        observed, failed, _decisions = read_back(clients[0])
    scored = score(world.truths, observed, failed)
    overall = scored.overall
    per_replica = [sum(rounds.get(i, [])) for i in range(replicas)]
    right = overall.share(overall.right)
    return Run(replicas, seconds, server_cpu, database_cpu, per_replica, right, overall.wrong, len(failed))


def section(world: World, runs: list[Run], command: str) -> str:
    payments = len(world.payments)
    base = runs[0].rate(payments)
    rows = [
        f"| {r.replicas} | {r.seconds:.1f} | {r.rate(payments):,.0f} | {r.rate(payments) / base:.2f}x | "
        f"{' + '.join(f'{c:.1f}' for c in r.server_cpu)} | {r.database_cpu:.1f} | "
        f"{' / '.join(f'{n:,}' for n in r.rounds)} | {r.right:.1f} % | {r.wrong} | "
        f"{'all pass' if not r.failed_invariants else r.failed_invariants} |"
        for r in runs
    ]
    return "\n".join(
        [
            HEADER,
            "",
            f"`{command}`: the quality world (seed {world.seed}: {len(world.customers):,} customers, "
            f"{len(world.invoices):,} invoices, {payments:,} payments) loaded into a fresh PostgreSQL "
            "database, then every replica calls AutoApplyBacklog at once; the replicas divide the backlog "
            "by claiming customers (no coordinator but the database). CPU seconds are those each process "
            f"used during the backlog, on this {os.cpu_count()}-core machine shared by the replicas and "
            "PostgreSQL. Target: 2 replicas >= 1.6x one replica's throughput.",
            "",
            "| replicas | seconds | payments/s | vs 1 | server CPU s | PostgreSQL CPU s "
            "| payments per replica | right | wrong | invariants |",
            "|---:|---:|---:|---:|---|---:|---|---:|---:|---|",
            *rows,
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--payments", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("bench/RESULTS.md"))
    args = parser.parse_args(argv)
    command = "python -m bench.scale_out " + " ".join(argv if argv is not None else sys.argv[1:])
    world = generate(args.seed, args.payments)
    runs = [run(world, replicas) for replicas in (1, 2)]
    text = section(world, runs, command)
    print(text)
    replace_section(args.out, HEADER, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
