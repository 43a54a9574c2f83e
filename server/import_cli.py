"""`cashapp import FILE...`: uploads bank files to a running server (ImportStatement), with a
progress bar for large files and a summary table at the end.

Exit codes (the worst over all files; scripts can rely on them):
  0  every file imported (or imported before), nothing needs a person
  1  a runtime failure: the server is unreachable, or an unexpected server error
  2  bad usage: a file that cannot be read, bad flags, a refused token
  3  a file was refused (malformed, unknown format, over the server's size limit): that file
     changed nothing; the other files were still sent
  4  imported, with exceptions a person must look at: unmatched returns, held advice, conflicts
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

import grpc
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
from rich.table import Table

from cashapp_client import CashappError, Client, ImportStatementResponse
from cashapp_client._channel import DEFAULT_TARGET
from engine.ingest.formats import FORMATS

EXIT_OK = 0
EXIT_RUNTIME_FAILURE = 1
EXIT_BAD_USAGE = 2
EXIT_FILE_REFUSED = 3
EXIT_NEEDS_ATTENTION = 4
# Severity order when several files end differently: the worst wins.
_SEVERITY = (EXIT_OK, EXIT_NEEDS_ATTENTION, EXIT_FILE_REFUSED, EXIT_BAD_USAGE, EXIT_RUNTIME_FAILURE)
EXIT_CODES_HELP = (
    "exit codes: 0 all imported, 1 runtime failure (server unreachable), 2 bad usage (unreadable "
    "file, refused token), 3 a file refused (malformed or too large; it changed nothing), 4 imported "
    "with exceptions (unmatched returns, held advice, conflicts)"
)
# Files at least this large get a progress bar (when stderr is a terminal).
PROGRESS_MIN_BYTES = 1024 * 1024
# Exceptions listed per file under the table (the response holds up to 1000).
SHOWN_EXCEPTIONS = 20
DEFAULT_TIMEOUT_SECONDS = 120.0
PIPED_WIDTH = 1000  # characters of a table line when stdout is not a terminal
_ATTENTION = ("RETURN_UNMATCHED", "ADVICE_HELD", "CONFLICT")


def add_import_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "import",
        help="upload bank files (camt.053/054, BAI2, MT940/942, EDI 820, NACHA, CSV) to a server",
        description="Each file is imported whole or not at all; a file sent again is recognized "
        "by its SHA-256 and changes nothing.",
        epilog=EXIT_CODES_HELP,
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="bank files to import, in order")
    parser.add_argument("--format", choices=FORMATS, help="the files' format (default: detected per file)")
    parser.add_argument("--auto-apply", action="store_true", help="run AutoApply on what each file imported")
    _env_flag(parser, "--server", "CASHAPP_SERVER", f"server address host:port (default {DEFAULT_TARGET})")
    _env_flag(parser, "--token", "CASHAPP_TOKEN", "API token (sent as a bearer token)")
    _env_flag(parser, "--tls-ca", "CASHAPP_TLS_CA", "use TLS, trusting this CA certificate (PEM)")
    _env_flag(parser, "--tls-client-cert", "CASHAPP_TLS_CLIENT_CERT", "mTLS: client certificate (PEM)")
    _env_flag(parser, "--tls-client-key", "CASHAPP_TLS_CLIENT_KEY", "mTLS: client private key (PEM)")
    parser.add_argument(
        "--timeout-seconds",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        help=f"deadline per file, plus one second per MiB (default {DEFAULT_TIMEOUT_SECONDS:g})",
    )


def _env_flag(parser: argparse.ArgumentParser, flag: str, env: str, text: str) -> None:
    parser.add_argument(flag, default=os.environ.get(env) or None, help=f"{text} (env {env})")


def _credentials(args: argparse.Namespace) -> grpc.ChannelCredentials | None:
    """TLS credentials from the flags; ValueError (exit 2) for unreadable or half-given files."""
    if bool(args.tls_client_cert) != bool(args.tls_client_key):
        raise ValueError("--tls-client-cert and --tls-client-key go together")
    if not (args.tls_ca or args.tls_client_cert):
        return None

    def read(path: str | None) -> bytes | None:
        return Path(path).read_bytes() if path else None

    try:
        return grpc.ssl_channel_credentials(
            root_certificates=read(args.tls_ca),
            private_key=read(args.tls_client_key),
            certificate_chain=read(args.tls_client_cert),
        )
    except OSError as exc:
        raise ValueError(f"cannot read a TLS file: {exc}") from None


def run_import(args: argparse.Namespace, out: Console | None = None, err: Console | None = None) -> int:
    # Piped into a script, the table keeps every column whole instead of fitting 80 characters.
    out = out or Console(file=sys.stdout, soft_wrap=True, width=None if sys.stdout.isatty() else PIPED_WIDTH)
    err = err or Console(file=sys.stderr, soft_wrap=True)
    try:
        credentials = _credentials(args)
        if args.timeout_seconds <= 0:
            raise ValueError("--timeout-seconds must be > 0")
    except ValueError as exc:
        err.print(f"cashapp: {exc}", markup=False, highlight=False)
        return EXIT_BAD_USAGE
    results: list[tuple[str, ImportStatementResponse | None, str, int]] = []
    with Client(
        args.server or DEFAULT_TARGET,
        token=args.token,
        credentials=credentials,
        timeout_seconds=args.timeout_seconds,
    ) as client:
        for name in args.files:
            response, problem, code = _one(client, Path(name), args, err)
            results.append((name, response, problem, code))
            if code == EXIT_RUNTIME_FAILURE:
                break  # the server is gone: the other files would fail alike
    _print_summary(results, out)
    return max((code for *_, code in results), key=_SEVERITY.index, default=EXIT_OK)


def _one(
    client: Client, path: Path, args: argparse.Namespace, err: Console
) -> tuple[ImportStatementResponse | None, str, int]:
    """Imports one file: (response, why it failed, exit code of this file)."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise OSError(f"{path} is not a file")
    except OSError as exc:
        return None, f"cannot read the file: {exc}", EXIT_BAD_USAGE
    try:
        response = _upload(client, path, size, args, err)
    except CashappError as exc:
        return None, str(exc), _exit_of(exc)
    except OSError as exc:  # the file vanished or became unreadable while streaming
        return None, f"cannot read the file: {exc}", EXIT_BAD_USAGE
    attention = any(getattr(response.counts, n) for n in ("unmatched_returns", "advice_held", "conflicts"))
    return response, "", EXIT_NEEDS_ATTENTION if attention else EXIT_OK


