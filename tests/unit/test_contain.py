"""An unexpected error while deciding a batch is contained to the payment it touches: the rest
of the batch is decided as usual (engine.matching.contain)."""

from __future__ import annotations

from collections.abc import Sequence

from engine import model as m
from engine.matching.contain import decide_contained
from engine.matching.decide import Proposal
from engine.matching.pipeline import _refuse_conflicts

Case = tuple[str, str, str]  # payment_id, customer_id, the invoice its decision applies to


def _auto(case: Case) -> Proposal:
    pid, cid, invoice_id = case
    explanation = m.Explanation(f"{pid} pays {invoice_id}", "REQUEST")
    return Proposal(
        pid, cid, m.DecisionOutcome.AUTO_APPLIED, "RULE", explanation, (m.Allocation(invoice_id, 100),)
    )


def _failed(case: Case, error: Exception) -> Proposal:
    explanation = m.Explanation(f"failed: {error}", "REQUEST")
    return Proposal(case[0], case[1], m.DecisionOutcome.SUGGESTED, "DECISION_FAILED", explanation)


class Decider:
    """Decides each case as _auto does, and raises whenever a run holds the bad payment."""

    def __init__(self, bad: str) -> None:
        self.bad = bad
        self.runs: list[list[str]] = []

    def __call__(self, cases: Sequence[Case]) -> dict[str, Proposal]:
        self.runs.append([c[0] for c in cases])
        if any(c[0] == self.bad for c in cases):
            raise OverflowError("date value out of range")
        return {c[0]: _auto(c) for c in cases}


def _decide(decider: Decider, cases: list[Case]) -> dict[str, Proposal]:
    return decide_contained(
        decider, cases, customer_of=lambda c: c[1], failed=_failed, refuse_conflicts=_refuse_conflicts
    )


def test_a_failing_payment_becomes_its_own_exception_and_the_others_are_decided() -> None:
    cases = [("P1", "C1", "I1"), ("BAD", "C1", "I2"), ("P3", "C1", "I3"), ("P4", "C2", "I4")]
    decider = Decider("BAD")
    proposals = _decide(decider, cases)
    assert proposals["BAD"].reason == "DECISION_FAILED"
    assert proposals["BAD"].outcome is m.DecisionOutcome.SUGGESTED
    assert {pid: p.outcome for pid, p in proposals.items() if pid != "BAD"} == dict.fromkeys(
        ["P1", "P3", "P4"], m.DecisionOutcome.AUTO_APPLIED
    )
    # The other customer is decided in one run of its own, never payment by payment.
    assert ["P4"] in decider.runs and ["P1", "BAD", "P3"] in decider.runs


def test_a_batch_without_errors_is_decided_in_one_run() -> None:
    decider = Decider("NONE")
    proposals = _decide(decider, [("P1", "C1", "I1"), ("P2", "C2", "I2")])
    assert decider.runs == [["P1", "P2"]] and len(proposals) == 2


def test_payments_decided_alone_never_both_auto_apply_one_invoice() -> None:
    cases = [("P1", "C1", "I1"), ("BAD", "C1", "I2"), ("P3", "C1", "I1")]
    proposals = _decide(Decider("BAD"), cases)
    assert proposals["P1"].outcome is m.DecisionOutcome.SUGGESTED
    assert proposals["P3"].outcome is m.DecisionOutcome.SUGGESTED
    assert proposals["P1"].reason == proposals["P3"].reason == "CONFLICTING_PAYMENTS"


def test_a_failing_partner_gets_no_proposal() -> None:
    proposals = decide_contained(
        Decider("PARTNER"),
        [("P1", "C1", "I1"), ("PARTNER", "C1", "I2")],
        customer_of=lambda c: c[1],
        failed=lambda c, e: None,
        refuse_conflicts=_refuse_conflicts,
    )
    assert list(proposals) == ["P1"]
