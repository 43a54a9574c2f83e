"""The matching pipeline over a batch of payments: load what they need in a few set-based
queries, identify each payment's customer, find its references, and propose a decision.

Proposing reads a snapshot and changes nothing; engine.reconciliation persists the proposals in
one transaction that re-checks every amount (DESIGN.md section 7).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine import model as m
from engine import validate as v
from engine.errors import InvalidArgument
from engine.matching import decide
from engine.matching.identify import Identification, NameIndex, identify
from engine.matching.references import SCORE_NORMALIZED, Token, reference_key, remittance_tokens
from engine.storage.store import Store
from engine.telemetry import tracer

# The tolerance when a customer sets none: exact to the cent.
DEFAULT_TOLERANCE_MINOR = 0


@dataclass(frozen=True, slots=True)
class ReferenceHit:
    invoice: m.Invoice
    score: int
    how: str


def _account_key(raw: str) -> str | None:
    try:
        return v.account_key(raw, "payer_account") if raw else None
    except InvalidArgument:
        return None  # a malformed payer account identifies nobody


def _reference_hits(
    tokens: list[Token], by_id: dict[str, m.Invoice], by_key: dict[str, list[m.Invoice]]
) -> list[ReferenceHit]:
    best: dict[str, ReferenceHit] = {}
    for token in tokens:
        exact = by_id.get(token.raw)
        hits = [(exact, token.score, token.how)] if exact else []
        hits += [
            (inv, token.score if token.how == "CREDITOR_REFERENCE" else SCORE_NORMALIZED, "NORMALIZED")
            for inv in by_key.get(token.key, [])
            if inv is not exact
        ]
        for inv, score, how in hits:
            if inv is not None and score > best.get(inv.invoice_id, ReferenceHit(inv, -1, "")).score:
                best[inv.invoice_id] = ReferenceHit(inv, score, how)
    return sorted(best.values(), key=lambda h: (h.invoice.due_date, h.invoice.invoice_id))


def propose(store: Store, payments: list[m.Payment]) -> list[decide.Proposal]:
    """Proposals for the payments, in their order."""
    with tracer.start_as_current_span("match.identify") as span:
        span.set_attribute("cashapp.payments", len(payments))
        facts = _identify_all(store, payments)
    with tracer.start_as_current_span("match.decide"):
        proposals: dict[str, decide.Proposal] = {}
        amount_only: list[decide.Facts] = []
        for p in payments:
            outcome = _propose_one(p, *facts[p.payment_id])
            if isinstance(outcome, decide.Facts):
                amount_only.append(outcome)
            else:
                proposals[p.payment_id] = outcome
        proposals.update(decide.by_amount(amount_only))
        proposals.update(_refuse_conflicts(proposals))
        proposals.update(_bundles(payments, proposals, facts))
        return [proposals[p.payment_id] for p in payments]


def _refuse_conflicts(proposals: dict[str, decide.Proposal]) -> dict[str, decide.Proposal]:
    """Two payments must never both be auto-applied to one invoice in a run: which one paid it
    is a question for a person, so both go to the exception queue."""
    claims: dict[str, list[str]] = {}
    for pid, p in proposals.items():
        if p.outcome is m.DecisionOutcome.AUTO_APPLIED:
            for a in p.allocations:
                claims.setdefault(a.invoice_id, []).append(pid)
    contested = {pid for pids in claims.values() if len(pids) > 1 for pid in pids}
    return {pid: decide.contested(proposals[pid]) for pid in contested}


def _bundles(
    payments: list[m.Payment], proposals: dict[str, decide.Proposal], facts: dict[str, _Found]
) -> dict[str, decide.Proposal]:
    """Payments of one customer that no single subset explains, tried together (many-to-many)
    against the open invoices that no auto-applied proposal of this run takes."""
    taken = {
        a.invoice_id
        for p in proposals.values()
        if p.outcome is m.DecisionOutcome.AUTO_APPLIED
        for a in p.allocations
    }
    groups: dict[tuple[str, str], list[m.Payment]] = {}
    for p in payments:
        proposal = proposals[p.payment_id]
        if proposal.reason == "NO_AMOUNT_MATCH" and proposal.customer_id:
            groups.setdefault((proposal.customer_id, p.currency), []).append(p)
    result: dict[str, decide.Proposal] = {}
    for (customer_id, currency), group in groups.items():
        if len(group) < 2:
            continue
        who, _hits, customer, open_by_customer = facts[group[0].payment_id]
        assert customer is not None
        invoices = [
            i
            for i in open_by_customer.get(customer_id, [])
            if i.currency == currency and i.invoice_id not in taken
        ]
        result.update(decide.by_bundle(group, invoices, _tolerance(customer), who.by))
    return result


def _tolerance(customer: m.Customer) -> int:
    return customer.tolerance_minor if customer.tolerance_minor is not None else DEFAULT_TOLERANCE_MINOR


_Found = tuple[Identification, list[ReferenceHit], "m.Customer | None", dict[str, list[m.Invoice]]]


def _identify_all(store: Store, payments: list[m.Payment]) -> dict[str, _Found]:
    """Customer and reference hits of every payment, and the open invoices of those customers,
    in at most six queries whatever the number of payments."""
    tokens = {p.payment_id: remittance_tokens(p.references, p.remittance_info) for p in payments}
    all_tokens = [t for ts in tokens.values() for t in ts]
    referenced = store.invoices_by_reference([t.raw for t in all_tokens], [t.key for t in all_tokens])
    by_id = {inv.invoice_id: inv for inv in referenced}
    by_key: dict[str, list[m.Invoice]] = {}
    for inv in referenced:
        by_key.setdefault(reference_key(inv.invoice_id), []).append(inv)
    account_keys = {p.payment_id: _account_key(p.payer_account) for p in payments}
    owners = store.payer_account_owners(k for k in account_keys.values() if k)
    names = NameIndex(store.all_customers)

    found: dict[str, tuple[Identification, list[ReferenceHit]]] = {}
    for p in payments:
        hits = _reference_hits(tokens[p.payment_id], by_id, by_key)
        key = account_keys[p.payment_id]
        who = identify(p, owners.get(key) if key else None, {h.invoice.customer_id for h in hits}, names)
        found[p.payment_id] = (who, hits)
    identified = {w.customer_id for w, _ in found.values() if w.customer_id}
    customers = store.get_customers(identified)
    open_by_customer: dict[str, list[m.Invoice]] = {}
    for inv in store.open_invoices_of(identified):
        open_by_customer.setdefault(inv.customer_id, []).append(inv)

    return {
        pid: (who, hits, customers.get(who.customer_id) if who.customer_id else None, open_by_customer)
        for pid, (who, hits) in found.items()
    }


def _propose_one(
    p: m.Payment,
    who: Identification,
    hits: list[ReferenceHit],
    customer: m.Customer | None,
    open_by_customer: dict[str, list[m.Invoice]],
) -> decide.Proposal | decide.Facts:
    """The proposal, or the facts of a payment left to the amount search (solved in groups)."""
    if customer is None:
        explanation = m.Explanation(
            f"No customer identified: {who.detail}.", who.by, winning_rule="NO_CUSTOMER"
        )
        return decide.Proposal(
            p.payment_id, None, m.DecisionOutcome.UNMATCHED, "NO_CUSTOMER_IDENTIFIED", explanation
        )
    open_invoices = [i for i in open_by_customer.get(customer.customer_id, []) if i.currency == p.currency]
    if not open_invoices:
        explanation = m.Explanation(
            f"{customer.display_name} has no open invoices in {p.currency}.",
            who.by,
            winning_rule="NO_OPEN_INVOICES",
        )
        return decide.Proposal(
            p.payment_id,
            customer.customer_id,
            m.DecisionOutcome.UNMATCHED,
            "NO_OPEN_INVOICES_IN_CURRENCY",
            explanation,
        )
    open_ids = {i.invoice_id for i in open_invoices}
    usable = [h for h in hits if h.invoice.invoice_id in open_ids]
    facts = decide.Facts(
        payment=p,
        customer_id=customer.customer_id,
        identified_by=who.by,
        open_invoices=open_invoices,
        reference_scores={h.invoice.invoice_id: h.score for h in usable},
        tolerance_minor=_tolerance(customer),
    )
    if usable:
        return decide.by_reference(facts, [h.invoice for h in usable])
    return facts
