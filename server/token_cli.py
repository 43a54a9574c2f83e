"""`cashapp tokens create|list|revoke`: API tokens kept hashed in the database.

`create` prints the token once, on stdout alone (so `TOKEN=$(cashapp tokens create ...)` works),
and what it made on stderr; the database keeps only its SHA-256. `list` shows id, tenant, prefix,
times and description, never a token. `revoke ID` takes effect on the token's next call.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from typing import TextIO

from engine.errors import DomainError
from engine.storage.db import Database
from engine.storage.token_store import ApiToken, TokenStore


def add_tokens_command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    add_setting_flags: Callable[[argparse.ArgumentParser], None],
) -> None:
    """`cashapp tokens ACTION`; each action takes the database settings' flags."""
    tokens = sub.add_parser("tokens", help="manage API tokens (stored hashed in the database)")
    actions = tokens.add_subparsers(dest="tokens_command", required=True)
    create = actions.add_parser("create", help="issue a token for a tenant; it is printed once")
    create.add_argument("--tenant", required=True, help="the tenant the token authenticates as")
    create.add_argument("--description", default="", help="what the token is for (shown by list)")
    listing = actions.add_parser("list", help="show tokens (never the tokens themselves)")
    listing.add_argument("--tenant", help="only this tenant's tokens")
    revoke = actions.add_parser("revoke", help="revoke a token by its id (from create or list)")
    revoke.add_argument("token_id", metavar="ID")
    for action in (create, listing, revoke):
        add_setting_flags(action)


def run_tokens(args: argparse.Namespace, database_url: str, out: TextIO | None = None) -> int:
    """Runs one `cashapp tokens` action; bad input raises ValueError (exit code 2, nothing changed)."""
    out = out or sys.stdout
    db = Database(database_url)
    try:
        db.migrate()
        store = TokenStore(db)
        if args.tokens_command == "create":
            issued = store.create(args.tenant, args.description)
            print(issued.secret, file=out)
            print(
                f"created token {issued.token.token_id} for tenant {issued.token.tenant_id!r}; "
                "it is shown only this once",
                file=sys.stderr,
            )
        elif args.tokens_command == "list":
            _print_table(store.tokens(args.tenant), out)
        else:
            token, revoked_now = store.revoke(args.token_id)
            when = _time(token.revoke_us)
            state = "revoked" if revoked_now else "was already revoked"
            print(f"token {token.token_id} of tenant {token.tenant_id!r} {state} at {when}", file=out)
    except DomainError as exc:
        raise ValueError(exc.message) from None
    finally:
        db.dispose()
    return 0


COLUMNS = ("ID", "TENANT", "PREFIX", "CREATED", "REVOKED", "DESCRIPTION")


def _print_table(tokens: list[ApiToken], out: TextIO) -> None:
    rows = [COLUMNS] + [
        (t.token_id, t.tenant_id, t.prefix, _time(t.create_us), _time(t.revoke_us), t.description)
        for t in tokens
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip(), file=out)


def _time(us: int | None) -> str:
    if us is None:
        return "-"
    return dt.datetime.fromtimestamp(us / 1_000_000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
