"""The payer's own allocation (structured remittance with amounts): taken whole or not at all."""

from __future__ import annotations

import datetime as dt

from engine import model as m
from engine.matching import by_advice
from engine.matching.decide import Facts

ISSUE = dt.date(2026, 11, 1)
TERMS = m.PaymentTerms(net_days=30, discount_days=10, discount_basis_points=200)
PLAIN = m.PaymentTerms(net_days=30)


def _invoice(invoice_id: str, amount: int, terms: m.PaymentTerms = PLAIN) -> m.Invoice:
    return m.Invoice(invoice_id, "C1", "USD", amount, amount, ISSUE, ISSUE + dt.timedelta(days=30), terms)


def _facts(
    amount: int,
    lines: tuple[m.RemittanceLine, ...],
    invoices: list[m.Invoice],
    *,
    days: int = 20,
    tolerance: int = 0,
) -> Facts:
    payment = m.Payment(
        "P1", "USD", amount, amount, 0, ISSUE + dt.timedelta(days=days), "C1", remittance_lines=lines
    )
    return Facts(
        payment, "C1", "PAYER_ACCOUNT", invoices, {i.invoice_id: 100 for i in invoices}, tolerance, 0
    )


def _allocs(facts: Facts, named: list[m.Invoice]) -> dict[str, m.Allocation]:
    proposal = by_advice.decide(facts, named)
    assert proposal is not None and proposal.outcome is m.DecisionOutcome.AUTO_APPLIED
    assert proposal.reason == by_advice.ADVICE_RULE
    return {a.invoice_id: a for a in proposal.allocations}


def test_each_line_settles_its_invoice_as_the_payer_says() -> None:
    invoices = [_invoice("INV-1", 100_000), _invoice("INV-2", 50_000), _invoice("INV-3", 70_000)]
    lines = (m.RemittanceLine("INV-1", paid_minor=100_000), m.RemittanceLine("inv 2", paid_minor=20_000))
    allocs = _allocs(_facts(120_000, lines, invoices), invoices)
    # INV-2 is paid 200.00 of 500.00 with no reason: the rest is a deduction to research, and
    # INV-3, which no line names, is not touched although 700.00 would have fit by amount.
    assert allocs == {
        "INV-1": m.Allocation("INV-1", 100_000),
        "INV-2": m.Allocation("INV-2", 20_000, deduction_minor=30_000),
    }


def test_adjustments_become_deductions_with_the_payers_reason_in_the_explanation() -> None:
    invoices = [_invoice("A-1", 10_000), _invoice("A-2", 5_000)]
    lines = (
        m.RemittanceLine("A-1", paid_minor=9_000, adjustments=(m.Adjustment(1_000, "01", "pricing"),)),
        m.RemittanceLine("A-2", paid_minor=5_000),
    )
    facts = _facts(14_000, lines, invoices)
    proposal = by_advice.decide(facts, invoices)
    assert proposal is not None
    assert {a.invoice_id: a.deduction_minor for a in proposal.allocations} == {"A-1": 1_000, "A-2": 0}
    assert "reason 01" in proposal.explanation.summary


def test_a_discount_inside_the_window_is_a_discount_outside_it_a_deduction() -> None:
    inv = _invoice("D-1", 10_000, TERMS)
    line = (m.RemittanceLine("D-1", paid_minor=9_800, discount_minor=200),)
    inside = _allocs(_facts(9_800, line, [inv], days=5), [inv])
    assert inside["D-1"] == m.Allocation("D-1", 9_800, discount_minor=200)
    late = _allocs(_facts(9_800, line, [inv], days=25), [inv])
    assert late["D-1"] == m.Allocation("D-1", 9_800, deduction_minor=200)


def test_a_small_short_pay_is_written_off_within_the_tolerance() -> None:
    inv = _invoice("F-1", 10_000)
    allocs = _allocs(_facts(9_990, (m.RemittanceLine("F-1", paid_minor=9_990),), [inv], tolerance=25), [inv])
    assert allocs["F-1"] == m.Allocation("F-1", 9_990, write_off_minor=10)


def test_a_creditor_reference_names_its_payload() -> None:
    inv = _invoice("5390", 4_000)
    line = m.RemittanceLine("RF18 5390", paid_minor=4_000, kind="CREDITOR_REFERENCE")
    assert by_advice.named_document(line) == "5390"
    assert _allocs(_facts(4_000, (line,), [inv]), [inv])["5390"].amount_minor == 4_000


def test_an_advice_that_is_not_whole_leaves_the_decision_to_the_reference_rules() -> None:
    invoices = [_invoice("B-1", 10_000), _invoice("B-2", 5_000)]
    cases = {
        "lines do not add up to the payment": (
            15_000,
            (m.RemittanceLine("B-1", paid_minor=10_000), m.RemittanceLine("B-2", paid_minor=4_000)),
        ),
        "a line without an amount": (
            15_000,
            (m.RemittanceLine("B-1", paid_minor=10_000), m.RemittanceLine("B-2")),
        ),
        "an unknown document": (
            15_000,
            (m.RemittanceLine("B-1", paid_minor=10_000), m.RemittanceLine("Z-9", paid_minor=5_000)),
        ),
        "one invoice named twice": (
            10_000,
            (m.RemittanceLine("B-1", paid_minor=5_000), m.RemittanceLine("b1", paid_minor=5_000)),
        ),
        "a credit note": (
            5_000,
            (
                m.RemittanceLine("B-1", paid_minor=10_000),
                m.RemittanceLine("CN-1", paid_minor=-5_000, kind="CREDIT_NOTE"),
            ),
        ),
        "no lines": (15_000, ()),
    }
    for why, (amount, lines) in cases.items():
        assert by_advice.decide(_facts(amount, lines, invoices), invoices) is None, why


def test_a_line_paying_more_than_is_open_is_a_question_for_a_person() -> None:
    invoices = [_invoice("O-1", 10_000), _invoice("O-2", 5_000)]
    lines = (m.RemittanceLine("O-1", paid_minor=12_000), m.RemittanceLine("O-2", paid_minor=3_000))
    proposal = by_advice.decide(_facts(15_000, lines, invoices), invoices)
    assert proposal is not None and proposal.outcome is m.DecisionOutcome.SUGGESTED
    assert proposal.reason == by_advice.ADVICE_DISAGREES
