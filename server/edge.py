"""The edge every cashapp.v1 call passes before its servicer: authenticate first, then refuse
bytes that are no request and text no backend may store, each as a clear status.

grpc.aio deserializes a request before any handler runs, and a deserializer that raises is
answered UNKNOWN with a traceback in the log. This interceptor wraps each method's
deserializer so that malformed bytes become a marker instead; the wrapped handler then
authenticates (always first: a caller without a token learns nothing about its request),
answers the marker INVALID_ARGUMENT with one rate-limited log line, and checks every string of
the request for NUL (the same rule on SQLite and PostgreSQL) before the servicer sees it.

Authenticating a unary call that must read the token table is left to the call's work, which does
it first in its own transaction (server/auth.py: one thread hop and one connection per call); the
edge still makes sure no call is answered before its caller is known to be valid.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

import grpc
from google.protobuf.message import Message

from engine.errors import DomainError, InvalidArgument
from server import convert
from server.auth import Authenticator, CallAuth, authenticated, presented
from server.errors import Unauthenticated, status_for

log = logging.getLogger(__name__)

GUARDED_PREFIX = "/cashapp.v1."
# At most one log line per this many seconds for malformed requests (a flood of junk must not
# flood the log); the line says how many were left unlogged since the previous one.
MALFORMED_LOG_INTERVAL_SECONDS = 10.0
# Requests whose repeated field holds items checked one by one by the servicer, so that one bad
# item fails alone (ImportPayments reports a NUL payer_name as that payment's failure).
PER_ITEM_FIELDS = {"cashapp.v1.ImportPaymentsRequest": frozenset({"payments"})}

Context = grpc.aio.ServicerContext[Any, Any]
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"  # generic only in the type stubs


@dataclass(frozen=True, slots=True)
class Malformed:
    """What the wrapped deserializer returns for bytes that do not parse as the request."""

    size: int
    error: str


class _RateLimitedLog:
    def __init__(self, interval_seconds: float) -> None:
        self.interval_seconds = interval_seconds
        self.last = float("-inf")
        self.unlogged = 0

    def warning(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self.last < self.interval_seconds:
            self.unlogged += 1
            return
        suppressed, self.unlogged, self.last = self.unlogged, 0, now
        log.warning(message + " (%d more since the last report)", *args, suppressed)


_malformed_log = _RateLimitedLog(MALFORMED_LOG_INTERVAL_SECONDS)


def _safe(deserialize: Callable[[bytes], Message] | None) -> Callable[[bytes], Message | Malformed]:
    def parse(data: bytes) -> Message | Malformed:
        try:
            return deserialize(data) if deserialize else data  # type: ignore[return-value]
        except Exception as exc:  # DecodeError, invalid UTF-8 in a string field, ...
            return Malformed(len(data), str(exc))

    return parse


def _checked(request: Message | Malformed, method: str) -> Message:
    """The request, or the InvalidArgument that refuses it."""
    if isinstance(request, Malformed):
        _malformed_log.warning("malformed %s request (%d bytes): %s", method, request.size, request.error)
        raise InvalidArgument("MALFORMED_REQUEST", "the request bytes are not a valid message", "request")
    skip = PER_ITEM_FIELDS.get(request.DESCRIPTOR.full_name, frozenset())
    convert.refuse_nul(request, skip=skip)
    return request


class Edge(grpc.aio.ServerInterceptor):
    """Guards every cashapp.v1 method (health and reflection pass through untouched)."""

    def __init__(self, auth: Authenticator) -> None:
        self.auth = auth
        # method -> (the handler last seen for it, its wrapped twin): wrapped once per handler.
        self._guarded: dict[str, tuple[Handler, Handler]] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or not method.startswith(GUARDED_PREFIX):
            return handler
        seen = self._guarded.get(method)
        if seen is None or seen[0] is not handler:
            seen = self._guarded[method] = (handler, self._wrap(handler, method))
        return seen[1]

    def _wrap(self, handler: Handler, method: str) -> Handler:
        if handler.unary_unary is not None:
            return handler._replace(  # type: ignore[attr-defined,no-any-return]
                request_deserializer=_safe(handler.request_deserializer),
                unary_unary=self._unary(handler.unary_unary, method),
            )
        if handler.stream_unary is not None:
            return handler._replace(  # type: ignore[attr-defined,no-any-return]
                request_deserializer=_safe(handler.request_deserializer),
                stream_unary=self._stream(handler.stream_unary, method),
            )
        if handler.unary_stream is not None:
            return handler._replace(  # type: ignore[attr-defined,no-any-return]
                request_deserializer=_safe(handler.request_deserializer),
                unary_stream=self._server_stream(handler.unary_stream, method),
            )
        return handler  # cashapp.v1 has no bidirectional methods

    async def _authenticate(self, context: Context, *, defer: bool) -> CallAuth | None:
        """The call's authentication, set for the servicer. Resolved here when that needs no
        I/O; a call that must read the token table is resolved by its work, in the work's own
        transaction (`defer`, unary calls), or here on a thread. A refusal aborts the call."""
        try:
            call = presented(context.invocation_metadata(), context.auth_context())  # type: ignore[arg-type]
            auth = CallAuth(self.auth, call, self.auth.without_io(call))
            if auth.pending and not defer:
                await asyncio.to_thread(auth.resolve)
        except Exception as exc:  # refused, or the token table unreachable (UNAVAILABLE)
            await context.abort_with_status(status_for(exc))
            return None
        authenticated.set(auth)
        return auth

    async def _guard(self, context: Context, work: Callable[[], Awaitable[Any]], *, defer: bool) -> Any:
        """Authenticates, then runs `work`; a refusal raised on the way is sent as its status.

        A deferred authentication is resolved by the work (server/rpc.py) before it reads
        anything. Whatever the call ends with, it never answers before its authentication is
        known: a call that ends, or fails before the work resolved it, is resolved here first, so
        a caller without a valid token only ever learns UNAUTHENTICATED."""
        auth = await self._authenticate(context, defer=defer)
        try:
            result = await work()
        except (DomainError, Unauthenticated) as exc:
            await settle(auth, context)
            await context.abort_with_status(status_for(exc))
        await settle(auth, context)
        return result

    def _unary(self, behavior: Callable[..., Awaitable[Any]], method: str) -> Callable[..., Awaitable[Any]]:
        async def guarded(request: Message | Malformed, context: Context) -> Any:
            return await self._guard(
                context, lambda: behavior(_checked(request, method), context), defer=True
            )

        return guarded

    def _stream(self, behavior: Callable[..., Awaitable[Any]], method: str) -> Callable[..., Awaitable[Any]]:
        async def guarded(requests: AsyncIterator[Message | Malformed], context: Context) -> Any:
            async def checked() -> AsyncIterator[Message]:
                async for request in requests:
                    yield _checked(request, method)

            return await self._guard(context, lambda: behavior(checked(), context), defer=False)

        return guarded

    def _server_stream(self, behavior: Callable[..., Any], method: str) -> Callable[..., AsyncIterator[Any]]:
        # grpc types a server-streaming behaviour as a sync iterator; grpc.aio's are async.
        async def guarded(request: Message | Malformed, context: Context) -> AsyncIterator[Any]:
            await self._authenticate(context, defer=False)
            try:
                async for message in behavior(_checked(request, method), context):
                    yield message
            except (DomainError, Unauthenticated) as exc:
                await context.abort_with_status(status_for(exc))

        return guarded


async def settle(auth: CallAuth | None, context: Context) -> None:
    """Resolves a still pending authentication (on a thread: it reads the token table) and
    answers the call UNAUTHENTICATED if it is refused."""
    if auth is None or not auth.pending:
        return
    try:
        await asyncio.to_thread(auth.resolve)
    except Exception as exc:
        await context.abort_with_status(status_for(exc))
