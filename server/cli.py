"""`cashapp serve`, `demo`, `migrate`, `tokens`, `import` (server/import_cli.py), `report`
(server/report_cli.py), `dunning` (server/dunning_cli.py), `alerts` (server/alert_cli.py) and
`console` (console/cli.py). Flags override CASHAPP_* variables.

Exit codes: 0 done, 1 a runtime failure (database unreachable, port taken, a failed demo check),
2 a bad setting, bad usage or refused input (one line on stderr naming the setting); `import`
adds 3 and 4 (server/import_cli.py).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from importlib.metadata import PackageNotFoundError, version

from console.cli import add_console_command, run_console
from server import logs
from server.alert_cli import add_alerts_command, run_alerts
from server.config import ConfigError, Loaded, describe, load, mask_url, mask_urls_in, specs
from server.dunning_cli import add_dunning_command, run_dunning
from server.import_cli import add_import_command, run_import
from server.report_cli import add_report_command, run_report
from server.token_cli import add_tokens_command, run_tokens

EXIT_OK = 0
EXIT_RUNTIME_FAILURE = 1
EXIT_BAD_CONFIGURATION = 2
EXIT_CODES_HELP = "exit codes: 0 ok, 1 runtime failure, 2 bad configuration or usage"

log = logging.getLogger(__name__)


def cashapp_version() -> str:
    try:
        return version("cashapp")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def _add_setting_flags(parser: argparse.ArgumentParser, command: str) -> None:
    """One flag per setting `command` reads, taken as text: server.config parses and checks it."""
    for name, default, spec in specs(command):
        if spec.flag is None:
            continue
        shown = "" if default in (None, ()) else f", default {default}"
        where = "" if command == "demo" else f" (env {spec.env}{shown})"
        if spec.switch:
            parser.add_argument(
                spec.flag, dest=name, action="store_const", const="true", help=f"{spec.help}{where}"
            )
        else:
            parser.add_argument(spec.flag, dest=name, metavar=name.upper(), help=f"{spec.help}{where}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cashapp", description="Cash-application engine", epilog=EXIT_CODES_HELP
    )
    parser.add_argument("--version", action="version", version=f"cashapp {cashapp_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the gRPC server", epilog=EXIT_CODES_HELP)
    _add_setting_flags(serve, "serve")
    serve.add_argument(
        "--check-config",
        action="store_true",
        help="print the effective settings (secrets masked) and exit: 0 when valid, 2 when not",
    )
    demo = sub.add_parser(
        "demo",
        help="run a server on the embedded default, load a book, auto-apply, report",
        description="The demo reads no CASHAPP_* variable: it runs on a fresh SQLite file in a "
        "temporary directory unless a database is given here.",
        epilog=EXIT_CODES_HELP,
    )
    _add_setting_flags(demo, "demo")
    demo.add_argument(
        "--console",
        action="store_true",
        help="leave the exception queue to a person: serve the clerk console until Ctrl-C",
    )
    demo.add_argument("--console-listen", default="127.0.0.1:8080", help="HOST:PORT of the console")
    migrate = sub.add_parser(
        "migrate", help="bring the database schema to the newest revision", epilog=EXIT_CODES_HELP
    )
    _add_setting_flags(migrate, "migrate")
    add_tokens_command(sub, lambda action: _add_setting_flags(action, "tokens"))
    add_import_command(sub)
    add_report_command(sub)
    add_dunning_command(sub)
    add_alerts_command(sub)
    add_console_command(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a usage error (argparse says which)
        return exit_.code if isinstance(exit_.code, int) else EXIT_BAD_CONFIGURATION
    if args.command == "import":  # a client of a running server: it reads no server setting
        return run_import(args)
    if args.command == "report":  # a client of a running server: no server settings
        return run_report(args)
    if args.command == "dunning":  # a client too
        return run_dunning(args)
    if args.command == "alerts":  # a client too
        return run_alerts(args)
    if args.command == "console":  # a client of a running server: no server settings
        return run_console(args)
    flags = vars(args)
    try:
        # The demo must never touch the database a CASHAPP_DATABASE_URL points at: flags only.
        loaded = load(args.command, flags, {} if args.command == "demo" else os.environ)
    except ConfigError as exc:
        print(f"cashapp: {exc}", file=sys.stderr)
        return EXIT_BAD_CONFIGURATION
    if args.command == "serve" and args.check_config:
        print(describe(loaded))
        return EXIT_OK
    settings = loaded.settings
    if args.command == "demo":
        logs.configure("warning", "text")
    else:
        logs.configure(settings.log_level, settings.log_format)
    try:
        return _run(args.command, loaded, args)
    except ValueError as exc:  # refused input or settings found at start (token tenant, TLS files)
        print(f"cashapp: {mask_urls_in(str(exc))}", file=sys.stderr)
        return EXIT_BAD_CONFIGURATION
    except Exception as exc:
        log.debug("%s failed", args.command, exc_info=True)
        # Drivers and Alembic may quote the URL in their messages: never its password.
        first_line = mask_urls_in((str(exc).splitlines() or [""])[0])
        print(f"cashapp: {args.command} failed: {type(exc).__name__}: {first_line}", file=sys.stderr)
        return EXIT_RUNTIME_FAILURE


def _run(command: str, loaded: Loaded, args: argparse.Namespace) -> int:
    settings = loaded.settings
    if command == "tokens":
        return run_tokens(args, settings.database_url)
    if command == "serve":
        from server.app import serve

        log.info(
            "cashapp %s starting: database %s, listen %s, %d workers%s",
            cashapp_version(),
            mask_url(settings.database_url),
            settings.listen,
            settings.workers,
            f" in each of {settings.processes} processes" if settings.processes > 1 else "",
        )
        if settings.processes > 1:
            from server.processes import serve_processes

            return serve_processes(settings)
        asyncio.run(serve(settings))
        return EXIT_OK
    if command == "demo":
        from server.demo import run_demo

        return run_demo(
            settings.database_url if loaded.given("database_url") else None,
            console_listen=args.console_listen if args.console else None,
        )
    from engine.storage.db import Database

    db = Database(settings.database_url)
    try:
        db.migrate()
    finally:
        db.dispose()
    print("schema is at the newest revision")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
