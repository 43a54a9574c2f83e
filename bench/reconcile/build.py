"""Builds a populated database once and keeps it, so the reconciliation report can be profiled
and compared on the same book without re-running the whole e2e (about 3 minutes at 100k).

    python -m bench.reconcile.build --payments 100000 --database sqlite --keep /tmp/recon-100k.db
    python -m bench.reconcile.build --payments 100000 --database postgres --keep cashapp_recon_100k

The book, the server and the phases are exactly bench/e2e's (load, ingest, AutoApplyBacklog);
only the database outlives the run. Prints the database URL to give bench.reconcile.profile.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

from bench.e2e.book import generate
from bench.e2e.run import CALL_TIMEOUT_SECONDS, Driver, Result
from bench.quality.server import POSTGRES_URL_FILE, running_server
from cashapp_client import Client


@contextlib.contextmanager
def kept_database(backend: str, keep: str) -> Iterator[str]:
    """The URL of a new database that is not dropped afterwards: a SQLite file at `keep`, or a
    PostgreSQL database named `keep` on the test server (replaced when it exists)."""
    if backend == "sqlite":
        path = Path(keep).resolve()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        yield f"sqlite:///{path}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = POSTGRES_URL_FILE.read_text().strip()
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{keep}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{keep}"'))
    admin.dispose()
    yield make_url(admin_url).set(database=keep).render_as_string(hide_password=False)


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
        kept_database(args.database, args.keep) as url,
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
