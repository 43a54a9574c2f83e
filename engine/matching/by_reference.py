"""Deciding a payment whose remittance names open invoices of its customer.

Evidence ranks: the named invoices with the exact amount (or the amount less a discount under any
convention the payer may use) beat the named invoices within the write-off tolerance, which beat
a short or over payment of them. A reference that is only near (one digit dropped, doubled or
swapped, or the number cut at the end of a 140-character text) counts only when the amount
confirms it exactly; and when a near reading explains the amount exactly while the named
invoices do not, the payment is a question for a person, never a deduction.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine import model as m
from engine.matching import discounts, solver
from engine.matching.by_amount import candidate, items_of
from engine.matching.decide import (
    MAX_ITEMS_ANY_SIZE,
    Facts,
    Proposal,
    absorb_shortfall,
    allocation,
    auto,
    doubt,
    money_text,
    suggestion,
)
from engine.matching.references import CUT_TEXT_LENGTH, SCORE_EXACT, reference_key


def _settling(invoices: Sequence[m.Invoice], facts: Facts) -> tuple[list[m.Allocation], str] | None:
    """Allocations that settle the invoices exactly with the payment, full or discounted, and the
    convention's name; None when the amount does not settle them exactly."""
    paid = facts.payment.unapplied_minor
    if paid == sum(i.open_minor for i in invoices):
        return [allocation(i, False, facts.payment.value_date) for i in invoices], ""
    convention = discounts.matching_convention(invoices, facts.payment.value_date, paid)
    if convention is None:
        return None
    return discounts.allocations(invoices, convention), convention.convention


def _near_readings(
    facts: Facts, named: Sequence[m.Invoice], near: Sequence[m.Invoice]
) -> list[tuple[list[m.Invoice], list[m.Allocation], str]]:
    """Each way of adding one near-referenced invoice to the named ones that the amount settles
    exactly."""
    out = []
    for inv in near:
        if inv in named:
            continue
        found = _settling([*named, inv], facts)
        if found is not None:
            out.append(([*named, inv], *found))
    return out


def _discount_text(convention: str) -> str:
    return f" (discount computed {convention.lower().replace('_', ' ')})" if convention else ""


def decide(
    facts: Facts,
    named: Sequence[m.Invoice],
    near: Sequence[m.Invoice],
    neighbours: Sequence[m.Invoice],
    cut_key: str | None = None,
) -> Proposal | None:
    """The proposal for a payment naming `named` (exact or normalized hits, open, of the
    customer), given the invoices that its unmatched tokens nearly name (`near`) and the near
    neighbours of all its tokens (`neighbours`, a typo may land on another real invoice number),
    and what is left of a number the bank cut off the end of the text (`cut_key`). None when
    nothing is named and no near reading is confirmed: the amount search decides."""
    pay = facts.payment
    paid = pay.unapplied_minor
    ids = ", ".join(i.invoice_id for i in named)
    if named:
        settled = _settling(named, facts)
        if settled is not None:
            allocs, convention = settled
            rule = "REFERENCE_WITH_DISCOUNT" if convention else "REFERENCE_EXACT_AMOUNT"
            how = "is their total less the early-payment discount" if convention else "settles them exactly"
            return auto(
                facts,
                rule,
                f"Remittance names {ids}; {money_text(pay, paid)} {how}{_discount_text(convention)}.",
                allocs,
            )
    readings = _near_readings(facts, named, near)
    if len(readings) == 1:
        invoices, allocs, convention = readings[0]
        added = invoices[-1].invoice_id
        return auto(
            facts,
            "REFERENCE_NEAR_EXACT_AMOUNT",
            f"Remittance {'names ' + ids + ' and ' if named else ''}nearly names {added} (a digit "
            f"dropped, doubled or swapped, or the number cut); {money_text(pay, paid)} settles "
            f"{', '.join(i.invoice_id for i in invoices)} exactly{_discount_text(convention)}.",
            allocs,
            score=90,
        )
    if len(readings) > 1:
        return doubt(
            pay,
            facts.customer_id,
            facts.identified_by,
            "REFERENCE_AMBIGUOUS",
            f"Several near readings of the remittance settle {money_text(pay, paid)} exactly; "
            "a person must choose.",
            [suggestion(inv, allocs, paid, 70, "REFERENCE_NEAR_EXACT_AMOUNT") for inv, allocs, _ in readings],
        )
    if not named:
        return None
    return _disagreeing(facts, named, neighbours, cut_key)


