"""The engine's front door: every read and write the server makes goes through `CashApp`.

Writes run in one transaction together with their AIP-155 idempotency record: a request_id that
was seen returns the response stored with the effect, byte for byte; the same request_id with a
different request is refused. The response is encoded by the caller (the engine stores opaque
bytes and never imports the wire format).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlalchemy import Connection

from engine import validate as v
from engine.errors import Aborted, InvalidArgument
from engine.storage.db import Database
from engine.storage.store import ConcurrentChange, Store

T = TypeVar("T")
MAX_REQUEST_ID_LENGTH = 128
# A tenant, or a function that names it from the transaction's connection: the server resolves
# who calls in the transaction of the call's work (server/auth.py), on its connection.
Tenant = str | Callable[[Connection], str]


def _tenant_on(tenant: Tenant, conn: Connection) -> str:
    return tenant if isinstance(tenant, str) else tenant(conn)


class CashApp:
    def __init__(self, db: Database) -> None:
        self.db = db

    def read(self, tenant: Tenant, work: Callable[[Store], T]) -> T:
        with self.db.reading() as conn:
            return work(Store(conn, _tenant_on(tenant, conn)))

    def mutate(
        self,
        tenant: Tenant,
        request_id: str,
        method: str,
        fingerprint: str,
        work: Callable[[Store], T],
        encode: Callable[[T], bytes],
    ) -> bytes:
        """Runs `work` once per request_id and returns the encoded response."""
        if request_id:
            require_request_id(request_id)

        def transaction(conn: Connection) -> bytes:
            store = Store(conn, _tenant_on(tenant, conn))
            if request_id:
                stored = Replies(store).answer(request_id, method, fingerprint)
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

    def write(self, tenant: Tenant, work: Callable[[Store], T]) -> T:
        """Runs `work` in one write transaction without a request_id: for work that is
        idempotent by its own key (a statement file by its SHA-256) or safe to repeat (claiming
        or releasing an AutoApply batch)."""

        def transaction(conn: Connection) -> T:
            try:
                return work(Store(conn, _tenant_on(tenant, conn)))
            except ConcurrentChange as exc:
                raise Aborted("CONCURRENT_MODIFICATION", str(exc)) from exc

        return self.db.transact(transaction)

    def seen_response(self, tenant: Tenant, request_id: str, method: str, fingerprint: str) -> bytes | None:
        """The stored response of a request_id, checked like `mutate` does (for two-phase work)."""
        if not request_id:
            return None

        return self.read(tenant, lambda store: stored_response(store, request_id, method, fingerprint))


def require_request_id(request_id: str) -> None:
    v.text(request_id, "request_id", MAX_REQUEST_ID_LENGTH)


class Replies:
    """What one transaction knows of AIP-155 request_ids: the records stored before it, and the
    responses it gave itself (a batch of creates answers many calls, engine/create_together.py).
    `CashApp.mutate` and the batch ask the same questions here, so a request_id means the same
    in both: seen with the same request, the response it got, byte for byte; with a different
    request, REQUEST_ID_REUSED_WITH_DIFFERENT_REQUEST."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # request_id -> (method, fingerprint, response), read or given in this transaction
        self._known: dict[str, tuple[str, str, bytes]] = {}
        self._given: list[str] = []  # request_ids first answered here, in order
        self._absent: set[str] = set()  # read ahead and not stored before this transaction

    def read_ahead(self, request_ids: Iterable[str]) -> None:
        """Reads the records of these request_ids in one query (those too long to be valid are
        left for `answer` to refuse)."""
        wanted = {r for r in request_ids if r and len(r) <= MAX_REQUEST_ID_LENGTH} - self._known.keys()
        for request_id, record in self.store.idempotency_records(wanted).items():
            self._known[request_id] = (record.method, record.fingerprint, bytes(record.response))
        self._absent.update(wanted - self._known.keys())

    def answer(self, request_id: str, method: str, fingerprint: str) -> bytes | None:
        """The response this request_id already has (None: never seen); a different request
        under it is refused."""
        require_request_id(request_id)
        known = self._known.get(request_id)
        if known is None:
            if request_id in self._absent:
                return None
            record = self.store.idempotency_record(request_id)
            if record is None:
                return None
            known = self._known[request_id] = (record.method, record.fingerprint, bytes(record.response))
        if known[:2] != (method, fingerprint):
            raise InvalidArgument(
                "REQUEST_ID_REUSED_WITH_DIFFERENT_REQUEST",
                "this request_id was used for a different request",
                "request_id",
            )
        return known[2]

    def give(self, request_id: str, method: str, fingerprint: str, response: bytes) -> None:
        """Remembers the response given to a new request_id (stored by `store_given`)."""
        self._known[request_id] = (method, fingerprint, response)
        self._given.append(request_id)

    def store_given(self) -> None:
        """Stores the records of the request_ids answered here for the first time."""
        self.store.insert_idempotency_records([(r, *self._known[r]) for r in self._given])


def stored_response(store: Store, request_id: str, method: str, fingerprint: str) -> bytes | None:
    """The response stored with this request_id; a different request under it is refused."""
    return Replies(store).answer(request_id, method, fingerprint)
