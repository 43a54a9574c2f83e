"""What every way of deciding shares: the proposal, the facts about one payment, and the small
helpers that turn an explanation into allocations.

AUTO_APPLIED only when one explanation is clearly best; every doubt becomes a SUGGESTED proposal
(the exception queue, with its reason and ranked suggestions); no explanation leaves the cash
UNMATCHED with its reason. The ways of deciding live beside this module: by_reference (the
remittance names invoices), by_amount (the exact subset search), groups (split payments) and
duplicates (money that may have come twice).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from engine import model as m
from engine.money import Money

# Limits of the amount search, with their units.
MAX_ITEMS_PER_PAYMENT = 5  # invoices the k-sum search may combine for one payment
MAX_ITEMS_ANY_SIZE = 8  # invoices a unique subset found by the all-sizes count may have
MAX_CANDIDATE_INVOICES = 1000  # oldest open invoices of the customer given to the solver
MAX_SUGGESTIONS = 5
MAX_PAYMENTS_PER_BUNDLE = 3  # payments one many-to-many group may combine
MAX_BUNDLE_PAYMENTS = 12  # unexplained payments of one customer searched together (C(12, <=3) sets)
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
    """What is known about one payment of an identified customer when it is decided."""

    payment: m.Payment
    customer_id: str
    identified_by: str
    open_invoices: Sequence[m.Invoice]  # the customer's, in the payment's currency, oldest due first
    reference_scores: dict[str, int]  # invoice_id -> best reference score, for open invoices here
    write_off_minor: int  # how short a payment may be and still settle (a bank fee)
    matching_minor: int  # how far a subset sum may miss the payment in the amount search


def allocation(inv: m.Invoice, use_discount: bool, value_date: object) -> m.Allocation:
    discounted = inv.discounted_minor(value_date) if use_discount else None  # type: ignore[arg-type]
    if discounted is None:
        return m.Allocation(inv.invoice_id, inv.open_minor)
    return m.Allocation(inv.invoice_id, discounted, discount_minor=inv.open_minor - discounted)


def absorb_shortfall(
    allocs: Sequence[m.Allocation], shortfall: int, *, write_off: bool
) -> list[m.Allocation]:
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


def money_text(payment: m.Payment, amount: int) -> str:
    return Money(amount, payment.currency).format()


def auto(
    facts: Facts,
    rule: str,
    summary: str,
    allocs: Sequence[m.Allocation],
    *,
    rest: bool = False,
    score: int = 100,
    solved: tuple[str, int, str] = ("", 0, ""),
) -> Proposal:
    """An auto-application of `allocs`, explained by `summary` and won by `rule`."""
    cash = sum(a.amount_minor for a in allocs)
    cand = m.MatchCandidate(
        tuple(a.invoice_id for a in allocs), tuple(allocs), facts.payment.unapplied_minor - cash, score, rule
    )
    explanation = m.Explanation(summary, facts.identified_by, (cand,), None, rule, *solved)
    return Proposal(
        facts.payment.payment_id,
        facts.customer_id,
        m.DecisionOutcome.AUTO_APPLIED,
        rule,
        explanation,
        tuple(allocs),
        on_account_rest=rest,
    )


def doubt(
    payment: m.Payment,
    customer_id: str | None,
    identified_by: str,
    reason: str,
    summary: str,
    candidates: Sequence[m.MatchCandidate] = (),
    solved: tuple[str, int, str] = ("", 0, ""),
) -> Proposal:
    """A question for a person: the exception queue, with the reason and ranked suggestions."""
    ranked = tuple(candidates[:MAX_SUGGESTIONS])
    runner = ranked[1] if len(ranked) > 1 else None
    explanation = m.Explanation(summary, identified_by, ranked, runner, reason, *solved)
    return Proposal(payment.payment_id, customer_id, m.DecisionOutcome.SUGGESTED, reason, explanation)


def unmatched(
    payment: m.Payment,
    customer_id: str | None,
    identified_by: str,
    reason: str,
    summary: str,
    solved: tuple[str, int, str] = ("", 0, ""),
) -> Proposal:
    """No explanation at all: the cash stays unapplied, with the reason."""
    explanation = m.Explanation(summary, identified_by, (), None, reason, *solved)
    return Proposal(payment.payment_id, customer_id, m.DecisionOutcome.UNMATCHED, reason, explanation)


def suggestion(
    invoices: Sequence[m.Invoice], allocs: Sequence[m.Allocation], paid_minor: int, score: int, rule: str
) -> m.MatchCandidate:
    cash = sum(a.amount_minor for a in allocs)
    return m.MatchCandidate(
        tuple(i.invoice_id for i in invoices), tuple(allocs), paid_minor - cash, score, rule
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