def _disagreeing(
    facts: Facts, named: Sequence[m.Invoice], neighbours: Sequence[m.Invoice], cut_key: str | None
) -> Proposal:
    """The named invoices and the amount disagree: a bank fee, a short or an over payment, or a
    typo that named the wrong invoice."""
    pay = facts.payment
    paid = pay.unapplied_minor
    ids = ", ".join(i.invoice_id for i in named)
    full = [allocation(i, False, pay.value_date) for i in named]
    shortfall = sum(i.open_minor for i in named) - paid
    if 0 < shortfall <= facts.write_off_minor:
        return auto(
            facts,
            "REFERENCE_WITHIN_TOLERANCE",
            f"Remittance names {ids}; the {money_text(pay, shortfall)} short is within the write-off "
            "tolerance and written off.",
            absorb_shortfall(full, shortfall, write_off=True),
        )
    alternatives = [inv for inv in neighbours if inv not in named and _settling([inv], facts) is not None]
    exact_refs = all(facts.reference_scores.get(i.invoice_id, 0) >= SCORE_EXACT for i in named)
    if alternatives or not exact_refs:
        why = (
            f"{', '.join(i.invoice_id for i in alternatives)}, one digit away from a reference, "
            f"matches {money_text(pay, paid)} exactly while {ids} does not"
            if alternatives
            else f"the reference to {ids} is not exact and its amount disagrees with {money_text(pay, paid)}"
        )
        named_candidate = suggestion(named, full, paid, 60, "REFERENCE_AMOUNT_DISAGREES")
        others = [
            suggestion(
                [inv], [allocation(inv, False, pay.value_date)], paid, 70, "REFERENCE_NEAR_EXACT_AMOUNT"
            )
            for inv in alternatives
        ]
        return doubt(
            pay,
            facts.customer_id,
            facts.identified_by,
            "REFERENCE_AMOUNT_DISAGREES",
            f"Remittance names {ids}, but {why}; a person must decide.",
            [*others, named_candidate],
        )
    if shortfall < 0 and len(pay.remittance_info) >= CUT_TEXT_LENGTH:
        return _cut_remainder(facts, named, -shortfall, cut_key)
    if shortfall < 0:
        return auto(
            facts,
            "REFERENCE_OVERPAYMENT_ON_ACCOUNT",
            f"Remittance names {ids}; the excess {money_text(pay, -shortfall)} stays as on-account credit.",
            full,
            rest=True,
        )
    return auto(
        facts,
        "REFERENCE_SHORT_PAY_DEDUCTION",
        f"Remittance names {ids}; {money_text(pay, paid)} is {money_text(pay, shortfall)} short, beyond "
        "the write-off tolerance: the shortfall is recorded as a deduction.",
        absorb_shortfall(full, shortfall, write_off=False),
    )


def _cut_remainder(facts: Facts, named: Sequence[m.Invoice], remainder: int, cut_key: str | None) -> Proposal:
    """The bank cut the remittance at 140 characters and the payment exceeds what it still names:
    the cut references explain the rest. Applied only when exactly one set of the other open
    invoices (of any size, at most MAX_ITEMS_ANY_SIZE) makes the remainder exactly and, when the
    bank left the start of the cut number, one of them begins with it. Otherwise the named
    invoices are paid (the references to them are whole) and the rest stays on account, as with
    any overpayment: no cent goes to an invoice that nothing names."""
    pay = facts.payment
    others = [i for i in facts.open_invoices if i not in named]
    ids = ", ".join(i.invoice_id for i in named)
    if others:
        count = solver.count_subsets(items_of(others, pay.value_date), remainder, 0)
        if (
            count.outcome is solver.CountOutcome.ONE
            and count.witness_available
            and count.residual_minor == 0
            and len(count.item_indices) <= MAX_ITEMS_ANY_SIZE
            and _starts_one(cut_key, [others[i] for i in count.item_indices])
        ):
            rest = candidate(
                others, count.item_indices, count.discounted, 0, facts, "REFERENCE_CUT_REMAINDER"
            )
            allocs = [allocation(i, False, pay.value_date) for i in named] + list(rest.allocations)
            return auto(
                facts,
                "REFERENCE_CUT_REMAINDER",
                f"Remittance, cut by the bank, names {ids}; the {money_text(pay, remainder)} beyond them "
                f"is exactly {', '.join(rest.invoice_ids)}, the only open invoices that make it.",
                allocs,
                score=85,
            )
    return auto(
        facts,
        "REFERENCE_TEXT_CUT_ON_ACCOUNT",
        f"Remittance, cut by the bank, names {ids}, which are paid; the {money_text(pay, remainder)} "
        "beyond them matches no single set of open invoices and stays as on-account credit for the "
        "customer to be asked which invoices the cut references named.",
        [allocation(i, False, pay.value_date) for i in named],
        rest=True,
        score=80,
    )


def _starts_one(cut_key: str | None, invoices: Sequence[m.Invoice]) -> bool:
    return cut_key is None or any(reference_key(i.invoice_id).startswith(cut_key) for i in invoices)
