"""Entries per second of parsing a generated file, and of importing it through ImportStatement
into a fresh embedded server (SQLite by default):

    .venv/bin/python -m bench.ingest.import_speed --format csv --entries 20000 [--database-url URL]
"""

from __future__ import annotations

import argparse
import importlib
import tempfile
import time
from pathlib import Path

from cashapp_client import Client
from engine.ingest import formats
from server.app import run_in_thread
from server.config import Settings


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--format", default="csv", help="a format with a bench/ingest/generate_<format>.py")
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    module = importlib.import_module(f"bench.ingest.generate_{args.format.replace('.', '')}")
    data: bytes = module.generate(args.entries, args.seed)
    started = time.perf_counter()
    parsed = formats.parse(data, args.format)
    parse_seconds = time.perf_counter() - started
    count = len(parsed.entries)
    print(f"parse:  {count} entries in {parse_seconds:.2f} s = {count / parse_seconds:,.0f}/s")
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite:///{Path(directory) / 'bench.db'}"
        settings = Settings(database_url=url, listen="127.0.0.1:0")
        with (
            run_in_thread(settings) as running,
            Client(f"127.0.0.1:{running.port}", timeout_seconds=600) as client,
        ):
            started = time.perf_counter()
            response = client.import_statement(data, format=args.format)
            seconds = time.perf_counter() - started
    created = response.counts.created
    print(
        f"import: {created} payments in {seconds:.2f} s = {created / seconds:,.0f}/s "
        f"({seconds / parse_seconds:.1f}x parsing)"
    )


if __name__ == "__main__":
    main()
