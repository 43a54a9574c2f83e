"""Steps 3-4 of matching: explain the payment's amount and decide.

AUTO_APPLIED only when one explanation is clearly best (an exact reference whose amount agrees,
or the solver's unique best subset); an ambiguous or unfinished search goes to the exception queue
with ranked suggestions; no explanation leaves the cash unapplied with its reason.

Residuals: a shortfall within the customer's tolerance is written off; beyond it, with exact
references, the invoices are paid oldest first and the shortfall becomes a deduction; an excess
stays with the customer as on-account credit.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass

from engine import model as m
from engine.matching import solver
from engine.matching.references import SCORE_EXACT
from engine.money import Money
from engine.telemetry import solve_duration, tracer

# Limits of the amount search, with their units.
MAX_ITEMS_PER_PAYMENT = 5  # invoices one payment may settle in an amount-only match
MAX_CANDIDATE_INVOICES = 1000  # oldest open invoices of the customer given to the solver
MAX_SUGGESTIONS = 5
MAX_PAYMENTS_PER_BUNDLE = 3  # payments one many-to-many group may combine
MAX_BUNDLE_PAYMENTS = 20  # unmatched payments of one customer searched together
SOLVER_NODE_BUDGET = 5_000_000


@dataclass(frozen=True, slots=True)
class Proposal:
    """What matching would do with one payment; persisted only after every amount is re-checked."""

    payment_id: str
    customer_id: str | None
    outcome: m.DecisionOutcome
    reason: str
    explanation: m.Explanation
    allocations: tuple[m.Allocation, ...] = ()
    on_account_rest: bool = False


@dataclass(frozen=True, slots=True)
class Facts:
    payment: m.Payment
    customer_id: str
    identified_by: str
    open_invoices: Sequence[m.Invoice]  # the customer's, in the payment's currency, oldest due first
    reference_scores: dict[str, int]  # invoice_id -> best reference score, for open invoices here
    tolerance_minor: int


def _allocation(inv: m.Invoice, use_discount: bool, value_date: object) -> m.Allocation:
    discounted = inv.discounted_minor(value_date) if use_discount else None  # type: ignore[arg-type]
    if discounted is None:
        return m.Allocation(inv.invoice_id, inv.open_minor)
    return m.Allocation(inv.invoice_id, discounted, discount_minor=inv.open_minor - discounted)


def _absorb_shortfall(allocs: list[m.Allocation], shortfall: int, *, write_off: bool) -> list[m.Allocation]:
    """Moves a shortfall from cash to write-off (or deduction), newest allocations first."""
    out = list(allocs)
    for i in reversed(range(len(out))):
        take = min(shortfall, out[i].amount_minor)
        if take:
            a = out[i]
            out[i] = m.Allocation(
                a.invoice_id,
                a.amount_minor - take,
                a.discount_minor,
                a.write_off_minor + (take if write_off else 0),
                a.deduction_minor + (0 if write_off else take),
            )
            shortfall -= take
    return out


def _candidate(
    invoices: Sequence[m.Invoice], c: solver.Candidate, facts: Facts, rule: str
) -> m.MatchCandidate:
    chosen = [invoices[i] for i in c.item_indices]
    allocs = [
        _allocation(inv, d, facts.payment.value_date) for inv, d in zip(chosen, c.discounted, strict=True)
    ]
    if c.residual_minor < 0:
        allocs = _absorb_shortfall(allocs, -c.residual_minor, write_off=True)
    ref = sum(facts.reference_scores.get(inv.invoice_id, 0) for inv in chosen) // len(chosen)
    score = 50 + (30 if c.residual_minor == 0 else 10) + ref // 5 - 2 * (len(chosen) - 1)
    return m.MatchCandidate(
        tuple(inv.invoice_id for inv in chosen),
        tuple(allocs),
        c.residual_minor,
        max(1, min(100, score)),
        rule,
    )


def _money(facts: Facts, amount: int) -> str:
    return Money(amount, facts.payment.currency).format()


def by_amount(pending: Sequence[Facts]) -> dict[str, Proposal]:
    """Amount-only payments: the solver's exhaustive subset search over their customer's open
    invoices. Payments that see the same items (one customer, currency and value date) are solved
    in one call, so the customer's sum tables are built once."""
    groups: dict[tuple[str, str, object], list[Facts]] = {}
    for f in pending:
        groups.setdefault((f.customer_id, f.payment.currency, f.payment.value_date), []).append(f)
    proposals = {}
    for group in groups.values():
        invoices = list(group[0].open_invoices[:MAX_CANDIDATE_INVOICES])
        for facts, result in zip(group, _solve(group, invoices), strict=True):
            proposals[facts.payment.payment_id] = _amount_proposal(facts, invoices, result)
    return proposals


