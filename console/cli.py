"""`cashapp console`: the clerk console in front of a running server (or, from `cashapp demo
--console`, in front of the demo's embedded one)."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from console.users import Clerk, hash_password, load_clerks

DEFAULT_SERVER = "127.0.0.1:50051"
DEFAULT_LISTEN = "127.0.0.1:8080"
SECRET_ENV = "CASHAPP_CONSOLE_SECRET"
CLERKS_ENV = "CASHAPP_CONSOLE_CLERKS"
MIN_SECRET_LENGTH = 32
EXIT_BAD_CONFIGURATION = 2


def add_console_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    console = sub.add_parser(
        "console",
        help="run the clerk console (a web app) in front of a server",
        description="Serves the clerk console over HTTP. Each clerk signs in with a password and "
        "acts with a token of the tenant, named in the clerks file (JSON).",
    )
    console.add_argument(
        "--server", default=DEFAULT_SERVER, help=f"the gRPC server, default {DEFAULT_SERVER}"
    )
    console.add_argument(
        "--listen", default=DEFAULT_LISTEN, help=f"HOST:PORT to serve on, default {DEFAULT_LISTEN}"
    )
    console.add_argument("--clerks", type=Path, help=f"the clerks file (env {CLERKS_ENV})")
    console.add_argument(
        "--secure-cookies", action="store_true", help="send the session cookie over HTTPS only (behind TLS)"
    )
    console.add_argument(
        "--hash-password",
        action="store_true",
        help="read a password from stdin, print its hash for the clerks file, and exit",
    )


def split_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--listen must be HOST:PORT, not {listen!r}")
    return host.strip("[]"), int(port)


def secret_key() -> str:
    """The session-signing key: CASHAPP_CONSOLE_SECRET, or a fresh random one (sessions then end
    when the console restarts)."""
    given = os.environ.get(SECRET_ENV, "")
    if given and len(given) < MIN_SECRET_LENGTH:
        raise ValueError(f"{SECRET_ENV} must be at least {MIN_SECRET_LENGTH} characters")
    return given or secrets.token_urlsafe(MIN_SECRET_LENGTH)


def serve(target: str, clerks: dict[str, Clerk], listen: str, *, secure_cookies: bool = False) -> None:
    import uvicorn

    from console.app import create_app
    from console.web import ConsoleConfig

    host, port = split_listen(listen)
    app = create_app(
        ConsoleConfig(target=target, clerks=clerks, secret_key=secret_key(), https_only=secure_cookies)
    )
    print(f"cashapp console on http://{listen} (server {target})", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def run_console(args: argparse.Namespace) -> int:
    if args.hash_password:
        password = sys.stdin.readline().rstrip("\n")
        try:
            print(hash_password(password))
        except ValueError as exc:
            print(f"cashapp: {exc}", file=sys.stderr)
            return EXIT_BAD_CONFIGURATION
        return 0
    path = args.clerks or (Path(os.environ[CLERKS_ENV]) if os.environ.get(CLERKS_ENV) else None)
    try:
        if path is None:
            raise ValueError(f"name the clerks file with --clerks or {CLERKS_ENV}")
        clerks = load_clerks(path)
        split_listen(args.listen)
        secret_key()
    except (OSError, ValueError) as exc:
        print(f"cashapp: {exc}", file=sys.stderr)
        return EXIT_BAD_CONFIGURATION
    serve(args.server, clerks, args.listen, secure_cookies=args.secure_cookies)
    return 0
