"""Deciding a payment by its amount alone: the exact subset search over its customer's open
invoices, and the proof that the answer is the only one.

The k-sum search looks at sets of up to MAX_ITEMS_PER_PAYMENT invoices and ranks them. A set it
calls unique is unique only among sets that small, so before anything is applied the counting DP
counts the explanations of EVERY size; only an explanation that is the one and only one (and has
at most MAX_ITEMS_ANY_SIZE invoices) is auto-applied. The same count finds the unique sets of six
to eight invoices the k-sum search cannot reach.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from engine import model as m
from engine.matching import solver
from engine.matching.decide import (
    MAX_CANDIDATE_INVOICES,
    MAX_ITEMS_ANY_SIZE,
    MAX_ITEMS_PER_PAYMENT,
    MAX_SUGGESTIONS,
    SOLVER_NODE_BUDGET,
    Facts,
    Proposal,
    absorb_shortfall,
    allocation,
    auto,
    doubt,
    money_text,
    unmatched,
)
from engine.telemetry import solve_duration, tracer

RULE_UNIQUE = "AMOUNT_UNIQUE_SUBSET"


def candidate(
    invoices: Sequence[m.Invoice],
    indices: Sequence[int],
    discounted: Sequence[bool],
    residual_minor: int,
    facts: Facts,
    rule: str,
) -> m.MatchCandidate:
    chosen = [invoices[i] for i in indices]
    allocs = [allocation(inv, d, facts.payment.value_date) for inv, d in zip(chosen, discounted, strict=True)]
    if residual_minor < 0:
        allocs = absorb_shortfall(allocs, -residual_minor, write_off=True)
    score = 50 + (30 if residual_minor == 0 else 10) - 2 * (len(chosen) - 1)
    return m.MatchCandidate(
        tuple(inv.invoice_id for inv in chosen), tuple(allocs), residual_minor, max(1, min(100, score)), rule
    )


def items_of(invoices: Sequence[m.Invoice], value_date: object) -> list[solver.OpenItem]:
    return [
        solver.OpenItem(inv.open_minor, inv.discounted_minor(value_date), inv.due_date.toordinal(), 0)  # type: ignore[arg-type]
        for inv in invoices
    ]


def decide_group(group: Sequence[Facts], invoices: Sequence[m.Invoice]) -> list[Proposal]:
    """Proposals for payments of one customer, currency and value date (the same items), in order."""
    invoices = list(invoices[:MAX_CANDIDATE_INVOICES])
    if not invoices:
        return [
            unmatched(
                f.payment,
                f.customer_id,
                f.identified_by,
                "NO_AMOUNT_MATCH",
                "Every open invoice of the customer is claimed by a payment that names it.",
            )
            for f in group
        ]
    items = items_of(invoices, group[0].payment.value_date)
    solutions, counts = _search(group, items)
    return [
        _proposal(f, invoices, solution, count)
        for f, solution, count in zip(group, solutions, counts, strict=True)
    ]


def _search(
    group: Sequence[Facts], items: list[solver.OpenItem]
) -> tuple[tuple[solver.Solution, ...], Sequence[solver.SubsetCount]]:
    """The k-sum search and the all-sizes count for every payment of the group, traced and timed."""
    payments = [f.payment.unapplied_minor for f in group]
    limits = solver.Limits(
        max_items=MAX_ITEMS_PER_PAYMENT,
        tolerance_minor=group[0].matching_minor,
        node_budget=SOLVER_NODE_BUDGET,
        max_candidates=MAX_SUGGESTIONS,
    )
    with tracer.start_as_current_span("match.solve") as span:
        started = time.perf_counter()
        solutions = solver.solve_one_to_many_multi(items, payments, limits)
        counts = solver.count_subsets_multi(items, payments, group[0].matching_minor)
        elapsed_ms = (time.perf_counter() - started) * 1000
        for s in solutions:
            solve_duration.record(elapsed_ms / len(solutions), {"algorithm": s.algorithm})
        span.set_attributes(
            {
                "cashapp.payments": len(group),
                "cashapp.candidate_invoices": len(items),
                "cashapp.solver.algorithm": solutions[0].algorithm,
                "cashapp.solver.outcome": solutions[0].outcome.value if len(solutions) == 1 else "MANY",
                "cashapp.solver.candidates": sum(s.candidate_count for s in solutions),
            }
        )
    return solutions, counts


def _proposal(
    facts: Facts, invoices: Sequence[m.Invoice], result: solver.Solution, count: solver.SubsetCount
) -> Proposal:
    """What the k-sum verdict and the all-sizes count together mean for one payment."""
    pay = facts.payment
    paid = money_text(pay, pay.unapplied_minor)
    solved = (result.algorithm, result.candidate_count, result.outcome.value)
    candidates = [
        candidate(invoices, c.item_indices, c.discounted, c.residual_minor, facts, "AMOUNT_SUBSET")
        for c in result.candidates
    ]
    one = count.outcome is solver.CountOutcome.ONE
    best = None
    if (
        one
        and count.witness_available
        and count.residual_minor is not None
        and len(count.item_indices) <= MAX_ITEMS_ANY_SIZE
    ):
        best = candidate(
            invoices, count.item_indices, count.discounted, count.residual_minor, facts, RULE_UNIQUE
        )
    elif one and result.outcome is solver.Outcome.MATCHED:
        best = candidates[0]  # the count proves the k-sum search's unique set is the only one
    if best is not None:
        summary = (
            f"Applied {paid} to {', '.join(best.invoice_ids)}: the only combination of any size of "
            f"the {len(invoices)} open invoices that makes this amount (residual "
            f"{money_text(pay, best.residual_minor)})."
        )
        return auto(
            facts, RULE_UNIQUE, summary, best.allocations, rest=best.residual_minor > 0, score=best.score,
            solved=solved,
        )  # fmt: skip
    if count.outcome is solver.CountOutcome.NONE or (
        not candidates and count.outcome is solver.CountOutcome.TOO_LARGE
    ):
        return unmatched(
            pay,
            facts.customer_id,
            facts.identified_by,
            "NO_AMOUNT_MATCH",
            f"No combination of the customer's open invoices sums to {paid}.",
            solved,
        )
    if count.outcome is solver.CountOutcome.TOO_LARGE:
        reason, why = "UNIQUENESS_UNPROVEN", "the amount is too large to count every combination"
    elif result.outcome is solver.Outcome.BUDGET_EXHAUSTED:
        reason, why = "SOLVER_BUDGET_EXHAUSTED", "the search stopped at its budget"
    elif result.outcome is solver.Outcome.MEMORY_LIMIT:
        reason, why = "SOLVER_MEMORY_LIMIT", "the search stopped at its memory limit"
    elif one:
        reason, why = (
            "UNIQUE_SUBSET_TOO_LARGE",
            f"the only combination has more than {MAX_ITEMS_ANY_SIZE} invoices",
        )
    else:
        reason, why = "AMBIGUOUS_AMOUNT_MATCH", "several combinations of open invoices make this amount"
    return doubt(
        pay, facts.customer_id, facts.identified_by, reason, f"{paid}: {why}; a person must choose.",
        candidates, solved,
    )  # fmt: skip
