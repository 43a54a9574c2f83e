"""AutoApply over unapplied payments, and resolution of the exception queue."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine import decisions as codec
from engine import ledger
from engine import model as m
from engine import validate as v
from engine.applying import ApplyRequest, apply_allocations, apply_many
from engine.errors import DomainError, FailedPrecondition, InvalidArgument, NotFound
from engine.matching.decide import Proposal
from engine.matching.pipeline import propose
from engine.storage.store import Store, now_us
from engine.telemetry import decisions_total, tracer

# One AutoApply call considers at most this many payments (oldest value date first); callers
# page through larger backlogs by calling again.
MAX_AUTO_APPLY_PAYMENTS = 1000


@dataclass(frozen=True, slots=True)
class Scope:
    """Which unapplied payments AutoApply considers: all, one customer's, or named ones."""

    customer_id: str = ""
    payment_ids: tuple[str, ...] = ()


def select_payments(store: Store, scope: Scope) -> list[m.Payment]:
    if scope.payment_ids:
        v.list_length(list(scope.payment_ids), "payments.payment_ids", MAX_AUTO_APPLY_PAYMENTS)
        for i, pid in enumerate(scope.payment_ids):
            v.require_id(pid, f"payments.payment_ids[{i}]")
        missing = sorted(
            set(scope.payment_ids) - set(store.get_payments(scope.payment_ids, with_applications=False))
        )
        if missing:
            index = scope.payment_ids.index(missing[0])
            raise NotFound(
                "PAYMENT_NOT_FOUND",
                f"payment {missing[0]!r} does not exist",
                f"payments.payment_ids[{index}]",
            )
    if scope.customer_id:
        v.require_id(scope.customer_id, "customer_id")
        if not store.existing_customer_ids([scope.customer_id]):
            raise NotFound(
                "CUSTOMER_NOT_FOUND", f"customer {scope.customer_id!r} does not exist", "customer_id"
            )
    ids = store.unapplied_payment_ids(
        customer_id=scope.customer_id, payment_ids=scope.payment_ids, limit=MAX_AUTO_APPLY_PAYMENTS
    )
    # Re-checked on the loaded rows: under PostgreSQL's READ COMMITTED a payment could be fully
    # applied between the two statements (reads also run in one REPEATABLE READ snapshot).
    return [p for p in store.get_payments(ids).values() if p.unapplied_minor > 0 and not p.returned_minor]


def plan(store: Store, scope: Scope) -> list[Proposal]:
    """Proposals for the scope, computed from a snapshot (outside the write transaction)."""
    with tracer.start_as_current_span("match.plan") as span:
        selected = select_payments(store, scope)
        span.set_attribute("cashapp.payments", len(selected))
        return propose(store, selected)


def commit(store: Store, proposals: Sequence[Proposal]) -> list[m.Decision]:
    """Persists proposals in a few set-based statements. The auto-applications go through the one
    application path, which re-checks every amount against locked rows; one the books no longer
    allow becomes UNMATCHED (reason STATE_CHANGED) and changes nothing."""
    with tracer.start_as_current_span("match.persist") as span:
        now = now_us()
        auto = [p for p in proposals if p.outcome is m.DecisionOutcome.AUTO_APPLIED]
        refused = dict(
            zip((p.payment_id for p in auto), apply_many(store, [_request(p) for p in auto]), strict=True)
        )
        store.set_payments_customer(
            [
                (p.payment_id, p.customer_id, False)
                for p in proposals
                if p.customer_id and p.payment_id not in refused
            ]
        )
        made = [_decision(p, refused.get(p.payment_id), now) for p in proposals]
        store.insert_decisions([(d, codec.explanation_json(d.explanation)) for d in made])
        store.insert_exceptions(
            [
                (exc, codec.suggestions_json(exc.suggestions))
                for d in made
                if d.outcome is m.DecisionOutcome.SUGGESTED
                for exc in [_exception(d, now)]
            ]
        )
        span.set_attribute("cashapp.decisions", len(made))
        return made


def record_outcomes(outcomes: Iterable[tuple[m.DecisionOutcome, str]]) -> None:
    """Counts committed decisions by outcome and reason (the cashapp.decisions metric)."""
    for outcome, reason in outcomes:
        decisions_total.add(1, {"outcome": outcome.value, "reason": reason})


def _request(p: Proposal) -> ApplyRequest:
    return ApplyRequest(
        p.payment_id, p.allocations, m.ApplicationSource.AUTO, on_account_rest=p.on_account_rest,
        customer_id=p.customer_id,
    )  # fmt: skip


def _decision(p: Proposal, refusal: DomainError | None, now: int) -> m.Decision:
    """The decision stored for a proposal; a refused auto-application becomes STATE_CHANGED."""
    if refusal is None:
        return m.Decision(
            ledger.new_id(), p.payment_id, p.customer_id, p.outcome, p.reason, p.explanation, now
        )
    explanation = dataclasses.replace(
        p.explanation,
        summary=f"The books changed while matching ({refusal}); the payment waits for the next run.",
        winning_rule="STATE_CHANGED",
    )
    return m.Decision(
        ledger.new_id(),
        p.payment_id,
        p.customer_id,
        m.DecisionOutcome.UNMATCHED,
        "STATE_CHANGED",
        explanation,
        now,
    )


def _exception(d: m.Decision, now: int) -> m.MatchException:
    return m.MatchException(
        ledger.new_id(), d.payment_id, d.customer_id, m.ExceptionState.OPEN, d.reason,
        d.explanation.candidates, d.decision_id, now,
    )  # fmt: skip


def get_exception(store: Store, exception_id: str) -> m.MatchException:
    v.require_id(exception_id, "exception_id")
    row = store.exception_rows(exception_id)
    if row is None:
        raise NotFound("EXCEPTION_NOT_FOUND", f"exception {exception_id!r} does not exist", "exception_id")
    return codec.exception_from_row(row)


def resolve_exception(
    store: Store, exception_id: str, rank: int | None, allocations: Sequence[m.Allocation] | None
) -> m.MatchException:
    """Accepts suggestion `rank` (1-based) or applies explicit allocations, and closes the exception."""
    exc = get_exception(store, exception_id)
    if exc.state is m.ExceptionState.RESOLVED:
        raise FailedPrecondition(
            "EXCEPTION_ALREADY_RESOLVED", f"exception {exception_id!r} is resolved", "exception_id"
        )
    if rank is not None:
        if not 1 <= rank <= len(exc.suggestions):
            raise InvalidArgument(
                "INVALID_SUGGESTION_RANK", f"rank must be 1..{len(exc.suggestions)}", "accept_suggestion_rank"
            )
        chosen = exc.suggestions[rank - 1]
        allocations, field = chosen.allocations, "accept_suggestion_rank"
        rest = chosen.residual_minor > 0
    elif allocations:
        field, rest = "allocations.allocations", False
    else:
        raise InvalidArgument(
            "MISSING_RESOLUTION", "give accept_suggestion_rank or allocations", "resolution"
        )
    request = ApplyRequest(
        exc.payment_id, tuple(allocations), m.ApplicationSource.EXCEPTION_RESOLUTION, on_account_rest=rest,
        customer_id=exc.customer_id, field=field,
    )  # fmt: skip
    apply_allocations(store, request)
    store.resolve_open_exceptions([exc.payment_id], now_us())
    resolved = store.exception_rows(exception_id)
    assert resolved is not None
    return codec.exception_from_row(resolved)
