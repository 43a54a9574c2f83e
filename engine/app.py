"""The engine's front door: every read and write the server makes goes through `CashApp`.

Writes run in one transaction together with their AIP-155 idempotency record: a request_id that
was seen returns the response stored with the effect, byte for byte; the same request_id with a
different request is refused. The response is encoded by the caller (the engine stores opaque
bytes and never imports the wire format).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection

from engine import validate as v
from engine.errors import Aborted, InvalidArgument
from engine.storage.db import Database
from engine.storage.store import ConcurrentChange, Store

T = TypeVar("T")
MAX_REQUEST_ID_LENGTH = 128


class CashApp:
    def __init__(self, db: Database) -> None:
        self.db = db

    def read(self, tenant_id: str, work: Callable[[Store], T]) -> T:
        with self.db.reading() as conn:
            return work(Store(conn, tenant_id))

    def mutate(
        self,
        tenant_id: str,
        request_id: str,
        method: str,
        fingerprint: str,
        work: Callable[[Store], T],
        encode: Callable[[T], bytes],
    ) -> bytes:
        """Runs `work` once per request_id and returns the encoded response."""
        if request_id:
            v.text(request_id, "request_id", MAX_REQUEST_ID_LENGTH)

        def transaction(conn: Connection) -> bytes:
            store = Store(conn, tenant_id)
            if request_id:
                stored = stored_response(store, request_id, method, fingerprint)
                if stored is not None:
                    return stored
                # Claim the key before doing the work: a concurrent copy of this request blocks
                # on the key's unique index until we commit, then fails its insert, is re-run by
                # Database.transact, and answers from the record above. Without the claim it
                # would run the work itself and report that work's refusal instead.
                store.insert_idempotency_record(request_id, method, fingerprint, b"")
            try:
                response = encode(work(store))
            except ConcurrentChange as exc:
                # Locks make this unreachable; the guard is the second line of defence.
                raise Aborted("CONCURRENT_MODIFICATION", str(exc)) from exc
            if request_id:
                store.set_idempotency_response(request_id, response)
            return response

        return self.db.transact(transaction)

    def write(self, tenant_id: str, work: Callable[[Store], T]) -> T:
        """Runs `work` in one write transaction without a request_id: for work that is
        idempotent by its own key (a statement file by its SHA-256) or safe to repeat (claiming
        or releasing an AutoApply batch)."""

        def transaction(conn: Connection) -> T:
            try:
                return work(Store(conn, tenant_id))
            except ConcurrentChange as exc:
                raise Aborted("CONCURRENT_MODIFICATION", str(exc)) from exc

        return self.db.transact(transaction)

    def seen_response(self, tenant_id: str, request_id: str, method: str, fingerprint: str) -> bytes | None:
        """The stored response of a request_id, checked like `mutate` does (for two-phase work)."""
        if not request_id:
            return None

        return self.read(tenant_id, lambda store: stored_response(store, request_id, method, fingerprint))


def stored_response(store: Store, request_id: str, method: str, fingerprint: str) -> bytes | None:
    """The response stored with this request_id; a different request under it is refused."""
    record = store.idempotency_record(request_id)
    if record is None:
        return None
    if (record.method, record.fingerprint) != (method, fingerprint):
        raise InvalidArgument(
            "REQUEST_ID_REUSED_WITH_DIFFERENT_REQUEST",
            "this request_id was used for a different request",
            "request_id",
        )
    return bytes(record.response)