def _solve(group: Sequence[Facts], invoices: Sequence[m.Invoice]) -> tuple[solver.Solution, ...]:
    """The exact subset search over `invoices` for every payment of the group, traced and timed.
    Amount-only payments carry no reference scores, so their items are the same."""
    value_date = group[0].payment.value_date
    items = [
        solver.OpenItem(inv.open_minor, inv.discounted_minor(value_date), inv.due_date.toordinal(), 0)
        for inv in invoices
    ]
    limits = solver.Limits(
        max_items=MAX_ITEMS_PER_PAYMENT,
        tolerance_minor=group[0].tolerance_minor,
        node_budget=SOLVER_NODE_BUDGET,
        max_candidates=MAX_SUGGESTIONS,
    )
    with tracer.start_as_current_span("match.solve") as span:
        started = time.perf_counter()
        results = solver.solve_one_to_many_multi(items, [f.payment.unapplied_minor for f in group], limits)
        elapsed_ms = (time.perf_counter() - started) * 1000
        for result in results:
            solve_duration.record(elapsed_ms / len(results), {"algorithm": result.algorithm})
        span.set_attributes(
            {
                "cashapp.payments": len(group),
                "cashapp.candidate_invoices": len(items),
                "cashapp.solver.algorithm": results[0].algorithm,
                "cashapp.solver.outcome": results[0].outcome.value if len(results) == 1 else "MANY",
                "cashapp.solver.candidates": sum(r.candidate_count for r in results),
            }
        )
    return results


def _amount_proposal(facts: Facts, invoices: Sequence[m.Invoice], result: solver.Solution) -> Proposal:
    """What the solver's verdict means for one payment."""
    rule = "AMOUNT_UNIQUE_SUBSET" if result.outcome is solver.Outcome.MATCHED else "AMOUNT_SUBSET"
    candidates = tuple(_candidate(invoices, c, facts, rule) for c in result.candidates)
    solved = (result.algorithm, result.candidate_count, result.outcome.value)
    paid = _money(facts, facts.payment.unapplied_minor)
    if result.outcome is solver.Outcome.MATCHED:
        best = candidates[0]
        runner = candidates[1] if len(candidates) > 1 else None
        summary = (
            f"Applied {paid} to {', '.join(best.invoice_ids)}: the only best combination of "
            f"{len(invoices)} open invoices (residual {_money(facts, best.residual_minor)})."
        )
        explanation = m.Explanation(summary, facts.identified_by, candidates, runner, rule, *solved)
        return Proposal(
            facts.payment.payment_id,
            facts.customer_id,
            m.DecisionOutcome.AUTO_APPLIED,
            rule,
            explanation,
            best.allocations,
            on_account_rest=best.residual_minor > 0,
        )
    if result.outcome is solver.Outcome.NO_MATCH:
        summary = f"No combination of up to {MAX_ITEMS_PER_PAYMENT} open invoices sums to {paid}."
        explanation = m.Explanation(summary, facts.identified_by, (), None, "NO_AMOUNT_MATCH", *solved)
        return Proposal(
            facts.payment.payment_id,
            facts.customer_id,
            m.DecisionOutcome.UNMATCHED,
            "NO_AMOUNT_MATCH",
            explanation,
        )
    reason = (
        "AMBIGUOUS_AMOUNT_MATCH" if result.outcome is solver.Outcome.AMBIGUOUS else "SOLVER_BUDGET_EXHAUSTED"
    )
    summary = (
        f"{result.candidate_count} combinations explain {paid} equally well; a person must choose."
        if reason == "AMBIGUOUS_AMOUNT_MATCH"
        else f"The search stopped at its budget with {result.candidate_count} candidates; "
        "a person must choose."
    )
    explanation = m.Explanation(
        summary,
        facts.identified_by,
        candidates,
        candidates[1] if len(candidates) > 1 else None,
        reason,
        *solved,
    )
    return Proposal(
        facts.payment.payment_id, facts.customer_id, m.DecisionOutcome.SUGGESTED, reason, explanation
    )


