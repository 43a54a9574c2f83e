"""CaseService messages <-> engine cases (money through server.convert, the one place)."""

from __future__ import annotations

from cashapp_client._proto.cashapp.v1 import case_service_pb2 as cs
from engine.cases import case as c
from engine.cases.disputes import DisputeDraft
from engine.cases.listing import CaseFilter
from engine.errors import InvalidArgument
from server.convert import enum_in, money_in, money_out, timestamp

KIND = {k: cs.CaseKind.Value(f"CASE_KIND_{k.value}") for k in c.Kind}
STATE = {s: cs.CaseState.Value(f"CASE_STATE_{s.value}") for s in c.State}
RESOLUTION = {r: cs.CaseResolution.Value(f"CASE_RESOLUTION_{r.value}") for r in c.Resolution}


def actor_of(given: str, tenant_id: str) -> str:
    """Who asks: the request's actor, else the authenticated caller (its tenant: tokens and
    certificates name tenants, not people)."""
    return given or f"tenant:{tenant_id}"


def dispute_in(r: cs.OpenDisputeRequest) -> DisputeDraft:
    if not r.HasField("amount"):
        raise InvalidArgument("MISSING_AMOUNT", "amount is required", "amount")
    return DisputeDraft(r.case_id, r.invoice_id, money_in(r.amount, "amount"), r.category, r.reason_code)


def filter_in(r: cs.ListCasesRequest) -> CaseFilter:
    return CaseFilter(
        enum_in(STATE, r.state, "state"), enum_in(KIND, r.kind, "kind"), r.customer_id, r.invoice_id
    )


def target_in(value: int) -> c.State:
    state = enum_in(STATE, value, "target_state")
    if state is None:
        raise InvalidArgument("MISSING_TARGET_STATE", "target_state is required", "target_state")
    return state


def resolution_in(value: int) -> c.Resolution:
    resolution = enum_in(RESOLUTION, value, "resolution")
    if resolution is None:
        raise InvalidArgument("MISSING_RESOLUTION", "resolution is required", "resolution")
    return resolution


def amount_in(r: cs.ResolveCaseRequest, currency: str) -> int:
    """The amount to settle in the case's currency; 0 (all that is open) when unset."""
    if not r.HasField("amount"):
        return 0
    amount = money_in(r.amount, "amount")
    if amount.currency != currency:
        raise InvalidArgument(
            "CURRENCY_MUST_MATCH_CASE", f"the case is in {currency}", "amount.currency_code"
        )
    return amount.amount_minor


def case_out(k: c.Case) -> cs.Case:
    cur = k.currency
    pending = None
    if k.pending is not None:
        p = k.pending
        pending = cs.PendingResolution(
            resolution=RESOLUTION[p.resolution],
            amount=money_out(p.amount_minor, cur),
            rebill_invoice_id=p.rebill_invoice_id,
            requested_by=p.requested_by,
            note=p.note,
        )
    return cs.Case(
        case_id=k.case_id,
        kind=KIND[k.kind],
        state=STATE[k.state],
        category=k.category,
        reason_code=k.reason_code,
        customer_id=k.customer_id,
        invoice_id=k.invoice_id,
        payment_id=k.payment_id,
        application_id=k.application_id,
        original_amount=money_out(k.original_minor, cur),
        open_amount=money_out(k.open_minor, cur),
        credited_amount=money_out(k.credited_minor, cur),
        written_off_amount=money_out(k.written_off_minor, cur),
        rebilled_amount=money_out(k.rebilled_minor, cur),
        collected_amount=money_out(k.collected_minor, cur),
        cancelled_amount=money_out(k.cancelled_minor, cur),
        pending=pending,
        create_time=timestamp(k.create_us),
        update_time=timestamp(k.update_us),
        history=[_event_out(e, cur) for e in k.events],
    )


def _event_out(e: c.Event, currency: str) -> cs.CaseEvent:
    return cs.CaseEvent(
        seq=e.seq,
        action=e.action,
        from_state=STATE[c.State(e.from_state)] if e.from_state else cs.CASE_STATE_UNSPECIFIED,
        to_state=STATE[c.State(e.to_state)],
        actor=e.actor,
        note=e.note,
        resolution=RESOLUTION[c.Resolution(e.resolution)] if e.resolution else cs.CASE_RESOLUTION_UNSPECIFIED,
        amount=money_out(e.amount_minor, currency),
        entry_id=e.entry_id,
        create_time=timestamp(e.create_us),
    )


def settings_in(msg: cs.CaseSettings) -> tuple[int | None, int]:
    limit = msg.approval_limit_minor if msg.HasField("approval_limit_minor") else None
    return limit, msg.write_off_limit_minor


def settings_out(s: c.CaseSettings) -> cs.CaseSettings:
    out = cs.CaseSettings(write_off_limit_minor=s.write_off_limit_minor, update_time=timestamp(s.update_us))
    if s.approval_limit_minor is not None:
        out.approval_limit_minor = s.approval_limit_minor
    return out
