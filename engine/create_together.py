"""Group commit for CreatePayment: many concurrent calls written in one transaction.

One commit per call made the write lock (SQLite) and the fsync of every commit the limit of
CreatePayment. The server (server/create_batcher.py) hands the calls that arrive together to
`create_together`, which answers each exactly as `CashApp.mutate` + `payments.create_payment`
would have answered it alone, in arrival order:

- the request_id is checked, then its stored response answers (or the request_id reused with a
  different request is refused), also against an earlier call of the same batch;
- the payment is validated and compared with an existing one of its id (stored, or created by an
  earlier call of the batch): same content answers the payment, different content ALREADY_EXISTS;
- a call that fails gets its own error and writes nothing; its neighbours are not affected.

The new payments and their journal entries go in through the bulk path (payments.insert_new).
Anything but a domain error (the database refusing the batch) is raised for the whole batch; the
caller then runs each call alone, so no call is answered with another call's failure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from engine import model as m
from engine import payments
from engine import validate as v
from engine.actor import current_actor
from engine.app import MAX_REQUEST_ID_LENGTH, stored_response
from engine.errors import DomainError, InvalidArgument
from engine.storage.db import Database
from engine.storage.store import Store, now_us


@dataclass(frozen=True, slots=True)
class CreateCall:
    """One CreatePayment call: who makes it, its AIP-155 key, and how to build and answer it."""

    tenant_id: str
    actor: str
    request_id: str
    method: str
    fingerprint: str
    build: Callable[[], payments.PaymentDraft]  # the wire form's validation raises here
    encode: Callable[[m.Payment], bytes]


Outcome = bytes | DomainError


def create_together(db: Database, calls: Sequence[CreateCall]) -> list[Outcome]:
    """Each call's encoded response or its own domain error, all written in one transaction."""
    return db.transact(lambda conn: _together(conn, calls))


def _together(conn: Connection, calls: Sequence[CreateCall]) -> list[Outcome]:
    outcomes: list[Outcome | None] = [None] * len(calls)
    tenants: dict[str, list[int]] = {}
    for i, call in enumerate(calls):
        tenants.setdefault(call.tenant_id, []).append(i)
    for tenant_id, indexes in tenants.items():
        store = Store(conn, tenant_id)
        for i, outcome in zip(indexes, _one_tenant(store, [calls[i] for i in indexes]), strict=True):
            outcomes[i] = outcome
    assert all(o is not None for o in outcomes)
    return [o for o in outcomes if o is not None]


def _draft(call: CreateCall) -> payments.PaymentDraft | DomainError:
    try:
        draft = call.build()
        v.require_id(draft.payment_id, "payment_id")
        return draft
    except DomainError as error:
        return error


def _one_tenant(store: Store, calls: Sequence[CreateCall]) -> list[Outcome]:
    drafts = [_draft(c) for c in calls]
    valid = [d for d in drafts if isinstance(d, payments.PaymentDraft)]
    # One read each for what every call needs: the customers named and the payments of these ids.
    known = store.existing_customer_ids(d.customer_id for d in valid if d.customer_id)
    existing = store.get_payments([d.payment_id for d in valid])
    fresh: dict[str, m.Payment] = {}
    answered: dict[str, tuple[str, str, bytes]] = {}  # request_id -> (method, fingerprint, response)
    stored: set[str] = set()  # request_ids answered from a record stored before this batch
    outcomes: list[Outcome] = []
    now = now_us()
    for call, draft in zip(calls, drafts, strict=True):
        try:
            outcomes.append(_answer(store, call, draft, known, existing, fresh, answered, stored, now))
        except DomainError as error:
            outcomes.append(error)
    payments.insert_new(store, list(fresh.values()))
    for request_id, (method, fingerprint, response) in answered.items():
        if request_id not in stored:
            store.insert_idempotency_record(request_id, method, fingerprint, response)
    return outcomes


def _answer(
    store: Store,
    call: CreateCall,
    draft: payments.PaymentDraft | DomainError,
    known: set[str],
    existing: dict[str, m.Payment],
    fresh: dict[str, m.Payment],
    answered: dict[str, tuple[str, str, bytes]],
    stored: set[str],
    now: int,
) -> bytes:
    current_actor.set(call.actor)  # what the call makes carries its actor (engine/actor.py)
    if call.request_id:
        v.text(call.request_id, "request_id", MAX_REQUEST_ID_LENGTH)
        earlier = answered.get(call.request_id)
        if earlier is not None:
            if earlier[:2] != (call.method, call.fingerprint):
                raise InvalidArgument(
                    "REQUEST_ID_REUSED_WITH_DIFFERENT_REQUEST",
                    "this request_id was used for a different request",
                    "request_id",
                )
            return earlier[2]
        response = stored_response(store, call.request_id, call.method, call.fingerprint)
        if response is not None:
            stored.add(call.request_id)
            answered[call.request_id] = (call.method, call.fingerprint, response)
            return response
    if isinstance(draft, DomainError):
        raise draft
    payment = payments.build(draft, now, known)
    before = fresh.get(draft.payment_id) or existing.get(draft.payment_id)
    if before is not None:
        payments.require_same_content(before, payment, "payment_id")
        payment = before
    else:
        fresh[draft.payment_id] = payment
    response = call.encode(payment)
    if call.request_id:
        answered[call.request_id] = (call.method, call.fingerprint, response)
    return response