def by_reference(facts: Facts, referenced: Sequence[m.Invoice]) -> Proposal:
    """The payment names open invoices of its customer: settle them when the amount agrees.

    A normalized (fuzzy) reference never auto-applies on its own: the amount must agree too
    (exactly, with the discount, or within tolerance); otherwise it becomes a suggestion.
    """
    pay = facts.payment
    unapplied = pay.unapplied_minor
    exact_refs = all(facts.reference_scores.get(i.invoice_id, 0) >= SCORE_EXACT for i in referenced)
    full = [_allocation(inv, False, pay.value_date) for inv in referenced]
    disc = [_allocation(inv, True, pay.value_date) for inv in referenced]
    total_full = sum(a.amount_minor for a in full)
    total_disc = sum(a.amount_minor for a in disc)
    ids = ", ".join(i.invoice_id for i in referenced)
    paid = _money(facts, unapplied)

    def decide(
        rule: str, allocs: list[m.Allocation], summary: str, *, auto: bool, rest: bool = False
    ) -> Proposal:
        residual = unapplied - sum(a.amount_minor for a in allocs)
        cand = m.MatchCandidate(
            tuple(i.invoice_id for i in referenced), tuple(allocs), residual, 100 if auto else 60, rule
        )
        outcome = m.DecisionOutcome.AUTO_APPLIED if auto else m.DecisionOutcome.SUGGESTED
        reason = rule if auto else "REFERENCE_AMOUNT_DISAGREES"
        explanation = m.Explanation(summary, facts.identified_by, (cand,), None, rule)
        return Proposal(
            pay.payment_id,
            facts.customer_id,
            outcome,
            reason,
            explanation,
            tuple(allocs) if auto else (),
            on_account_rest=rest,
        )

    if unapplied == total_full:
        return decide(
            "REFERENCE_EXACT_AMOUNT", full, f"Remittance names {ids}; {paid} settles them exactly.", auto=True
        )
    if total_disc != total_full and unapplied == total_disc:
        return decide(
            "REFERENCE_WITH_DISCOUNT",
            disc,
            f"Remittance names {ids}; {paid} equals their total less the early-payment discount.",
            auto=True,
        )
    shortfall = total_full - unapplied
    if 0 < shortfall <= facts.tolerance_minor:
        allocs = _absorb_shortfall(full, shortfall, write_off=True)
        return decide(
            "REFERENCE_WITHIN_TOLERANCE",
            allocs,
            f"Remittance names {ids}; the {_money(facts, shortfall)} short is within tolerance "
            "and written off.",
            auto=True,
        )
    if shortfall < 0:
        return decide(
            "REFERENCE_OVERPAYMENT_ON_ACCOUNT",
            full,
            f"Remittance names {ids}; the excess {_money(facts, -shortfall)} stays as on-account credit.",
            auto=exact_refs,
            rest=True,
        )
    allocs = _absorb_shortfall(full, shortfall, write_off=False)
    return decide(
        "REFERENCE_SHORT_PAY_DEDUCTION",
        allocs,
        f"Remittance names {ids}; {paid} is {_money(facts, shortfall)} short, beyond tolerance: "
        "the shortfall is recorded as a deduction.",
        auto=exact_refs,
    )


def contested(p: Proposal) -> Proposal:
    """An auto-application another payment of the same run also claims, sent to a person."""
    explanation = dataclasses.replace(
        p.explanation,
        summary=f"Another payment in this run explains the same invoice(s) equally: {p.explanation.summary}",
        winning_rule="CONFLICTING_PAYMENTS",
    )
    return Proposal(
        p.payment_id, p.customer_id, m.DecisionOutcome.SUGGESTED, "CONFLICTING_PAYMENTS", explanation
    )


