"""Builds a populated database once and keeps it, so the reconciliation report can be profiled
and compared on the same book without re-running the whole e2e (about 3 minutes at 100k).

    python -m bench.reconcile.build --payments 100000 --database sqlite --keep /tmp/recon-100k.db
    python -m bench.reconcile.build --payments 100000 --database postgres --keep cashapp_recon_100k

The book, the server and the phases are exactly bench/e2e's (load, ingest, AutoApplyBacklog);
only the database outlives the run. Prints the database URL to give bench.reconcile.profile.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.e2e.book import generate
from bench.e2e.run import CALL_TIMEOUT_SECONDS, Driver, Result
from bench.quality.server import fresh_database, running_server
from cashapp_client import Client


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--keep", required=True, help="SQLite file path, or PostgreSQL database name")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    book = generate(args.seed, args.payments)
    result = Result(args.payments, args.database)
    pids: list[int] = []
    with (
        fresh_database(args.database, Path(args.keep).parent, keep=args.keep) as url,
        running_server(url, pids) as (target, _output),
        Client(target, timeout_seconds=CALL_TIMEOUT_SECONDS) as client,
    ):
        driver = Driver(client, pids[0], result)
        driver.load(book)
        driver.decide(args.payments)
        driver.reconcile()
    for p in result.phases:
        print(f"{p.name}: {p.seconds:.1f} s, server CPU {p.server_cpu:.1f} s", flush=True)
    if result.invariants_failed:
        print(f"invariants failed: {result.invariants_failed}", file=sys.stderr)
        return 1
    print(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
