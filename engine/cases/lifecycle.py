"""The case lifecycle: OPEN -> IN_RESEARCH <-> AWAITING_CUSTOMER -> VALIDATED | INVALIDATED |
CANCELLED, each change recorded with who and why; resolutions move money through the journal
(engine/cases/postings.py), and one above the tenant's approval limit waits for a second person.

A resolution may settle part of the open amount: the case stays in research until nothing is
open, then ends in the state of the resolution that closed it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from engine import model as m
from engine import validate as v
from engine.cases import postings
from engine.cases.case import FINAL_STATES, Case, Event, Kind, Pending, Resolution, State
from engine.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from engine.payments import mark_invoice_customers
from engine.storage.store import Store, now_us

MAX_NOTE_LENGTH = 2000
MAX_ACTOR_LENGTH = 128

# Moves without money (TransitionCase); VALIDATED and INVALIDATED are reached by ResolveCase.
RESEARCH = frozenset({State.IN_RESEARCH, State.AWAITING_CUSTOMER})
ALLOWED: dict[State, frozenset[State]] = {
    State.OPEN: frozenset({State.IN_RESEARCH, State.CANCELLED}),
    State.IN_RESEARCH: frozenset({State.AWAITING_CUSTOMER, State.CANCELLED}),
    State.AWAITING_CUSTOMER: frozenset({State.IN_RESEARCH, State.CANCELLED}),
}


@dataclass(frozen=True, slots=True)
class Who:
    """Who asks and why (both required: the history must say)."""

    actor: str
    note: str


def who(actor: str, note: str) -> Who:
    if not actor.strip():
        raise InvalidArgument("MISSING_ACTOR", "actor is required", "actor")
    if not note.strip():
        raise InvalidArgument("MISSING_NOTE", "a note saying why is required", "note")
    return Who(v.text(actor, "actor", MAX_ACTOR_LENGTH), v.text(note, "note", MAX_NOTE_LENGTH))


def get_case(store: Store, case_id: str, *, lock: bool = False) -> Case:
    v.require_id(case_id, "case_id")
    case = store.get_case(case_id, lock=lock)
    if case is None:
        raise NotFound("CASE_NOT_FOUND", f"case {case_id!r} does not exist", "case_id")
    return case


def _locked(store: Store, case_id: str) -> Case:
    """The case row-locked after its invoice, the order the application path locks in (an
    invoice, then the cases its reversal cancels), so the two never deadlock."""
    peek = get_case(store, case_id)
    store.get_invoices([peek.invoice_id], lock=True)
    return get_case(store, case_id, lock=True)


def transition(store: Store, case_id: str, target: State, by: Who) -> Case:
    """A move that carries no money: into or between research states, or a dispute's cancel."""
    if target in (State.VALIDATED, State.INVALIDATED):
        raise InvalidArgument(
            "RESOLVE_TO_SETTLE", "VALIDATED and INVALIDATED are reached by ResolveCase", "target_state"
        )
    case = _locked(store, case_id)
    _no_pending(case)
    if target not in ALLOWED.get(case.state, frozenset()):
        raise FailedPrecondition(
            "ILLEGAL_TRANSITION",
            f"case {case_id!r} cannot move from {case.state.value} to {target.value}",
            "target_state",
        )
    now = now_us()
    after = replace(case, state=target, update_us=now)
    if target is State.CANCELLED:
        if case.kind is Kind.DEDUCTION:
            raise FailedPrecondition(
                "DEDUCTION_HOLDS_MONEY",
                "a deduction's money sits in DEDUCTIONS: resolve it (credit memo, write-off, collect or "
                "re-bill), or reverse the application",
                "target_state",
            )
        after = replace(after, open_minor=0, cancelled_minor=case.cancelled_minor + case.open_minor)
        # The invoice is an amount candidate again.
        mark_invoice_customers(store, [case.invoice_id], except_payment_ids=[])
    _save(store, case, after, "TRANSITIONED", by, now, amount=case.open_minor - after.open_minor)
    return get_case(store, case_id)