def by_bundle(
    payments: Sequence[m.Payment], invoices: Sequence[m.Invoice], tolerance_minor: int, identified_by: str
) -> dict[str, Proposal]:
    """Several payments of one customer settling several invoices together (many-to-many).

    Acts only on a MATCHED group of two or more payments: the cash of the group's payments (oldest
    value date first) fills its invoices (oldest due first), so each payment gets allocations of
    its own. Anything else leaves the payments' single-payment decisions as they were.
    """
    payments = list(payments[:MAX_BUNDLE_PAYMENTS])
    invoices = list(invoices[:MAX_CANDIDATE_INVOICES])
    if len(payments) < 2 or not invoices:
        return {}
    value_date = min(p.value_date for p in payments)
    items = [
        solver.OpenItem(i.open_minor, i.discounted_minor(value_date), i.due_date.toordinal(), 0)
        for i in invoices
    ]
    limits = solver.ManyLimits(
        max_payments=min(MAX_PAYMENTS_PER_BUNDLE, len(payments)),
        max_items=MAX_ITEMS_PER_PAYMENT,
        tolerance_minor=tolerance_minor,
        node_budget=SOLVER_NODE_BUDGET,
        max_candidates=MAX_SUGGESTIONS,
    )
    with tracer.start_as_current_span("match.solve_many") as span:
        result = solver.solve_many_to_many(items, [p.unapplied_minor for p in payments], limits)
        span.set_attributes(
            {"cashapp.solver.outcome": result.outcome.value, "cashapp.payments": len(payments)}
        )
    if result.outcome is not solver.Outcome.MATCHED or len(result.groups[0].payment_indices) < 2:
        return {}
    group = result.groups[0]
    paying = sorted((payments[i] for i in group.payment_indices), key=lambda p: (p.value_date, p.payment_id))
    chosen = [invoices[i] for i in group.item_indices]
    targets = [_allocation(inv, d, value_date) for inv, d in zip(chosen, group.discounted, strict=True)]
    if group.residual_minor < 0:
        targets = _absorb_shortfall(targets, -group.residual_minor, write_off=True)
    per_payment = _waterfall(paying, targets)
    ids = ", ".join(i.invoice_id for i in chosen)
    solved = (result.algorithm, result.group_count, result.outcome.value)
    rule = "AMOUNT_MANY_TO_MANY_GROUP"
    proposals = {}
    for p in paying:
        allocations = tuple(per_payment[p.payment_id])
        summary = (
            f"{len(paying)} payments together settle {ids}: the only best many-to-many group of "
            f"{len(payments)} unmatched payments and {len(invoices)} open invoices."
        )
        candidate = m.MatchCandidate(
            tuple(i.invoice_id for i in chosen), allocations, group.residual_minor, 90, rule
        )
        explanation = m.Explanation(summary, identified_by, (candidate,), None, rule, *solved)
        rest = sum(a.amount_minor for a in allocations) < p.unapplied_minor
        proposals[p.payment_id] = Proposal(
            p.payment_id,
            chosen[0].customer_id,
            m.DecisionOutcome.AUTO_APPLIED,
            rule,
            explanation,
            allocations,
            rest,
        )
    return proposals


def _waterfall(
    payments: Sequence[m.Payment], targets: Sequence[m.Allocation]
) -> dict[str, list[m.Allocation]]:
    """Pours the payments' cash into the targets in order. An invoice's discount, write-off and
    deduction travel with its first piece; a payment's allocations to one invoice stay one row."""
    out: dict[str, list[m.Allocation]] = {p.payment_id: [] for p in payments}
    remaining = {p.payment_id: p.unapplied_minor for p in payments}
    order = [p.payment_id for p in payments]
    for target in targets:
        need = target.amount_minor
        extras = (target.discount_minor, target.write_off_minor, target.deduction_minor)
        for pid in order:
            take = min(need, remaining[pid])
            if take == 0 and (need > 0 or extras == (0, 0, 0)):
                continue
            remaining[pid] -= take
            need -= take
            out[pid].append(m.Allocation(target.invoice_id, take, *extras))
            extras = (0, 0, 0)
            if need == 0:
                break
        if need:
            raise AssertionError("the payments of a MATCHED group cover its invoices")
    return out
