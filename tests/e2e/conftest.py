"""End-to-end fixtures: a real `cashapp serve` subprocess, and a small gRPC proxy/fake in front.

The real server runs on a free loopback port with a temporary SQLite file; tests get its target
("127.0.0.1:PORT"). The proxy forwards raw bytes to an upstream (or answers by itself) and can
fail or delay chosen calls, which is how retry and deadline behaviour is tested without touching
the server.
"""

from __future__ import annotations

import importlib.util
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVER_START_TIMEOUT_SECONDS = 60.0
SERVER_STOP_TIMEOUT_SECONDS = 15.0
LISTENING_MARKER = "cashapp listening on"


def server_available() -> bool:
    """True once the `server` package with its CLI exists (it is written concurrently)."""
    try:
        return importlib.util.find_spec("server.cli") is not None
    except ImportError:
        return False


SERVER_MISSING_REASON = "the `server` package (server/cli.py) is not importable yet"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RunningServer:
    target: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=SERVER_STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def _pump(stream: Any, sink: list[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        sink.append(line)
        lines.put(line)


def start_server(db_path: Path, env: dict[str, str] | None = None, port: int | None = None) -> RunningServer:
    """Starts `cashapp serve` and returns once it printed its listening line and is SERVING."""
    port = port or free_port()
    target = f"127.0.0.1:{port}"
    command = [
        sys.executable,
        "-c",
        "import sys; from server.cli import main; sys.exit(main())",
        "serve",
        "--listen",
        target,
        "--database-url",
        f"sqlite:///{db_path}",
    ]
    process_env = {**os.environ, **(env or {})}
    process_env.setdefault("OTEL_SDK_DISABLED", "true")
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=process_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = RunningServer(target=target, process=process)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, server.output, lines), daemon=True).start()
    deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None:
            server.stop()
            raise RuntimeError("cashapp serve did not start:\n" + "".join(server.output))
        try:
            if LISTENING_MARKER in lines.get(timeout=min(remaining, 0.5)):
                break
        except queue.Empty:
            continue
    _wait_serving(target, deadline)
    return server


def _wait_serving(target: str, deadline: float) -> None:
    with grpc.insecure_channel(target) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                response = health.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                if response.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server at {target} never reported SERVING")
            time.sleep(0.05)


@pytest.fixture(scope="session")
def server_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The target of a real server shared by the session (tests use unique ids)."""
    if not server_available():
        pytest.skip(SERVER_MISSING_REASON)
    server = start_server(tmp_path_factory.mktemp("cashapp") / "e2e.db")
    try:
        yield server.target
    finally:
        code = server.stop()
        assert code == 0, "server did not stop cleanly on SIGTERM:\n" + "".join(server.output)


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    """Starts extra servers (e.g. with CASHAPP_TOKENS) that the test owns; stopped afterwards."""
    if not server_available():
        pytest.skip(SERVER_MISSING_REASON)
    started: list[RunningServer] = []

    def factory(env: dict[str, str] | None = None, port: int | None = None) -> RunningServer:
        server = start_server(tmp_path / f"{uuid.uuid4().hex}.db", env, port)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


@pytest.fixture
def unique() -> Callable[[str], str]:
    """Unique ids per test, so tests sharing the session server never collide."""
    suffix = uuid.uuid4().hex[:10]
    return lambda prefix: f"{prefix}-{suffix}"


# The proxy -------------------------------------------------------------------------------------


@dataclass
class RecordedCall:
    method: str
    requests: list[bytes]
    metadata: dict[str, str]


# A behaviour decides how the proxy answers one call: return serialized response bytes to answer
# by itself, None to forward upstream, or call context.abort(...) to fail. It may also sleep.
Behaviour = Callable[[RecordedCall, grpc.ServicerContext], bytes | None]


class Proxy(grpc.GenericRpcHandler):
    """A byte-level gRPC proxy with scripted failures, recording every call it sees."""

    def __init__(self, upstream: str | None) -> None:
        self.calls: list[RecordedCall] = []
        self.behaviours: list[Behaviour] = []
        self._lock = threading.Lock()
        self._upstream = grpc.insecure_channel(upstream) if upstream else None
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        self._server.add_generic_rpc_handlers((self,))
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self.target = f"127.0.0.1:{self.port}"
        self._server.start()

    def close(self) -> None:
        self._server.stop(grace=None)
        if self._upstream is not None:
            self._upstream.close()

    def fail_next(self, count: int, code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE) -> None:
        def fail(call: RecordedCall, context: grpc.ServicerContext) -> bytes | None:
            context.abort(code, f"scripted {code.name} from the test proxy")

        self.behaviours.extend([fail] * count)

    def then(self, *behaviours: Behaviour) -> None:
        self.behaviours.extend(behaviours)

    def methods(self) -> list[str]:
        return [call.method for call in self.calls]

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        method: str = handler_call_details.method  # type: ignore[attr-defined]
        metadata = dict(handler_call_details.invocation_metadata)  # type: ignore[attr-defined]
        if method.endswith("/ImportPayments"):
            return grpc.stream_unary_rpc_method_handler(
                lambda requests, context: self._handle(method, metadata, list(requests), context)
            )
        return grpc.unary_unary_rpc_method_handler(
            lambda request, context: self._handle(method, metadata, [request], context)
        )

    def _handle(
        self,
        method: str,
        metadata: dict[str, str],
        requests: list[bytes],
        context: grpc.ServicerContext,
    ) -> bytes:
        call = RecordedCall(method, requests, metadata)
        with self._lock:
            self.calls.append(call)
            behaviour = self.behaviours.pop(0) if self.behaviours else None
        if behaviour is not None:
            answer = behaviour(call, context)
            if answer is not None:
                return answer
        if self._upstream is None:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "the test proxy has no upstream")
        forward_metadata = tuple((k, v) for k, v in metadata.items() if k in ("authorization",))
        try:
            if method.endswith("/ImportPayments"):
                stream_call = self._upstream.stream_unary(method)
                response: bytes = stream_call(
                    iter(requests), timeout=context.time_remaining(), metadata=forward_metadata
                )
            else:
                unary_call = self._upstream.unary_unary(method)
                response = unary_call(
                    requests[0], timeout=context.time_remaining(), metadata=forward_metadata
                )
        except grpc.RpcError as error:
            context.abort_with_status(_status_of(error))
        return response


class _Status(grpc.Status):
    def __init__(self, code: grpc.StatusCode, details: str, trailing_metadata: Any) -> None:
        self.code = code
        self.details = details
        self.trailing_metadata = trailing_metadata


def _status_of(error: grpc.RpcError) -> grpc.Status:
    # Forward the upstream status with its trailers (grpc-status-details-bin) untouched.
    return _Status(error.code(), error.details() or "", error.trailing_metadata())


@pytest.fixture
def proxy_factory() -> Iterator[Callable[[str | None], Proxy]]:
    proxies: list[Proxy] = []

    def factory(upstream: str | None) -> Proxy:
        proxy = Proxy(upstream)
        proxies.append(proxy)
        return proxy

    yield factory
    for proxy in proxies:
        proxy.close()
