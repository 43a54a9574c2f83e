"""Deduction reason codes -> categories (X12 426, camt Rsn words), and the advice decider
carrying the payer's code onto the deduction it records."""

from __future__ import annotations

import pytest

from engine import model as m
from engine.cases.case import Case, Kind, State
from engine.cases.categories import X12_426, Category, category_of, reason_of
from engine.matching import by_advice
from tests.unit.test_remittance_advice import _facts, _invoice


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("01", Category.PRICING),  # Pricing Error
        ("04", Category.DAMAGE),  # Item Not Accepted - Damaged
        ("11", Category.RETURNS),  # Returns - Damage
        ("24", Category.DISCOUNT),  # Incorrect Discount
        ("54", Category.FREIGHT),  # Freight Deducted
        ("55", Category.TAX),  # Tax Deducted
        ("56", Category.PROMOTION),  # Advertising Allowance Taken
        ("19", Category.BILLING_ERROR),  # Duplicate Billing
        ("59", Category.SHORTAGE),  # Item not received
        (" frt ", Category.FREIGHT),
        ("ZZ", Category.OTHER),
        ("", Category.OTHER),
    ],
)
def test_a_reason_code_names_its_category(code: str, category: Category) -> None:
    assert category_of(code) is category


def test_every_category_but_other_is_reachable_from_an_x12_code() -> None:
    assert set(X12_426.values()) == set(Category) - {Category.OTHER}


def test_the_reason_kept_is_the_first_that_names_a_category() -> None:
    assert reason_of(["ZZ", "55", "01"]) == "55"
    assert reason_of(["ZZ"]) == "ZZ"
    assert reason_of([]) == ""


def test_the_advice_decider_gives_the_deduction_the_payers_code() -> None:
    invoices = [_invoice("A-1", 10_000)]
    lines = (m.RemittanceLine("A-1", paid_minor=9_000, adjustments=(m.Adjustment(1_000, "54", "freight"),)),)
    proposal = by_advice.decide(_facts(9_000, lines, invoices), invoices)
    assert proposal is not None
    (alloc,) = proposal.allocations
    assert (alloc.deduction_minor, alloc.deduction_reason) == (1_000, "54")


def test_a_case_adds_up_only_when_its_parts_make_the_original() -> None:
    case = Case("D-x", Kind.DEDUCTION, State.OPEN, "OTHER", "", "C", "I", "EUR", 100, 60, credited_minor=40)
    assert case.adds_up()
    assert not Case(
        "D-y", Kind.DEDUCTION, State.OPEN, "OTHER", "", "C", "I", "EUR", 100, 70, credited_minor=40
    ).adds_up()