def _upload(
    client: Client, path: Path, size: int, args: argparse.Namespace, err: Console
) -> ImportStatementResponse:
    def send(on_progress: Callable[[int], None] | None) -> ImportStatementResponse:
        return client.import_statement(
            path, format=args.format, auto_apply=args.auto_apply, on_progress=on_progress
        )

    if size < PROGRESS_MIN_BYTES or not err.is_terminal:
        return send(None)
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(f"uploading {path.name}", total=size)
        return send(lambda sent: progress.update(task, completed=sent))


def _exit_of(exc: CashappError) -> int:
    code = exc.code
    if code is grpc.StatusCode.INVALID_ARGUMENT:
        return EXIT_FILE_REFUSED
    if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
        return EXIT_BAD_USAGE
    return EXIT_RUNTIME_FAILURE


COLUMNS = (
    "FILE", "FORMAT", "ENTRIES", "CREATED", "SEEN", "RETURNS", "UNMATCHED", "LINKED", "HELD", "SKIPPED",
    "CONFLICTS", "RESULT",
)  # fmt: skip


def _print_summary(results: list[tuple[str, ImportStatementResponse | None, str, int]], out: Console) -> None:
    table = Table(*COLUMNS, box=None, pad_edge=False)
    for name, response, _, code in results:
        if response is None:
            table.add_row(name, *["-"] * (len(COLUMNS) - 2), f"FAILED ({code})")
            continue
        c = response.counts
        result = "IMPORTED BEFORE" if response.already_imported else "IMPORTED"
        if code == EXIT_NEEDS_ATTENTION:
            result += " WITH EXCEPTIONS"
        numbers = [c.entries, c.created, c.already_imported, c.returns, c.unmatched_returns]
        numbers += [c.advice_linked, c.advice_held, c.skipped, c.conflicts]
        table.add_row(name, response.format, *(str(n) for n in numbers), result)
    out.print(table)
    for name, response, problem, _ in results:
        if response is None:
            out.print(f"{name}: {problem}", markup=False, highlight=False)
            continue
        _print_details(name, response, out)


def _print_details(name: str, response: ImportStatementResponse, out: Console) -> None:
    shown = [e for e in response.exceptions if e.result in _ATTENTION][:SHOWN_EXCEPTIONS]
    for e in shown:
        out.print(
            f"{name}: {e.location}: {e.result} {e.entry_id}: {e.message}", markup=False, highlight=False
        )
    more = (
        sum(e.result in _ATTENTION for e in response.exceptions)
        - len(shown)
        + response.omitted_exception_count
    )
    if more > 0:
        out.print(f"{name}: {more} more exceptions not shown", markup=False, highlight=False)
    for warning in response.warnings[:SHOWN_EXCEPTIONS]:
        out.print(f"{name}: warning: {warning}", markup=False, highlight=False)
    if response.HasField("auto_apply"):
        a = response.auto_apply
        out.print(
            f"{name}: auto-apply: {a.auto_applied_count} applied, {a.suggested_count} suggested, "
            f"{a.unmatched_count} unmatched, {a.unchanged_count} unchanged",
            markup=False,
            highlight=False,
        )
