"""`cashapp alerts [--all] [--ack ID --note WHY]`: the alerts of a running server as a table, or
one acknowledged. A client of the API like server/report_cli.py (--server, --token, --json).
Exit codes: 0 done, 1 the server failed or could not be reached, 2 refused input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from typing import TextIO

from google.protobuf import json_format
from rich.console import Console
from rich.table import Table

from cashapp_client import CashappError, Client, InvalidArgumentError, NotFoundError
from cashapp_client._channel import DEFAULT_TARGET
from cashapp_client._proto.cashapp.v1 import alert_service_pb2 as al


def add_alerts_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    alerts = sub.add_parser("alerts", help="list the alerts of a running server, or acknowledge one")
    alerts.add_argument("--all", action="store_true", help="also list acknowledged alerts")
    alerts.add_argument("--customer", default=None, help="only this customer's alerts")
    alerts.add_argument("--ack", metavar="ALERT_ID", default=None, help="acknowledge this alert")
    alerts.add_argument("--note", default="", help="with --ack: why (what was checked, what was done)")
    alerts.add_argument("--actor", default=os.environ.get("USER", ""), help="with --ack: who (default $USER)")
    alerts.add_argument("--server", default=os.environ.get("CASHAPP_SERVER", DEFAULT_TARGET))
    alerts.add_argument("--token", default=os.environ.get("CASHAPP_TOKEN"), help="API token")
    alerts.add_argument("--json", action="store_true", help="print the alerts as JSON")


def run_alerts(args: argparse.Namespace, out: TextIO | None = None) -> int:
    console = Console(file=out or sys.stdout, width=160)
    try:
        with Client(args.server, token=args.token) as client:
            if args.ack:
                alerts = [client.acknowledge_alert(args.ack, actor=args.actor, note=args.note)]
            else:
                alerts = list(client.list_alerts(customer_id=args.customer, include_acknowledged=args.all))
    except (InvalidArgumentError, NotFoundError) as exc:
        print(f"cashapp: {exc}", file=sys.stderr)
        return 2
    except CashappError as exc:
        print(f"cashapp: alerts failed: {exc}", file=sys.stderr)
        return 1
    if args.json:
        response = al.ListAlertsResponse(alerts=alerts)
        console.print_json(json_format.MessageToJson(response, preserving_proto_field_name=True))
        return 0
    table = Table(title=f"{len(alerts)} alerts" + (" (acknowledged)" if args.ack else ""))
    for column in ("Alert", "Kind", "Customer", "Subject", "Found"):
        table.add_column(column, no_wrap=True)  # ids and kinds are copied out whole
    table.add_column("Summary")
    table.add_column("Acknowledged")
    for a in alerts:
        found = dt.datetime.fromtimestamp(a.create_time.seconds, dt.UTC).strftime("%Y-%m-%d %H:%M")
        acked = f"{a.acknowledged_by}: {a.note}" if a.HasField("acknowledge_time") else ""
        table.add_row(
            a.alert_id,
            al.AlertKind.Name(a.kind).removeprefix("ALERT_KIND_"),
            a.customer_id,
            f"{a.subject_type} {a.subject_id}",
            found,
            a.summary,
            acked,
        )
    console.print(table)
    return 0
