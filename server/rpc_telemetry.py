"""Per-call telemetry: for every RPC one access log line (method, code, duration, tenant, peer),
one latency observation by method and code, the request's resource ids on the RPC span, and the
call's final gRPC code and status on that span.

Why an interceptor of our own next to the official gRPC instrumentation (which creates the span):
the instrumentation records rpc.grpc.status_code = 0 when the span starts and updates it only when
a servicer calls `context.abort`; server.rpc aborts with `abort_with_status` (to send the
google.rpc.Status details), which it never sees, so every failed call looked OK. This interceptor
runs inside the instrumentation's span (the instrumentation puts its interceptor first) and sets
the code from what the call really ended with, whichever way it ended.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import grpc
from google.protobuf.message import Message
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from server import metrics

access_log = logging.getLogger("cashapp.access")

# Top-level request fields that name one resource, copied onto the RPC span as cashapp.<field> so
# that "the trace of payment X" can be found by attribute.
ID_FIELDS = ("payment_id", "invoice_id", "customer_id", "exception_id", "return_id", "decision_id")
# Health probes and reflection are logged at DEBUG: a balancer probing every second would drown
# the calls an operator reads the access log for.
QUIET_PREFIX = "/grpc."
# The codes that mean the server failed (OpenTelemetry semantic conventions for gRPC server spans);
# the others (INVALID_ARGUMENT, NOT_FOUND ...) are the caller's mistakes and leave the span status
# unset, while rpc.grpc.status_code always carries the code.
SERVER_FAULTS = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)

Context = grpc.aio.ServicerContext[Any, Any]
if TYPE_CHECKING:  # generic in the stubs only
    Handler = grpc.RpcMethodHandler[Any, Any]


@dataclass(slots=True)
class _Call:
    """What the servicer learns during a call that the access log line needs."""

    tenant: str = "-"
    # Set when the error mapping already put the code (with its details) on the span.
    failed: bool = False


_CALL: ContextVar[_Call | None] = ContextVar("cashapp_rpc_call", default=None)


def note_tenant(tenant: str) -> None:
    """Called once authentication named the tenant: it goes on the span and the access log."""
    call = _CALL.get()
    if call is not None:
        call.tenant = tenant
    trace.get_current_span().set_attribute("cashapp.tenant", tenant)


def mark_status(code: grpc.StatusCode, details: str = "") -> None:
    """The current (RPC) span's gRPC code and status."""
    span = trace.get_current_span()
    span.set_attribute("rpc.grpc.status_code", code.value[0])
    if code in SERVER_FAULTS:
        span.set_status(Status(StatusCode.ERROR, f"{code.name}: {details}"))


def failed(status: grpc.Status, exc: BaseException) -> None:
    """Called from the one error mapping (server.rpc) before the call is aborted: the code, the
    ErrorInfo reason and, for a server fault, the exception itself go on the RPC span."""
    span = trace.get_current_span()
    mark_status(status.code, status.details)
    call = _CALL.get()
    if call is not None:
        call.failed = True
    span.set_attribute("cashapp.error.reason", getattr(exc, "reason", type(exc).__name__))
    if status.code in SERVER_FAULTS:
        span.record_exception(exc)


def _ids_on_span(request: object) -> None:
    if not isinstance(request, Message):
        return  # a request stream: the engine's spans carry the ids of each message
    fields = request.DESCRIPTOR.fields_by_name
    span = trace.get_current_span()
    for name in ID_FIELDS:
        if name in fields and (value := getattr(request, name)):
            span.set_attribute(f"cashapp.{name}", value)


def _code_of(context: Context, exc: BaseException) -> grpc.StatusCode:
    if isinstance(exc, asyncio.CancelledError):
        return grpc.StatusCode.CANCELLED
    if isinstance(exc, grpc.aio.AbortError):
        code = context.code()
        if isinstance(code, grpc.StatusCode):
            return code
    return grpc.StatusCode.UNKNOWN  # what grpc answers for an exception that escapes a servicer


def _finish(method: str, code: grpc.StatusCode, started: float, call: _Call, context: Context) -> None:
    duration_ms = (time.perf_counter() - started) * 1000
    if not call.failed:
        mark_status(code)
    metrics.record_rpc(method, code, duration_ms)
    level = logging.DEBUG if method.startswith(QUIET_PREFIX) else logging.INFO
    if not access_log.isEnabledFor(level):
        return  # no record, no peer lookup, no formatting for a line nobody reads
    peer = context.peer()
    access_log.log(
        level,
        "%s %s %.1fms tenant=%s peer=%s",
        method,
        code.name,
        duration_ms,
        call.tenant,
        peer,
        extra={
            "rpc_method": method,
            "grpc_code": code.name,
            "duration_ms": round(duration_ms, 3),
            "tenant": call.tenant,
            "peer": peer,
        },
    )


Unary = Callable[[Any, Context], Awaitable[Any]]
Streaming = Callable[[Any, Context], AsyncIterator[Any]]


def _observe_unary(behavior: Unary, method: str) -> Unary:
    async def observed(request: Any, context: Context) -> Any:
        call, started, code = _Call(), time.perf_counter(), grpc.StatusCode.OK
        token = _CALL.set(call)
        try:
            _ids_on_span(request)
            return await behavior(request, context)
        except BaseException as exc:
            code = _code_of(context, exc)
            raise
        finally:
            _CALL.reset(token)
            _finish(method, code, started, call, context)

    return observed


def _observe_streaming(behavior: Streaming, method: str) -> Streaming:
    async def observed(request: Any, context: Context) -> AsyncIterator[Any]:
        call, started, code = _Call(), time.perf_counter(), grpc.StatusCode.OK
        _CALL.set(call)  # the call's own task: nothing to restore afterwards
        try:
            _ids_on_span(request)
            async for response in behavior(request, context):
                yield response
        except BaseException as exc:
            code = _code_of(context, exc)
            raise
        finally:
            _finish(method, code, started, call, context)

    return observed


class TelemetryInterceptor(grpc.aio.ServerInterceptor):
    """Wraps every method handler with the access log, the latency metric and the final code."""

    def __init__(self) -> None:
        # method -> (the handler last seen for it, its wrapped twin): wrapped once per handler,
        # not once per call.
        self._observed: dict[str, tuple[Handler, Handler]] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None  # unknown method: grpc answers UNIMPLEMENTED itself
        method: str = handler_call_details.method
        seen = self._observed.get(method)
        if seen is None or seen[0] is not handler:
            seen = self._observed[method] = (handler, _observe(handler, method))
        return seen[1]


def _observe(handler: Handler, method: str) -> Handler:
    # The handlers grpc builds are namedtuples: one behaviour is set, by streaming kind.
    replace: Any = handler._replace  # type: ignore[attr-defined]
    for kind in ("unary_unary", "stream_unary"):
        if (behavior := getattr(handler, kind)) is not None:
            return cast("Handler", replace(**{kind: _observe_unary(behavior, method)}))
    for kind in ("unary_stream", "stream_stream"):
        if (behavior := getattr(handler, kind)) is not None:
            return cast("Handler", replace(**{kind: _observe_streaming(behavior, method)}))
    return handler
