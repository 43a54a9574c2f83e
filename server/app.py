"""Builds and runs the grpc.aio server: the six services, health (NOT_SERVING while the database
is unreachable, see server/health_watch.py), reflection, limits, and a graceful shutdown (health
NOT_SERVING first, then stop with a grace period)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from cashapp_client._proto.cashapp.v1 import (
    alert_service_pb2,
    alert_service_pb2_grpc,
    case_service_pb2,
    case_service_pb2_grpc,
    customer_service_pb2,
    customer_service_pb2_grpc,
    dunning_service_pb2,
    dunning_service_pb2_grpc,
    invoice_service_pb2,
    invoice_service_pb2_grpc,
    payment_service_pb2,
    payment_service_pb2_grpc,
    reconciliation_service_pb2,
    reconciliation_service_pb2_grpc,
    report_service_pb2,
    report_service_pb2_grpc,
    return_service_pb2,
    return_service_pb2_grpc,
)
from engine.app import CashApp
from engine.dunning.channels import ChannelSettings
from engine.storage.db import Database
from engine.storage.token_store import TokenStore
from server import metrics, servicers, telemetry
from server.alert_servicer import AlertService
from server.auth import Authenticator, require_authentication_beyond_loopback
from server.backlog_rounds import DecideProcesses
from server.config import MAX_CONCURRENT_RPCS, MAX_MESSAGE_BYTES, Settings, is_loopback
from server.dunning_loop import DeliveryLoop
from server.dunning_servicer import DunningService
from server.edge import Edge
from server.health_watch import DatabaseHealth
from server.report_servicer import ReportService
from server.rpc import Rpc
from server.rpc_telemetry import TelemetryInterceptor
from server.tls import load_server_tls

log = logging.getLogger(__name__)

SERVICE_NAMES = [
    module.DESCRIPTOR.services_by_name[name].full_name
    for module, name in (
        (customer_service_pb2, "CustomerService"),
        (invoice_service_pb2, "InvoiceService"),
        (payment_service_pb2, "PaymentService"),
        (return_service_pb2, "ReturnService"),
        (reconciliation_service_pb2, "ReconciliationService"),
        (alert_service_pb2, "AlertService"),
        (report_service_pb2, "ReportService"),
        (case_service_pb2, "CaseService"),
        (dunning_service_pb2, "DunningService"),
    )
]


# How long past the grace period the gRPC server's own shutdown may take (it normally takes
# milliseconds once the calls are cancelled).
GRPC_STOP_MARGIN_SECONDS = 10.0
# A stop normally ends within milliseconds of its last call in flight. A serving process still
# alive this long past its grace period logs where every thread and task stands: where it hangs.
SLOW_STOP_REPORT_SECONDS = 2.0


def report_a_slow_stop(grace_seconds: float) -> None:
    """Armed as a serving process starts to stop, and never disarmed: the report also covers the
    interpreter's own exit (it joins every non-daemon thread), which comes after the stop. A
    daemon thread, so it never holds up an exit itself."""
    delay = grace_seconds + SLOW_STOP_REPORT_SECONDS
    loop = asyncio.get_running_loop()

    def report() -> None:
        log.warning("still stopping %g s after the stop began; where it stands:\n%s", delay, _where(loop))

    timer = threading.Timer(delay, report)
    timer.daemon = True
    timer.start()


@dataclass
class Running:
    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer
    db: Database
    executor: ThreadPoolExecutor
    grace_seconds: float
    db_health: DatabaseHealth
    delivery_loop: DeliveryLoop
    decide_processes: DecideProcesses | None = None

    async def stop(self) -> None:
        """Graceful: report NOT_SERVING so balancers drain, then finish in-flight calls."""
        await self.delivery_loop.stop()
        await self.db_health.stop()  # from here on only the shutdown decides health
        await self.health.enter_graceful_shutdown()
        await self._stop_grpc()
        self.executor.shutdown(wait=True)
        if self.decide_processes is not None:
            await asyncio.to_thread(self.decide_processes.close)
        metrics.unwatch(self.db)
        self.db.dispose()

    async def _stop_grpc(self) -> None:
        """grpc cancels the calls still running when the grace period ends and then waits for its
        core to confirm the shutdown; bounded, so that a confirmation that never comes cannot keep a
        process that was told to stop alive (the handlers themselves are waited for next)."""
        bound = self.grace_seconds + GRPC_STOP_MARGIN_SECONDS
        try:
            async with asyncio.timeout(bound):  # not wait_for: see server/health_watch.py's _ping
                await self.server.stop(self.grace_seconds)
        except TimeoutError:
            log.error("the gRPC server had not confirmed its shutdown %g s after the stop; going on", bound)


async def start(settings: Settings, *, migrate: bool = True) -> Running:
    """The server, listening. `migrate=False` in the worker processes of `--processes N`, whose
    parent brought the schema up to date once before starting them (server/processes.py)."""
    server_tls = load_server_tls(settings.tls_cert, settings.tls_key, settings.tls_client_ca)
    db = Database(settings.database_url)
    if migrate:
        db.migrate()
    auth = Authenticator(
        dict(settings.tokens),
        TokenStore(db),
        mtls=server_tls is not None and server_tls.mtls,
        loopback=is_loopback(settings.listen),
    )
    try:
        require_authentication_beyond_loopback(settings.listen, auth)
    except ValueError:
        db.dispose()
        raise
    telemetry.configure(db.engine)
    metrics.watch(db)
    executor = ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="cashapp-db")
    rpc = Rpc(CashApp(db), auth, executor)
    options: list[tuple[str, int]] = [
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ]
    # Said, not left to grpc's default (on, on Linux): the N processes of `--processes` bind one
    # port and the kernel spreads incoming connections over them; a single server owns its port,
    # so a second `cashapp serve` started on it by mistake fails instead of silently taking part
    # of the traffic (perhaps to another database). server/processes.py probes the port first.
    options.append(("grpc.so_reuseport", 1 if settings.processes > 1 else 0))
    server = grpc.aio.server(
        options=options,
        maximum_concurrent_rpcs=MAX_CONCURRENT_RPCS,
        # Telemetry outermost, so it also records calls the edge refuses; then authenticate first,
        # and refuse malformed bytes and NUL.
        interceptors=[TelemetryInterceptor(), Edge(rpc.auth)],
    )
    customer_service_pb2_grpc.add_CustomerServiceServicer_to_server(servicers.CustomerService(rpc), server)
    invoice_service_pb2_grpc.add_InvoiceServiceServicer_to_server(servicers.InvoiceService(rpc), server)
    payment_service_pb2_grpc.add_PaymentServiceServicer_to_server(
        servicers.PaymentService(rpc, settings.max_statement_bytes), server
    )
    return_service_pb2_grpc.add_ReturnServiceServicer_to_server(servicers.ReturnService(rpc), server)
    decide = (
        DecideProcesses(settings.database_url, settings.decide_processes)
        if settings.decide_processes
        else None
    )
    reconciliation_service_pb2_grpc.add_ReconciliationServiceServicer_to_server(
        servicers.ReconciliationService(rpc, decide), server
    )
    report_service_pb2_grpc.add_ReportServiceServicer_to_server(ReportService(rpc), server)
    case_service_pb2_grpc.add_CaseServiceServicer_to_server(servicers.CaseService(rpc), server)
    channels = ChannelSettings(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_sender,
        settings.dunning_http_url,
        settings.print_folder,
    )
    dunning = DunningService(rpc, channels)
    dunning_service_pb2_grpc.add_DunningServiceServicer_to_server(dunning, server)
    health_servicer = health.aio.HealthServicer()
    alert_service_pb2_grpc.add_AlertServiceServicer_to_server(AlertService(rpc), server)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        [*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )
    if server_tls is None:
        port = server.add_insecure_port(settings.listen)
    else:
        port = server.add_secure_port(settings.listen, server_tls.credentials())
    log.info("transport: %s", "plaintext" if server_tls is None else "mTLS" if server_tls.mtls else "TLS")
    await server.start()
    for name in ["", *SERVICE_NAMES]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    db_health = DatabaseHealth(db, health_servicer, SERVICE_NAMES)
    db_health.start()
    delivery_loop = DeliveryLoop(rpc.app, dunning.senders, settings.dunning_delivery_interval_seconds)
    delivery_loop.start()
    return Running(
        server,
        port,
        health_servicer,
        db,
        executor,
        settings.shutdown_grace_seconds,
        db_health,
        delivery_loop,
        decide,
    )


async def serve(settings: Settings) -> None:
    """Runs until SIGTERM or SIGINT, then shuts down gracefully."""
    running = await start(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Before the listening line: whoever waits for that line may send SIGTERM at once.
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    host = settings.listen.rsplit(":", 1)[0]
    print(f"cashapp listening on {host}:{running.port}", flush=True)
    await stop.wait()
    log.info("shutting down")
    report_a_slow_stop(settings.shutdown_grace_seconds)
    await running.stop()


# How long an embedded server may take to start (migrations included) before we give up.
EMBEDDED_START_TIMEOUT_SECONDS = 60.0


@contextmanager
def run_in_thread(settings: Settings) -> Iterator[Running]:
    """A server on its own event loop in a background thread (the demo and tests embed it)."""
    loop = asyncio.new_event_loop()
    started: dict[str, Running | BaseException] = {}
    ready = threading.Event()
    stop = asyncio.Event()

    async def main() -> None:
        try:
            started["running"] = await start(settings)
        except BaseException as exc:
            started["error"] = exc
            ready.set()
            return
        ready.set()
        await stop.wait()
        await started["running"].stop()  # type: ignore[union-attr]

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    if not ready.wait(EMBEDDED_START_TIMEOUT_SECONDS):
        raise RuntimeError("embedded server did not start in time")
    if "error" in started:
        error = started["error"]
        assert isinstance(error, BaseException)
        raise RuntimeError("embedded server failed to start") from error
    try:
        yield started["running"]  # type: ignore[misc]
    finally:
        loop.call_soon_threadsafe(stop.set)
        # The stop lets in-flight calls finish for the grace period, then waits for the rounds
        # still running on the executor (a cancelled AutoApply's round commits first).
        waited = settings.shutdown_grace_seconds + EMBEDDED_START_TIMEOUT_SECONDS
        thread.join(waited)
        if thread.is_alive():  # closing a loop that still runs would only hide why
            raise RuntimeError(f"embedded server did not stop within {waited:g} s\n{_where(loop)}")
        loop.close()


def _where(loop: asyncio.AbstractEventLoop) -> str:
    """Where each thread and each of the loop's tasks stands: what a shutdown that hangs waits on."""
    names = {t.ident: t.name for t in threading.enumerate()}
    parts = [
        f"thread {names.get(ident, ident)}:\n{''.join(traceback.format_stack(frame))}"
        for ident, frame in sys._current_frames().items()
    ]
    # Read from outside the loop's thread: the loop is stuck, and this is only a report.
    parts += [_task_stack(task) for task in list(asyncio.all_tasks(loop))]
    return "\n".join(parts)


def _task_stack(task: asyncio.Task[Any]) -> str:
    """A task and the frames it is suspended in. Not Task.print_stack, which reads each frame's
    source line and fails on a frame without a line number (a coroutine's frame while it is being
    closed, say)."""
    codes = [(f.f_code, f.f_lineno) for f in task.get_stack()]
    frames = [f"  File {code.co_filename!r}, line {line}, in {code.co_name}" for code, line in codes]
    return "\n".join([repr(task), *frames])
