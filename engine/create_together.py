"""Group commit for CreatePayment: many concurrent calls written in one transaction.

One commit per call made the write lock (SQLite) and the fsync of every commit the limit of
CreatePayment. The server (server/create_batcher.py) hands the calls that arrive together to
`create_together`, which answers each exactly as `CashApp.mutate` + `payments.create_payment`
would have answered it alone, in arrival order:

- the caller is resolved first, in this transaction (a refused caller gets its refusal and
  nothing else is read for it);
- the request_id is checked, then its stored response answers (or the request_id reused with a
  different request is refused), also against an earlier call of the same batch (the same
  `Replies` as CashApp.mutate);
- the payment is validated and compared with an existing one of its id (stored, or created by an
  earlier call of the batch): same content answers the payment, different content ALREADY_EXISTS;
- a call that fails gets its own error and writes nothing; its neighbours are not affected.

The new payments and their journal entries go in through the bulk path (payments.insert_new).
Anything but a domain error (the database refusing the batch) is raised for the whole batch; the
caller then runs each call alone, so no call is answered with another call's failure.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from engine import model as m
from engine import payments
from engine import validate as v
from engine.actor import current_actor
from engine.app import Replies
from engine.errors import DomainError
from engine.storage.db import Database
from engine.storage.store import Store, now_us

# Who makes a call, resolved in the batch's transaction on its connection: (tenant_id, actor), or
# the refusal the call is answered with (the server's authentication, server/auth.py).
Who = tuple[str, str] | Exception


@dataclass(frozen=True, slots=True)
class CreateCall:
    """One CreatePayment call: who makes it, its AIP-155 key, and how to build and answer it.

    `who` names the caller from the batch's connection; calls with equal `credentials` (what
    they presented) are resolved once per batch and told the answer by `who_known`."""

    credentials: Hashable
    who: Callable[[Connection], Who]
    who_known: Callable[[Who], None]
    request_id: str
    method: str
    fingerprint: str
    build: Callable[[], payments.PaymentDraft]  # the wire form's validation raises here
    encode: Callable[[m.Payment], bytes]

    @classmethod
    def of(
        cls,
        tenant_id: str,
        actor: str,
        request_id: str,
        method: str,
        fingerprint: str,
        build: Callable[[], payments.PaymentDraft],
        encode: Callable[[m.Payment], bytes],
    ) -> CreateCall:
        """A call whose caller is known already (no credentials to resolve)."""
        who = (tenant_id, actor)
        return cls(who, lambda _conn: who, lambda _who: None, request_id, method, fingerprint, build, encode)


Outcome = bytes | Exception  # the encoded response, a domain error, or the caller's refusal


def create_together(db: Database, calls: Sequence[CreateCall]) -> list[Outcome]:
    """Each call's encoded response or its own error, all written in one transaction."""
    return db.transact(lambda conn: _together(conn, calls))


def _callers(conn: Connection, calls: Sequence[CreateCall]) -> list[Who]:
    resolved: dict[Hashable, Who] = {}
    callers: list[Who] = []
    for call in calls:
        if call.credentials in resolved:
            who = resolved[call.credentials]
            call.who_known(who)
        else:
            who = resolved[call.credentials] = call.who(conn)
        callers.append(who)
    return callers


def _together(conn: Connection, calls: Sequence[CreateCall]) -> list[Outcome]:
    outcomes: list[Outcome | None] = [None] * len(calls)
    tenants: dict[str, list[int]] = {}
    actors: list[str] = [""] * len(calls)
    for i, who in enumerate(_callers(conn, calls)):
        if isinstance(who, Exception):
            outcomes[i] = who  # refused before anything of its own is read
            continue
        tenants.setdefault(who[0], []).append(i)
        actors[i] = who[1]
    for tenant_id, indexes in tenants.items():
        store = Store(conn, tenant_id)
        answers = _one_tenant(store, [calls[i] for i in indexes], [actors[i] for i in indexes])
        for i, outcome in zip(indexes, answers, strict=True):
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


def _one_tenant(store: Store, calls: Sequence[CreateCall], actors: Sequence[str]) -> list[Outcome]:
    drafts = [_draft(c) for c in calls]
    valid = [d for d in drafts if isinstance(d, payments.PaymentDraft)]
    # One read each for what every call needs: the customers named and the payments of these ids.
    known = store.existing_customer_ids(d.customer_id for d in valid if d.customer_id)
    existing = store.get_payments([d.payment_id for d in valid])
    fresh: dict[str, m.Payment] = {}
    replies = Replies(store)  # the request_ids of the batch, as CashApp.mutate checks them
    replies.read_ahead(c.request_id for c in calls)
    outcomes: list[Outcome] = []
    now = now_us()
    for call, actor, draft in zip(calls, actors, drafts, strict=True):
        try:
            outcomes.append(_answer(call, actor, draft, known, existing, fresh, replies, now))
        except DomainError as error:
            outcomes.append(error)
    payments.insert_new(store, list(fresh.values()))
    replies.store_given()
    return outcomes


def _answer(
    call: CreateCall,
    actor: str,
    draft: payments.PaymentDraft | DomainError,
    known: set[str],
    existing: dict[str, m.Payment],
    fresh: dict[str, m.Payment],
    replies: Replies,
    now: int,
) -> bytes:
    current_actor.set(actor)  # what the call makes carries its actor (engine/actor.py)
    if call.request_id:
        response = replies.answer(call.request_id, call.method, call.fingerprint)
        if response is not None:
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
        replies.give(call.request_id, call.method, call.fingerprint, response)
    return response
