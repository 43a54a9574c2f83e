"""`cashapp serve`, `cashapp demo`, `cashapp migrate`. Flags override CASHAPP_* variables."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from server.config import Settings
from server.tls import add_tls_arguments, tls_overrides
from server.token_cli import add_tokens_command, run_tokens


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cashapp", description="Cash-application engine")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the gRPC server")
    serve.add_argument(
        "--database-url", help="SQLAlchemy URL (env CASHAPP_DATABASE_URL, default sqlite:///cashapp.db)"
    )
    serve.add_argument("--listen", help="host:port (env CASHAPP_LISTEN, default 127.0.0.1:50051)")
    serve.add_argument("--workers", type=int, help="database worker threads (env CASHAPP_WORKERS, default 8)")
    demo = sub.add_parser(
        "demo", help="run a server on the embedded default, load a book, auto-apply, report"
    )
    demo.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    migrate = sub.add_parser("migrate", help="bring the database schema to the newest revision")
    migrate.add_argument("--database-url")
    add_tls_arguments(serve)
    add_tokens_command(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    quiet = args.command == "demo"
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        if args.command == "serve":
            from server.app import serve

            settings = Settings.from_env(
                database_url=args.database_url,
                listen=args.listen,
                workers=args.workers,
                **tls_overrides(args),
            )
            asyncio.run(serve(settings))
        elif args.command == "demo":
            from server.demo import run_demo

            return run_demo(args.database_url)
        elif args.command == "migrate":
            from engine.storage.db import Database

            Database(Settings.from_env(database_url=args.database_url).database_url).migrate()
            print("schema is at the newest revision")
        elif args.command == "tokens":
            return run_tokens(args, Settings.from_env(database_url=args.database_url).database_url)
    except ValueError as exc:
        print(f"cashapp: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