def resolve(
    store: Store, case_id: str, resolution: Resolution, amount_minor: int, rebill_invoice_id: str, by: Who
) -> Case:
    """Settles `amount_minor` of the case (0: all that is open), or asks for approval above
    the tenant's limit."""
    case = _locked(store, case_id)
    _no_pending(case)
    if case.state not in RESEARCH:
        raise FailedPrecondition(
            "ILLEGAL_TRANSITION",
            f"case {case_id!r} is {case.state.value}; only a case in research can be resolved",
            "resolution",
        )
    amount = amount_minor or case.open_minor
    _check_amount(store, case, resolution, amount, rebill_invoice_id)
    settings = store.case_settings()
    now = now_us()
    if settings.approval_limit_minor is not None and amount > settings.approval_limit_minor:
        pending = Pending(resolution, amount, rebill_invoice_id, by.actor, by.note)
        after = replace(case, pending=pending, update_us=now)
        _save(store, case, after, "APPROVAL_REQUESTED", by, now, resolution, amount)
        return get_case(store, case_id)
    _settle(store, case, resolution, amount, rebill_invoice_id, by, "RESOLVED", now)
    return get_case(store, case_id)


def approve(store: Store, case_id: str, by: Who) -> Case:
    """The second person's approval of a pending resolution: it is re-checked and posted."""
    case = _locked(store, case_id)
    p = case.pending
    if p is None:
        raise FailedPrecondition("NO_PENDING_APPROVAL", f"case {case_id!r} waits for no approval", "case_id")
    if p.requested_by == by.actor:
        raise FailedPrecondition(
            "APPROVER_MUST_DIFFER",
            f"the approver must be another person than the requester {p.requested_by!r}",
            "actor",
        )
    _check_amount(store, case, p.resolution, p.amount_minor, p.rebill_invoice_id)
    _settle(
        store,
        replace(case, pending=None),
        p.resolution,
        p.amount_minor,
        p.rebill_invoice_id,
        by,
        "APPROVED",
        now_us(),
        before=case,
    )
    return get_case(store, case_id)


def reject(store: Store, case_id: str, by: Who) -> Case:
    """Turns down a pending resolution: nothing is posted, the case is again in the state it
    was in before the request (a request never moves the state), open to a new resolution.
    The requester may withdraw their own request the same way."""
    case = _locked(store, case_id)
    if case.pending is None:
        raise FailedPrecondition("NO_PENDING_APPROVAL", f"case {case_id!r} waits for no approval", "case_id")
    p = case.pending
    now = now_us()
    after = replace(case, pending=None, update_us=now)
    _save(store, case, after, "REJECTED", by, now, p.resolution, p.amount_minor)
    return get_case(store, case_id)


def _no_pending(case: Case) -> None:
    if case.pending is not None:
        raise FailedPrecondition(
            "APPROVAL_PENDING",
            f"case {case.case_id!r} waits for the approval of a {case.pending.resolution.value}",
            "case_id",
        )


