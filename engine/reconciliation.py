"""AutoApply over the payments that need a decision, and resolution of the exception queue.

A payment is decided once per change of its inputs (DESIGN.md section 6): every change that
can alter its decision marks it (engine.storage.store.Store.mark_needs_decision); AutoApply
takes only marked payments, oldest value date first with each customer's waiting payments
along (engine.storage.decision_store), and clears a mark only where nothing
changed the payment between the plan's snapshot and the commit. A re-decision equal to the
stored one stores nothing; every decision that is not AUTO_APPLIED keeps the payment in the
exception queue, where a changed doubt supersedes the old exception.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from engine import decisions as codec
from engine import ledger
from engine import model as m
from engine import validate as v
from engine.alerts import detectors, raising
from engine.applying import ApplyRequest, apply_allocations, apply_many
from engine.errors import DomainError, FailedPrecondition, InvalidArgument, NotFound
from engine.matching.decide import Proposal
from engine.matching.pipeline import propose_all
from engine.payments import get_payment, mark_invoice_customers
from engine.storage.store import ConcurrentChange, Store, now_us
from engine.storage.tables import ASSIGNEE_MAX
from engine.telemetry import decisions_total, span_ids, tracer

# One AutoApply call considers at most this many payments (oldest first, customers whole); callers
# page through larger backlogs by calling again.
MAX_AUTO_APPLY_PAYMENTS = 1000
# The reason of a decision whose auto-application the books refused at commit time.
STATE_CHANGED = "STATE_CHANGED"


@dataclass(frozen=True, slots=True)
class Scope:
    """Which payments AutoApply considers: all, one customer's, or named ones (each only
    where the payment needs a decision)."""

    customer_id: str = ""
    payment_ids: tuple[str, ...] = ()


def claim_batch(store: Store, holder: str) -> list[str]:
    """The next batch of the whole backlog, claimed for the call `holder` (its own transaction,
    committed before planning, so concurrent calls and replicas skip it: claim_store)."""
    return store.claim_backlog(holder, MAX_AUTO_APPLY_PAYMENTS, now_us())


@dataclass(frozen=True, slots=True)
class Plan:
    """Proposals from one snapshot, and the input_version each proposal's payment had in it
    (partners the pipeline fetched beyond the selected batch included)."""

    proposals: list[Proposal]
    versions: dict[str, int]
    # input_version of each proposal's customer in the snapshot.
    customer_versions: dict[str, int] = dataclasses.field(default_factory=dict)
    # Customers whose invoices each payment's remittance names by id (for the alert detector,
    # which would read them again: invoices keep their customer).
    named_customers: dict[str, frozenset[str]] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Committed:
    """The decisions stored, and the payments re-decided exactly as their latest stored
    decision (nothing stored for them)."""

    decisions: list[m.Decision]
    unchanged_payment_ids: list[str]


def select_payments(store: Store, scope: Scope, claimed: Sequence[str] | None = None) -> list[m.Payment]:
    """The payments a call decides: the scope's, or the batch the call claimed (each only while
    it still needs a decision)."""
    if claimed is not None:
        return _decidable(store, store.payments_needing_decision(payment_ids=claimed, limit=len(claimed)))
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
    ids = store.payments_needing_decision(
        customer_id=scope.customer_id, payment_ids=scope.payment_ids, limit=MAX_AUTO_APPLY_PAYMENTS
    )
    return _decidable(store, ids)


def _decidable(store: Store, ids: list[str]) -> list[m.Payment]:
    loaded = store.get_payments(ids)
    # Re-checked on the loaded rows: under PostgreSQL's READ COMMITTED a payment could be fully
    # applied between the two statements (reads also run in one REPEATABLE READ snapshot).
    return [
        loaded[i]
        for i in ids
        if i in loaded and loaded[i].unapplied_minor > 0 and not loaded[i].returned_minor
    ]


def plan(store: Store, scope: Scope, claimed: Sequence[str] | None = None) -> Plan:
    """Proposals for the scope (or the claimed batch), computed from a snapshot (outside the
    write transaction)."""
    with tracer.start_as_current_span("match.plan") as span:
        if claimed == []:
            return Plan([], {}, {})
        selected = select_payments(store, scope, claimed)
        span.set_attribute("cashapp.payments", len(selected))
        span.set_attribute("cashapp.payment_ids", span_ids(p.payment_id for p in selected))
        proposed = propose_all(store, selected)
        proposals = proposed.proposals
        return Plan(
            proposals,
            store.input_versions(p.payment_id for p in proposals),
            store.customer_versions(p.customer_id for p in proposals if p.customer_id),
            proposed.named_customers,
        )


def commit(store: Store, planned: Plan, holder: str = "") -> Committed:
    """Persists proposals in a few set-based statements. The auto-applications go through the one
    application path, which re-checks every amount against locked rows; one the books no longer
    allow becomes UNMATCHED (reason STATE_CHANGED), changes nothing and keeps its mark.

    Proposals for payments outside the selected batch (a bundle's partner) are handled alike.
    A payment is marked decided only if its input_version and its proposed customer's still
    equal the plan's snapshot; any other keeps its mark and is decided again by a later call."""
    with tracer.start_as_current_span("match.persist") as span:
        now = now_us()
        proposals = planned.proposals
        # Every proposal's payment locked first, in id order, then invoices (apply_many), then the
        # customers: the order every applier takes (payment, invoice, journal head, customer), so
        # a concurrent ApplyPayment never waits for this commit while holding what it waits for.
        locked = store.get_payments([p.payment_id for p in proposals], lock=True, with_applications=False)
        auto = [p for p in proposals if p.outcome is m.DecisionOutcome.AUTO_APPLIED]
        refused = dict(
            zip(
                (p.payment_id for p in auto),
                apply_many(store, [_request(p) for p in auto], locked),
                strict=True,
            )
        )
        applied = [p for p in auto if refused[p.payment_id] is None]
        # The applied ones got their customer (and on-account rest) from the application path.
        store.set_payments_customer(
            [
                (p.payment_id, p.customer_id, False)
                for p in proposals
                if p.customer_id and p.outcome is not m.DecisionOutcome.AUTO_APPLIED
            ]
        )
        made = [_decision(p, refused.get(p.payment_id), now) for p in proposals]
        stored, unchanged = _record(store, made, now)
        # The rows locked above: what the alerts read of a payment (account, remittance, amount)
        # is what no application changes.
        raising.record(store, detectors.after_decisions(store, stored, now, locked, planned.named_customers))
        # Locked last and held to the end: a customer change either committed before this read
        # or waits for this commit.
        current = store.customer_versions(planned.customer_versions, lock=True)
        stale = {cid for cid, n in planned.customer_versions.items() if current.get(cid) != n}
        # Money moved: the customers' other payments were matched against invoices that changed.
        store.mark_needs_decision(
            customer_ids={p.customer_id for p in applied if p.customer_id},
            except_payment_ids=[p.payment_id for p in applied],
        )
        versions = planned.versions
        decided = [
            d.payment_id
            for d in made
            if d.reason != STATE_CHANGED and d.payment_id in versions and d.customer_id not in stale
        ]
        store.mark_decided({pid: versions[pid] for pid in decided})
        store.clear_undecidable_marks(p.payment_id for p in proposals)
        if holder:  # the batch is decided: its owners are free for the next call
            store.release_claims(holder)
        span.set_attribute("cashapp.decisions", len(stored))
        span.set_attribute("cashapp.unchanged", len(unchanged))
        span.set_attribute("cashapp.payment_ids", span_ids(p.payment_id for p in proposals))
        span.set_attribute("cashapp.decision_ids", span_ids(d.decision_id for d in stored))
        span.set_attribute(
            "cashapp.invoice_ids", span_ids(a.invoice_id for p in applied for a in p.allocations)
        )
        return Committed(stored, unchanged)


def _record(store: Store, made: list[m.Decision], now: int) -> tuple[list[m.Decision], list[str]]:
    """Stores the decisions that differ from each payment's latest one and keeps the exception
    queue in step: an auto-application closes the open exception (RESOLVED); a new doubt
    supersedes it (SUPERSEDED) and opens its own; an unchanged doubt keeps it (or opens one for
    the stored decision if the payment had none)."""
    ids = [d.payment_id for d in made]
    latest, queued = store.latest_decisions(ids), store.open_exception_rows(ids)
    stored: list[m.Decision] = []
    unchanged: list[str] = []
    opened: list[m.MatchException] = []
    for d in made:
        # A refused auto-application is no doubt for a person: the payment is decided again.
        doubt = d.outcome is not m.DecisionOutcome.AUTO_APPLIED and d.reason != STATE_CHANGED
        previous = latest.get(d.payment_id)
        if doubt and previous is not None and _same(d, previous):
            unchanged.append(d.payment_id)
            if d.payment_id not in queued:
                opened.append(_exception(codec.decision_from_row(previous), now))
            continue
        stored.append(d)
        if doubt:
            opened.append(_exception(d, now))
    store.insert_decisions([(d, codec.explanation_json(d.explanation)) for d in stored])
    done = [d.payment_id for d in stored if d.outcome is m.DecisionOutcome.AUTO_APPLIED]
    store.resolve_open_exceptions(done, now)
    replaced = {x.payment_id for x in opened} & set(queued)
    store.resolve_open_exceptions(replaced, now, m.ExceptionState.SUPERSEDED)
    store.insert_exceptions([(x, codec.suggestions_json(x.suggestions)) for x in opened])
    return stored, unchanged


def _same(d: m.Decision, row: Any) -> bool:
    """Equal outcome, reason, customer and candidate invoice sets: a re-decision that tells a
    person nothing new."""
    previous = codec.decision_from_row(row)
    return (d.outcome, d.reason, d.customer_id, _invoice_sets(d)) == (
        previous.outcome,
        previous.reason,
        previous.customer_id,
        _invoice_sets(previous),
    )


def _invoice_sets(d: m.Decision) -> frozenset[frozenset[str]]:
    return frozenset(frozenset(c.invoice_ids) for c in d.explanation.candidates)


def record_outcomes(outcomes: Iterable[tuple[m.DecisionOutcome, str]]) -> None:
    """Counts committed decisions by outcome and reason (the cashapp.autoapply.decisions metric)."""
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
        winning_rule=STATE_CHANGED,
    )
    return m.Decision(
        ledger.new_id(),
        p.payment_id,
        p.customer_id,
        m.DecisionOutcome.UNMATCHED,
        STATE_CHANGED,
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


def assign_exception(store: Store, exception_id: str, assignee: str) -> m.MatchException:
    """Gives an open exception to a clerk (`assignee`: their name, "" to give it back to the
    queue); a closed one is FAILED_PRECONDITION: nobody works on it any more."""
    if assignee:
        v.text(assignee, "assignee", ASSIGNEE_MAX)
    current = get_exception(store, exception_id)
    if current.state is not m.ExceptionState.OPEN:
        raise FailedPrecondition(
            "EXCEPTION_NOT_OPEN", f"exception {exception_id!r} is {current.state.value}", "exception_id"
        )
    if not store.assign_exception(exception_id, assignee):
        raise ConcurrentChange(f"exception {exception_id!r} closed while it was assigned")
    return get_exception(store, exception_id)


def resolve_exception(
    store: Store,
    exception_id: str,
    rank: int | None,
    allocations: Sequence[m.Allocation] | None,
    *,
    on_account: bool = False,
) -> m.MatchException:
    """Accepts suggestion `rank` (1-based), applies explicit allocations, or puts the payment's
    unapplied cash on account; closes the exception either way."""
    exc = get_exception(store, exception_id)
    if exc.state is not m.ExceptionState.OPEN:
        reason = (
            "EXCEPTION_ALREADY_RESOLVED" if exc.state is m.ExceptionState.RESOLVED else "EXCEPTION_SUPERSEDED"
        )
        raise FailedPrecondition(
            reason, f"exception {exception_id!r} is {exc.state.value.lower()}", "exception_id"
        )
    if on_account:
        _put_on_account(store, exc)
    else:
        _apply_resolution(store, exc, rank, allocations)
    resolved = store.exception_rows(exception_id)
    assert resolved is not None
    return codec.exception_from_row(resolved)


def _apply_resolution(
    store: Store, exc: m.MatchException, rank: int | None, allocations: Sequence[m.Allocation] | None
) -> None:
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
            "MISSING_RESOLUTION", "give accept_suggestion_rank, allocations or on_account", "resolution"
        )
    request = ApplyRequest(
        exc.payment_id, tuple(allocations), m.ApplicationSource.EXCEPTION_RESOLUTION, on_account_rest=rest,
        customer_id=exc.customer_id, field=field,
    )  # fmt: skip
    apply_allocations(store, request)
    store.resolve_open_exceptions([exc.payment_id], now_us())
    store.clear_undecidable_marks([exc.payment_id])
    mark_invoice_customers(store, [a.invoice_id for a in allocations], except_payment_ids=[exc.payment_id])


