"""`cashapp serve --processes N`: N server processes on one port.

One server process is bound by its event-loop thread (grpc's per-call work and asyncio), so it
tops out at what one core does whatever the database can take. Here the parent brings the schema
up to date once, then starts N workers with the "spawn" start method (a fresh interpreter each:
never a fork of a process that has threads or a grpc channel). Each worker is a whole server, with
its own engine, pool and grpc.aio server bound to the same address with SO_REUSEPORT, so the
kernel spreads incoming connections over them (a connection stays with the worker that accepted
it). Background jobs run in every worker: dunning delivery claims each delivery before sending it,
so replicas never send one twice (README), and a worker is a replica like any other.

The parent prints the listening line once every worker listens, forwards SIGTERM and SIGINT to the
workers as SIGTERM (each stops gracefully), and exits 0 when all stopped cleanly. No half-alive
server: a worker that fails to start, or dies while serving, stops the others and the parent
exits non-zero, naming the worker. A worker whose parent is gone (killed) stops by itself.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
import socket
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import FrameType

from engine.storage.db import Database
from server import logs
from server.app import EMBEDDED_START_TIMEOUT_SECONDS, report_a_slow_stop, start
from server.config import Settings, mask_urls_in, split_listen

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_RUNTIME_FAILURE = 1
EXIT_BAD_CONFIGURATION = 2
# How long every worker together may take to listen: the same bound as an embedded server's start.
START_TIMEOUT_SECONDS = EMBEDDED_START_TIMEOUT_SECONDS
# Beyond the grace period, what a worker may take to stop (its executor and pool); then killed.
STOP_MARGIN_SECONDS = 15.0
POLL_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class Listening:
    """A worker's first message: it listens on `port`."""

    port: int


@dataclass(frozen=True, slots=True)
class StartFailed:
    """A worker's first message when it could not start; `refused` is a bad setting found at start
    (TLS files, no authentication beyond loopback), else a runtime failure (port taken, database)."""

    refused: bool
    message: str


class _StopRequest:
    """Set by the parent's SIGTERM / SIGINT handler (a plain flag: safe in a signal handler)."""

    def __init__(self) -> None:
        self.signal: int | None = None

    def __call__(self, signum: int, _frame: FrameType | None) -> None:
        self.signal = signum


def serve_processes(settings: Settings) -> int:
    """Runs `settings.processes` workers until SIGTERM or SIGINT; the exit code of `cashapp serve`."""
    db = Database(settings.database_url)
    try:
        db.migrate()  # once, here: N workers migrating at once would race on the version table
    finally:
        db.dispose()
    taken = port_in_use(settings.listen)
    if taken is not None:
        _say(f"serve failed: {taken}")
        return EXIT_RUNTIME_FAILURE
    stop = _StopRequest()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    context = multiprocessing.get_context("spawn")
    workers: list[BaseProcess] = []
    pipes: list[Connection] = []
    try:
        for index in range(settings.processes):
            ours, theirs = context.Pipe()
            # daemon: should this process end by an exception, multiprocessing stops the workers.
            spawned: BaseProcess = context.Process(
                target=run_worker, args=(settings, index, theirs), name=f"cashapp-serve-{index}", daemon=True
            )
            spawned.start()
            theirs.close()
            workers.append(spawned)
            pipes.append(ours)
        failed = _wait_listening(workers, pipes, stop)
        if failed is not None:
            _stop_all(workers, settings.shutdown_grace_seconds)
            return failed
        host, port = split_listen(settings.listen)
        print(f"cashapp listening on {host}:{port}", flush=True)
        log.info("%d server processes listening (pids %s)", len(workers), [w.pid for w in workers])
        while stop.signal is None:
            wait([w.sentinel for w in workers], timeout=POLL_SECONDS)
            if stop.signal is not None:  # a signal to the whole group: the workers stop too
                break
            dead = [(i, w) for i, w in enumerate(workers) if w.exitcode is not None]
            if dead:
                index, worker = dead[0]
                how = _exit_text(worker.exitcode)
                _say(f"serve failed: worker {index} (pid {worker.pid}) {how}; stopping the others")
                _stop_all(workers, settings.shutdown_grace_seconds)
                return EXIT_RUNTIME_FAILURE
        log.info("shutting down %d server processes (%s)", len(workers), signal.Signals(stop.signal).name)
        codes = _stop_all(workers, settings.shutdown_grace_seconds)
        bad = [(i, code) for i, code in enumerate(codes) if code != 0]
        for index, code in bad:
            _say(f"serve: worker {index} {_exit_text(code)} while stopping")
        return EXIT_RUNTIME_FAILURE if bad else EXIT_OK
    finally:
        for worker in workers:  # only reached alive on a bug above: never leave one behind
            if worker.exitcode is None:
                worker.kill()
                worker.join()
        for pipe in pipes:
            pipe.close()