def _check_amount(
    store: Store, case: Case, resolution: Resolution, amount: int, rebill_invoice_id: str
) -> None:
    if amount > case.open_minor:
        raise FailedPrecondition(
            "AMOUNT_OVER_OPEN",
            f"case {case.case_id!r} has {case.open_minor} open, not {amount}",
            "amount.amount_minor",
        )
    if resolution is Resolution.WRITE_OFF and amount > store.case_settings().write_off_limit_minor:
        raise FailedPrecondition(
            "WRITE_OFF_OVER_LIMIT",
            f"{amount} is above the write-off limit {store.case_settings().write_off_limit_minor}",
            "amount.amount_minor",
        )
    if resolution is Resolution.REBILL:
        v.require_id(rebill_invoice_id, "rebill_invoice_id")
        if store.get_invoice(rebill_invoice_id) is not None:
            raise AlreadyExists(
                "INVOICE_ALREADY_EXISTS", f"invoice {rebill_invoice_id!r} exists", "rebill_invoice_id"
            )
    elif rebill_invoice_id:
        raise InvalidArgument(
            "REBILL_INVOICE_ONLY_FOR_REBILL", "rebill_invoice_id is for REBILL only", "rebill_invoice_id"
        )
    invoice = store.get_invoice(case.invoice_id)
    assert invoice is not None  # cases name stored invoices
    moves_ar = (
        resolution is Resolution.COLLECT
        if case.kind is Kind.DEDUCTION
        else resolution is not Resolution.COLLECT
    )
    if moves_ar and invoice.voided:
        raise FailedPrecondition("INVOICE_VOIDED", f"invoice {invoice.invoice_id!r} is void", "resolution")
    if moves_ar and case.kind is Kind.DISPUTE and amount > invoice.open_minor:
        raise FailedPrecondition(
            "INVOICE_OPEN_BELOW_CASE",
            f"invoice {invoice.invoice_id!r} has only {invoice.open_minor} open",
            "amount.amount_minor",
        )
    if moves_ar and case.kind is Kind.DEDUCTION and invoice.open_minor + amount > invoice.amount_minor:
        raise FailedPrecondition(
            "INVOICE_OVER_AMOUNT",
            f"invoice {invoice.invoice_id!r} cannot reopen by {amount}",
            "amount.amount_minor",
        )


_BUCKET = {
    Resolution.CREDIT_MEMO: "credited_minor",
    Resolution.WRITE_OFF: "written_off_minor",
    Resolution.COLLECT: "collected_minor",
    Resolution.REBILL: "rebilled_minor",
}


def _settle(
    store: Store,
    case: Case,
    resolution: Resolution,
    amount: int,
    rebill_invoice_id: str,
    by: Who,
    action: str,
    now: int,
    before: Case | None = None,
) -> None:
    """Posts the resolution's entry, moves the invoices' open amounts, and records it."""
    effect = postings.effect(case, resolution, amount, rebill_invoice_id, now)
    if resolution is Resolution.REBILL:
        store.insert_invoices([_rebill_invoice(store, case, rebill_invoice_id, amount, now)])
    store.change_invoices_open(effect.invoice_deltas)
    if effect.entry is not None:
        store.insert_journal([effect.entry])
    bucket = _BUCKET[resolution]
    left = case.open_minor - amount
    after = replace(
        case,
        open_minor=left,
        update_us=now,
        state=resolution.target if left == 0 else case.state,
        **{bucket: getattr(case, bucket) + amount},
    )
    assert after.adds_up(), after
    entry_id = effect.entry.entry_id if effect.entry else ""
    _save(store, before or case, after, action, by, now, resolution, amount, entry_id)
    # The invoice's open amount or its dispute changed (and a re-bill is a new open invoice):
    # the customer's payments are decided again.
    touched = [case.invoice_id, *([rebill_invoice_id] if rebill_invoice_id else [])]
    mark_invoice_customers(store, touched, except_payment_ids=[])


def _rebill_invoice(store: Store, case: Case, invoice_id: str, amount: int, now: int) -> m.Invoice:
    customer = store.get_customers({case.customer_id})[case.customer_id]
    today = dt.datetime.fromtimestamp(now / 1e6, dt.UTC).date()
    terms = customer.payment_terms
    return m.Invoice(
        invoice_id,
        case.customer_id,
        case.currency,
        amount,
        amount,
        today,
        m.add_days(today, terms.net_days),
        terms,
        create_us=now,
    )


def _save(
    store: Store,
    before: Case,
    after: Case,
    action: str,
    by: Who,
    now: int,
    resolution: Resolution | None = None,
    amount: int = 0,
    entry_id: str = "",
) -> None:
    event = Event(
        len(before.events) + 1,
        action,
        before.state.value,
        after.state.value,
        by.actor,
        by.note,
        resolution.value if resolution else "",
        amount,
        entry_id,
        now,
    )
    store.save_case(before, replace(after, events=()), event)


def is_final(case: Case) -> bool:
    return case.state in FINAL_STATES
