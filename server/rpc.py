"""What every servicer method shares: the tenant from auth, blocking work off the event loop,
AIP-155 idempotency fingerprints, and the single error mapping."""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

import grpc
from google.protobuf.message import Message
from sqlalchemy import Connection

from engine.actor import current_actor
from engine.app import CashApp
from engine.storage.store import Store
from server import rpc_telemetry
from server.auth import Authenticator, CallAuth, authenticated, presented
from server.errors import status_for

T = TypeVar("T")
M = TypeVar("M", bound=Message)


class TenantOf(Protocol):
    """Resolves the call's tenant on the worker pool: on the work's connection when given."""

    def __call__(self, conn: Connection | None = None) -> str: ...


def fingerprint(request: Message) -> str:
    """A hash of the request without its request_id: equal requests, equal fingerprints."""
    copy = type(request)()
    copy.CopyFrom(request)
    if "request_id" in copy.DESCRIPTOR.fields_by_name:
        copy.ClearField("request_id")
    return hashlib.sha256(copy.SerializeToString(deterministic=True)).hexdigest()


class Rpc:
    def __init__(self, app: CashApp, auth: Authenticator, executor: ThreadPoolExecutor) -> None:
        self.app = app
        self.auth = auth
        self.executor = executor

    def tenant(self, context: grpc.aio.ServicerContext[Any, Any]) -> TenantOf:
        """The call's tenant, as a function to run on the worker pool with the call's work: it
        resolves the call's authentication (the edge's, server/edge.py) if the edge left it
        pending, on the work's own connection when given (one transaction, no second
        connection), and names the tenant on the span and access log, and the actor in the
        work's context."""
        auth = authenticated.get()
        if auth is None:  # not through the edge (it authenticates every cashapp.v1 call)
            call = presented(context.invocation_metadata(), context.auth_context())  # type: ignore[arg-type]
            auth = CallAuth(self.auth, call)

        def resolve(conn: Connection | None = None) -> str:
            principal = auth.resolve(conn)
            rpc_telemetry.note_tenant(principal.tenant)
            # Set in the context the call's work runs in (offload's copy), so what the work
            # makes carries the actor (engine/actor.py).
            current_actor.set(principal.actor)
            return principal.tenant

        return resolve

    async def authenticate(self, context: grpc.aio.ServicerContext[Any, Any]) -> str:
        """The call's tenant, for a call whose work takes several offloads (ImportStatement:
        authenticated before the upload, then the import, then AutoApply): the actor is set
        in the call's own context too, so every later offload's copy carries it."""
        resolved = contextvars.copy_context()
        tenant = await asyncio.get_running_loop().run_in_executor(
            self.executor, resolved.run, self.tenant(context)
        )
        current_actor.set(resolved[current_actor])
        return tenant

    async def offload(self, fn: Callable[[], T]) -> T:
        """Runs blocking database and solver work on the worker pool, never on the event loop,
        in a copy of the caller's context: the engine's and SQL spans become children of the RPC
        span (run_in_executor alone would leave the OTel context behind)."""
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self.executor, context.run, fn)

    async def abort(self, context: grpc.aio.ServicerContext[Any, Any], exc: BaseException) -> None:
        """Answers the call with the status of `exc`, but never before its authentication is
        known: a call that failed before its work resolved it is refused UNAUTHENTICATED if that
        is what it is (the caller of an invalid token learns nothing about its request)."""
        auth = authenticated.get()
        if auth is not None and auth.pending:
            try:
                await asyncio.to_thread(auth.resolve)
            except Exception as refused:
                exc = refused
        status = status_for(exc)
        rpc_telemetry.failed(status, exc)
        await context.abort_with_status(status)

    async def read(self, context: grpc.aio.ServicerContext[Any, Any], work: Callable[[Store], T]) -> T:
        try:
            tenant = self.tenant(context)
            return await self.offload(lambda: self.app.read(tenant, work))
        except Exception as exc:
            await self.abort(context, exc)
            raise  # unreachable: abort raises

    async def stored(
        self, context: grpc.aio.ServicerContext[Any, Any], request: Message, response_type: type[M]
    ) -> M | None:
        """The response already stored for this request's request_id, if any: lets two-phase
        work (AutoApply plans before it writes) skip the first phase on a retry."""
        try:
            tenant = self.tenant(context)
            request_id = getattr(request, "request_id", "")
            method = type(request).__name__
            data = await self.offload(
                lambda: self.app.seen_response(tenant, request_id, method, fingerprint(request))
            )
            return None if data is None else response_type.FromString(data)
        except Exception as exc:
            await self.abort(context, exc)
            raise

    async def mutate(
        self,
        context: grpc.aio.ServicerContext[Any, Any],
        request: Message,
        response_type: type[M],
        work: Callable[[Store], T],
        encode: Callable[[T], M],
    ) -> M:
        """Runs a mutating request once per request_id and returns its (possibly stored) response."""
        try:
            tenant = self.tenant(context)
            method = type(request).__name__
            request_id = getattr(request, "request_id", "")
            data = await self.offload(
                lambda: self.app.mutate(
                    tenant,
                    request_id,
                    method,
                    fingerprint(request),
                    work,
                    lambda result: encode(result).SerializeToString(deterministic=True),
                )
            )
            return response_type.FromString(data)
        except Exception as exc:
            await self.abort(context, exc)
            raise