def _put_on_account(store: Store, exc: m.MatchException) -> None:
    """A person decides the cash stays with the customer as on-account credit: the payment
    leaves matching (it is no longer decidable), and the decision is recorded."""
    payment = get_payment(store, exc.payment_id, lock=True)
    customer_id = payment.customer_id or exc.customer_id
    if customer_id is None:
        raise FailedPrecondition(
            "CUSTOMER_NOT_IDENTIFIED",
            f"payment {exc.payment_id!r} has no customer to hold on-account credit; apply it instead",
            "on_account",
        )
    if payment.returned_minor or payment.unapplied_minor == 0:
        raise FailedPrecondition(
            "NOTHING_UNAPPLIED", f"payment {exc.payment_id!r} has no unapplied cash", "on_account"
        )
    now = now_us()
    store.set_payment_customer(exc.payment_id, customer_id, on_account=True)
    store.resolve_open_exceptions([exc.payment_id], now)
    explanation = m.Explanation(
        f"A person put the unapplied {payment.unapplied_minor} (minor units) on account of {customer_id} "
        f"(exception {exc.exception_id}).",
        "PERSON",
        winning_rule="PUT_ON_ACCOUNT",
    )
    decision = m.Decision(
        ledger.new_id(),
        exc.payment_id,
        customer_id,
        m.DecisionOutcome.UNMATCHED,
        "PUT_ON_ACCOUNT",
        explanation,
        now,
    )
    store.insert_decisions([(decision, codec.explanation_json(decision.explanation))])
    store.clear_undecidable_marks([exc.payment_id])
