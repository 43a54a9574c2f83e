"""Deciding a payment whose structured remittance says what it pays on each document: a camt
RfrdDocAmt, an EDI 820 RMR with its ADX adjustments, the RMR inside a NACHA CTX addenda.

The payer's own allocation is the best evidence there is, and it is taken only when it is whole
and consistent:
- every line names exactly one open invoice of the customer in the payment's currency (exactly or
  normalized, as every reference does: engine.matching.references), and no invoice twice;
- every line says what it pays, and the lines together pay exactly the payment.
Each line then settles its invoice the way the payer says: in full; less an early-payment discount
(any payer's rounding inside the terms' window: engine.matching.discounts); less a short pay within
the write-off tolerance (written off); or less a shortfall beyond it, recorded as a deduction for
research, with the payer's reason codes in the explanation (DESIGN section 6: "beyond -> partial
application + deduction with reason"). A discount taken outside the window is such a shortfall.

What this decider does not take, the reference rules decide from the same references without the
amounts (by_reference): an advice naming an unknown document, a credit note (the book has no open
document to net it against), a line paying more than its invoice's open amount, or lines that do
not add up to the payment (a bank fee taken in between, or an advice for another payment).
"""

from __future__ import annotations

from collections.abc import Sequence

from engine import model as m
from engine.cases.categories import reason_of
from engine.matching import discounts
from engine.matching.decide import Facts, Proposal, allocation, auto, doubt, money_text, suggestion
from engine.matching.references import reference_key

ADVICE_RULE = "REMITTANCE_ADVICE"
ADVICE_DISAGREES = "REMITTANCE_ADVICE_DISAGREES"
_PAYABLE_KINDS = ("INVOICE", "CREDITOR_REFERENCE")


def named_document(line: m.RemittanceLine) -> str:
    """The document number a line names; an RF creditor reference (checked by the reader) names
    its payload."""
    if line.kind == "CREDITOR_REFERENCE":
        return line.reference.replace(" ", "").upper()[4:]
    return line.reference


def _invoice_of(line: m.RemittanceLine, named: Sequence[m.Invoice]) -> m.Invoice | None:
    """The one named invoice a line names: by id, else by normalized key; None when none or
    several do."""
    ref = named_document(line)
    exact = [i for i in named if i.invoice_id == ref]
    if exact:
        return exact[0]
    key = reference_key(ref)
    keyed = [i for i in named if reference_key(i.invoice_id) == key]
    return keyed[0] if len(keyed) == 1 else None


def _paired(facts: Facts, named: Sequence[m.Invoice]) -> list[tuple[m.RemittanceLine, m.Invoice]] | None:
    """Each line with its invoice, when the advice is whole: every line payable, priced and named,
    no invoice twice, the lines adding up to the payment."""
    lines = facts.payment.remittance_lines
    if not lines or any(ln.kind not in _PAYABLE_KINDS or ln.paid_minor is None for ln in lines):
        return None
    pairs = [(ln, _invoice_of(ln, named)) for ln in lines]
    found = [(ln, inv) for ln, inv in pairs if inv is not None]
    if len(found) != len(lines) or len({inv.invoice_id for _, inv in found}) != len(found):
        return None
    if sum(ln.paid_minor or 0 for ln, _ in found) != facts.payment.unapplied_minor:
        return None
    return found


def _reasons(line: m.RemittanceLine) -> str:
    codes = [a.reason_code or a.text for a in line.adjustments if a.reason_code or a.text]
    return f" (payer's reason {', '.join(codes)})" if codes else " (no reason given)"


def _settle(
    line: m.RemittanceLine, inv: m.Invoice, facts: Facts, tolerance_left: int
) -> tuple[m.Allocation, str, int]:
    """The allocation of one line, what it says, and the write-off tolerance it used."""
    pay = facts.payment
    paid = line.paid_minor or 0
    if paid == inv.open_minor:
        return allocation(inv, False, pay.value_date), f"{inv.invoice_id} paid in full", 0
    convention = discounts.matching_convention([inv], pay.value_date, paid)
    if convention is not None:
        return (
            discounts.allocations([inv], convention)[0],
            f"{inv.invoice_id} paid {money_text(pay, paid)} less its early-payment discount",
            0,
        )
    short = inv.open_minor - paid
    if short <= tolerance_left and not line.adjustments:
        text = f"{inv.invoice_id} paid {money_text(pay, short)} short, within tolerance: written off"
        return m.Allocation(inv.invoice_id, paid, write_off_minor=short), text, short
    text = (
        f"{inv.invoice_id} paid {money_text(pay, paid)} of {money_text(pay, inv.open_minor)}: "
        f"{money_text(pay, short)} recorded as a deduction{_reasons(line)}"
    )
    reason = reason_of([a.reason_code or a.text for a in line.adjustments])
    return m.Allocation(inv.invoice_id, paid, deduction_minor=short, deduction_reason=reason), text, 0


def decide(facts: Facts, named: Sequence[m.Invoice]) -> Proposal | None:
    """The payer's allocation when its advice is whole and consistent (see the module
    docstring); a question for a person when a line pays more than its invoice is open; None when
    the advice cannot decide and the reference rules should."""
    pairs = _paired(facts, named)
    if pairs is None:
        return None
    pay = facts.payment
    over = [(ln, inv) for ln, inv in pairs if (ln.paid_minor or 0) > inv.open_minor]
    if over:
        ids = ", ".join(inv.invoice_id for _, inv in over)
        full = [allocation(inv, False, pay.value_date) for _, inv in pairs]
        candidate = suggestion([inv for _, inv in pairs], full, pay.unapplied_minor, 60, ADVICE_DISAGREES)
        summary = f"The remittance advice pays more on {ids} than is open; a person must decide."
        return doubt(pay, facts.customer_id, facts.identified_by, ADVICE_DISAGREES, summary, [candidate])
    allocs: list[m.Allocation] = []
    said: list[str] = []
    tolerance_left = facts.write_off_minor
    for line, inv in pairs:
        alloc, text, used = _settle(line, inv, facts, tolerance_left)
        tolerance_left -= used
        allocs.append(alloc)
        said.append(text)
    summary = f"The remittance advice allocates {money_text(pay, pay.unapplied_minor)}: {'; '.join(said)}."
    return auto(facts, ADVICE_RULE, summary, allocs)