def _wait_listening(workers: list[BaseProcess], pipes: list[Connection], stop: _StopRequest) -> int | None:
    """None once every worker listens; else the exit code (a stop request while starting is 0)."""
    pending = set(range(len(workers)))
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while pending:
        if stop.signal is not None:
            return EXIT_OK
        if time.monotonic() > deadline:
            _say(f"serve failed: workers {sorted(pending)} did not listen within {START_TIMEOUT_SECONDS:g} s")
            return EXIT_RUNTIME_FAILURE
        wait([pipes[i] for i in pending] + [workers[i].sentinel for i in pending], timeout=POLL_SECONDS)
        for index in sorted(pending):
            message = _receive(pipes[index])
            if isinstance(message, Listening):
                pending.discard(index)
            elif isinstance(message, StartFailed):
                _say(
                    message.message if message.refused else f"serve failed: worker {index}: {message.message}"
                )
                return EXIT_BAD_CONFIGURATION if message.refused else EXIT_RUNTIME_FAILURE
            elif workers[index].exitcode is not None:
                code = workers[index].exitcode
                _say(f"serve failed: worker {index} {_exit_text(code)} before it listened")
                return EXIT_RUNTIME_FAILURE
    return None


def _receive(pipe: Connection) -> object:
    if not pipe.poll():
        return None
    try:
        return pipe.recv()
    except (EOFError, OSError):  # the worker is gone: its exit code tells the rest
        return None


def _stop_all(workers: list[BaseProcess], grace_seconds: float) -> list[int | None]:
    """SIGTERM to every live worker, then their exit codes (a worker past its time is killed)."""
    for worker in workers:
        if worker.exitcode is None:
            worker.terminate()
    deadline = time.monotonic() + grace_seconds + STOP_MARGIN_SECONDS
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.exitcode is None:
            log.warning("worker pid %s did not stop in time: killed", worker.pid)
            worker.kill()
            worker.join()
    return [worker.exitcode for worker in workers]


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


def port_in_use(listen: str) -> str | None:
    """Why `listen` cannot be served, if another socket holds it. The workers bind with
    SO_REUSEPORT, which would let them join the listeners of another `serve --processes` of the
    same user on that port and share its traffic: a probe without SO_REUSEPORT fails on any
    socket already bound there, with or without it."""
    bracketed, port = split_listen(listen)
    host = bracketed.removeprefix("[").removesuffix("]") or None
    try:
        addresses = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, ValueError) as exc:
        return f"cannot listen on {listen}: {exc}"
    for family, kind, proto, _name, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as grpc binds
            try:
                probe.bind(address)
            except OSError as exc:
                return f"cannot listen on {listen}: {exc.strerror or exc}"
    return None


def _say(text: str) -> None:
    print(f"cashapp: {mask_urls_in(text)}", file=sys.stderr, flush=True)


# The worker side ----------------------------------------------------------------------------


def run_worker(settings: Settings, index: int, parent: Connection) -> None:
    """One server process (the target of a spawned process): listens, tells the parent, serves
    until SIGTERM or SIGINT or until the parent is gone, then stops gracefully."""
    logs.configure(settings.log_level, settings.log_format)
    served = asyncio.run(_serve(settings, index, parent))
    # Stopped: from here a SIGTERM (the parent's, after one to the whole group) has nothing left to
    # stop. Ignored, because the interpreter's exit puts Python-level handlers back to the default.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)
    if not served:
        sys.exit(EXIT_RUNTIME_FAILURE)


async def _serve(settings: Settings, index: int, parent: Connection) -> bool:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        if not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)

    # First, so a SIGTERM while starting stops this worker once it started, not in the middle.
    # signal.signal, not loop.add_signal_handler: the loop's handlers go back to the default when
    # it closes, and a second SIGTERM then (the parent's, after one sent to the whole process
    # group by a terminal or a supervisor) would kill a worker that is exiting cleanly.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, request_stop)
    try:
        running = await start(settings, migrate=False)
    except ValueError as exc:  # a bad setting found at start, as `cashapp serve` reports it
        parent.send(StartFailed(True, str(exc)))
        return False
    except Exception as exc:
        log.debug("worker %d failed to start", index, exc_info=True)
        first_line = (str(exc).splitlines() or [""])[0]
        parent.send(StartFailed(False, f"{type(exc).__name__}: {first_line}"))
        return False
    parent.send(Listening(running.port))
    # The parent never writes: the pipe turns readable when it closes, i.e. when the parent is gone
    # (killed with SIGKILL, say), and a worker must not serve on without it.
    loop.add_reader(parent.fileno(), stop.set)
    log.info("worker %d listening on port %d", index, running.port)
    await stop.wait()
    loop.remove_reader(parent.fileno())
    log.info("worker %d shutting down", index)
    report_a_slow_stop(settings.shutdown_grace_seconds)
    await running.stop()
    return True
