"""`cashapp dunning run|deliver|deliveries`: dunning on a running server, as tables.

A client of the API like server/report_cli.py: --server and --token say where and as whom
(CASHAPP_SERVER and CASHAPP_TOKEN by default); --json prints the response as protobuf JSON.
`run --dry-run` shows what a run would send and skip without storing anything; `run` stores the
notices and sends them (then `deliver` retries what is due, from cron say).
Exit codes: 0 done, 1 the server failed or could not be reached, 2 refused input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable
from typing import Any, TextIO

from google.protobuf import json_format
from rich.console import Console
from rich.table import Table

from cashapp_client import CashappError, Client, FailedPreconditionError, InvalidArgumentError, NotFoundError
from cashapp_client._channel import DEFAULT_TARGET
from cashapp_client._proto.cashapp.v1 import dunning_service_pb2 as dn
from engine.reports.statement_pdf import amount_text


def add_dunning_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dunning = sub.add_parser("dunning", help="run dunning on a running server, send and list its notices")
    actions = dunning.add_subparsers(dest="dunning_command", required=True)
    run = actions.add_parser("run", help="run a dunning policy as of a date")
    run.add_argument("--dry-run", action="store_true", help="show notices and skips; store and send nothing")
    run.add_argument("--as-of", default=None, help="YYYY-MM-DD (default today, UTC)")
    run.add_argument("--policy", default=None, help="the policy id (default: the tenant's only policy)")
    deliver = actions.add_parser("deliver", help="send the outbox's due deliveries")
    deliver.add_argument("--max", type=int, default=0, help="at most this many (default 100)")
    deliveries = actions.add_parser("deliveries", help="list the outbox")
    deliveries.add_argument("--failed", action="store_true", help="only the failed ones, with their errors")
    for parser in (run, deliver, deliveries):
        parser.add_argument("--server", default=os.environ.get("CASHAPP_SERVER", DEFAULT_TARGET))
        parser.add_argument("--token", default=os.environ.get("CASHAPP_TOKEN"), help="API token")
        parser.add_argument("--json", action="store_true", help="print the response as JSON")


def run_dunning(args: argparse.Namespace, out: TextIO | None = None) -> int:
    console = Console(file=out or sys.stdout, width=160)
    try:
        with Client(args.server, token=args.token) as client:
            response = _call(client, args)
    except (InvalidArgumentError, NotFoundError, FailedPreconditionError) as exc:
        print(f"cashapp: {exc}", file=sys.stderr)
        return 2
    except CashappError as exc:
        print(f"cashapp: dunning failed: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"cashapp: {exc}", file=sys.stderr)
        return 2
    if args.json:
        console.print_json(json_format.MessageToJson(response, preserving_proto_field_name=True))
    else:
        _PRINTERS[args.dunning_command](console, response)
    return 0


def _policy_id(client: Client, given: str | None) -> str:
    if given:
        return given
    ids = [p.policy_id for p in client.list_dunning_policies(page_size=2)]
    if len(ids) != 1:
        raise ValueError(
            f"the tenant has {'several' if ids else 'no'} dunning policies: name one with --policy"
        )
    return ids[0]


def _call(client: Client, args: argparse.Namespace) -> Any:
    if args.dunning_command == "run":
        as_of = args.as_of or dt.datetime.now(dt.UTC).date().isoformat()
        result = client.run_dunning(_policy_id(client, args.policy), as_of_date=as_of, dry_run=args.dry_run)
        if not args.dry_run:
            client.deliver_dunning_outbox()
        return result
    if args.dunning_command == "deliver":
        if args.max < 0:
            raise ValueError("--max must not be negative")
        return client.deliver_dunning_outbox(max_deliveries=args.max)
    state = dn.DUNNING_DELIVERY_STATE_FAILED if args.failed else None
    return dn.ListDunningDeliveriesResponse(deliveries=list(client.list_dunning_deliveries(state=state)))


def _channels(values: Any) -> str:
    return ", ".join(dn.DunningChannel.Name(v).removeprefix("DUNNING_CHANNEL_").lower() for v in values)


def _print_run(console: Console, r: dn.RunDunningResponse) -> None:
    title = f"Dunning as of {r.as_of_date}" + (" (dry run: nothing stored or sent)" if r.dry_run else "")
    notices = Table(title=f"{title}: {len(r.notices)} notices")
    for column in ("Customer", "Cur", "Level", "Items", "Total", "Fee", "Interest", "Channels"):
        notices.add_column(
            column, justify="right" if column in ("Level", "Total", "Fee", "Interest") else "left"
        )
    for n in r.notices:
        c = n.total.currency_code
        notices.add_row(
            n.customer_id,
            c,
            str(n.level),
            " ".join(i.invoice_id for i in n.items),
            amount_text(n.total.amount_minor, c),
            amount_text(n.fee.amount_minor, c),
            amount_text(n.interest.amount_minor, c),
            _channels(n.channels),
        )
    console.print(notices)
    skips = Table(title=f"{len(r.skips)} skips")
    for column in ("Customer", "Cur", "Invoice", "Reason"):
        skips.add_column(column, no_wrap=True)
    skips.add_column("Detail")
    for s in r.skips:
        reason = dn.DunningSkipReason.Name(s.reason).removeprefix("DUNNING_SKIP_REASON_")
        skips.add_row(s.customer_id, s.currency_code, s.invoice_id or "(all)", reason, s.detail)
    console.print(skips)


def _print_deliver(console: Console, r: dn.DeliverDunningOutboxResponse) -> None:
    console.print(f"sent {r.sent}, retrying {r.retrying}, failed {r.failed}")


def _print_deliveries(console: Console, r: dn.ListDunningDeliveriesResponse) -> None:
    table = Table(title=f"{len(r.deliveries)} deliveries")
    for column in ("Notice", "Channel", "Customer", "State", "Attempts", "Recipient"):
        table.add_column(column, justify="right" if column == "Attempts" else "left", no_wrap=True)
    table.add_column("Last error")
    for x in r.deliveries:
        table.add_row(
            x.notice_id,
            _channels([x.channel]),
            x.customer_id,
            dn.DunningDeliveryState.Name(x.state).removeprefix("DUNNING_DELIVERY_STATE_"),
            str(x.attempts),
            x.recipient,
            x.last_error,
        )
    console.print(table)


_PRINTERS: dict[str, Callable[[Console, Any], None]] = {
    "run": _print_run,
    "deliver": _print_deliver,
    "deliveries": _print_deliveries,
}
