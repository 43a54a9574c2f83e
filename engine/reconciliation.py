"""AutoApply over unapplied payments, and resolution of the exception queue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine import decisions as codec
from engine import ledger
from engine import model as m
from engine import validate as v
from engine.errors import DomainError, FailedPrecondition, InvalidArgument, NotFound
from engine.matching.decide import Proposal
from engine.matching.pipeline import propose
from engine.payments import apply_allocations
from engine.storage.store import ConcurrentChange, Store, now_us
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
    """Persists proposals; each AUTO one re-checks its amounts and falls back to UNMATCHED
    (reason STATE_CHANGED) when the books moved since it was proposed."""
    with tracer.start_as_current_span("match.persist") as span:
        made = [_commit_one(store, p) for p in proposals]
        for d in made:
            decisions_total.add(1, {"outcome": d.outcome.value, "reason": d.reason})
        span.set_attribute("cashapp.decisions", len(made))
        return made


def _commit_one(store: Store, p: Proposal) -> m.Decision:
    now = now_us()
    outcome, reason, explanation = p.outcome, p.reason, p.explanation
    if outcome is m.DecisionOutcome.AUTO_APPLIED:
        try:
            with store.conn.begin_nested():
                apply_allocations(
                    store,
                    p.payment_id,
                    p.allocations,
                    m.ApplicationSource.AUTO,
                    on_account_rest=p.on_account_rest,
                    customer_id=p.customer_id,
                )
        except (DomainError, ConcurrentChange) as error:
            outcome, reason = m.DecisionOutcome.UNMATCHED, "STATE_CHANGED"
            explanation = m.Explanation(
                f"The books changed while matching ({error}); the payment stays unapplied for the next run.",
                explanation.customer_identified_by,
                explanation.candidates,
                explanation.runner_up,
                "STATE_CHANGED",
                explanation.solver_algorithm,
                explanation.solver_candidate_count,
                explanation.solver_outcome,
            )
    elif p.customer_id:
        store.set_payment_customer(p.payment_id, p.customer_id, on_account=False)
    decision = m.Decision(ledger.new_id(), p.payment_id, p.customer_id, outcome, reason, explanation, now)
    store.insert_decision(decision, codec.explanation_json(explanation))
    if outcome is m.DecisionOutcome.SUGGESTED:
        exc = m.MatchException(
            ledger.new_id(),
            p.payment_id,
            p.customer_id,
            m.ExceptionState.OPEN,
            reason,
            explanation.candidates,
            decision.decision_id,
            now,
        )
        store.insert_exception(exc, codec.suggestions_json(exc.suggestions))
    return decision


def resolve_exception(
    store: Store, exception_id: str, rank: int | None, allocations: Sequence[m.Allocation] | None
) -> m.MatchException:
    """Accepts suggestion `rank` (1-based) or applies explicit allocations, and closes the exception."""
    v.require_id(exception_id, "exception_id")
    row = store.exception_rows(exception_id)
    if row is None:
        raise NotFound("EXCEPTION_NOT_FOUND", f"exception {exception_id!r} does not exist", "exception_id")
    exc = codec.exception_from_row(row)
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
    apply_allocations(
        store,
        exc.payment_id,
        allocations,
        m.ApplicationSource.EXCEPTION_RESOLUTION,
        field=field,
        on_account_rest=rest,
        customer_id=exc.customer_id,
    )
    store.resolve_open_exceptions(exc.payment_id, now_us())
    resolved = store.exception_rows(exception_id)
    assert resolved is not None
    return codec.exception_from_row(resolved)
