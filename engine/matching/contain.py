"""One bad row never fails a whole AutoApply: an unexpected error while deciding a batch is
contained to the payments it touches.

Deciding is pure (the snapshot is loaded before it starts), so a failed run can be repeated on
parts of the batch. Customers are decided independently of each other (DESIGN.md section 10),
so the batch is first split by customer; within a customer whose run fails, each payment is
decided alone, and the one whose decision still fails becomes an exception for a person (the
error is logged); its neighbours proceed. Payments decided alone never saw each other, so two
of them that would settle the same invoice are sent to a person too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from engine.matching.decide import Proposal

log = logging.getLogger(__name__)
C = TypeVar("C")
Decide = Callable[[Sequence[C]], dict[str, Proposal]]


def decide_contained(
    decide: Decide[C],
    cases: Sequence[C],
    *,
    customer_of: Callable[[C], str],
    failed: Callable[[C, Exception], Proposal | None],
    refuse_conflicts: Callable[[dict[str, Proposal]], dict[str, Proposal]],
) -> dict[str, Proposal]:
    """`decide(cases)`; if it raises, the same decision per customer, then per payment.

    `failed(case, error)` is the proposal for a payment whose own decision raised (None for one
    that must not be decided here); `refuse_conflicts` turns two auto-applications of one
    invoice into questions for a person."""
    try:
        return decide(cases)
    except Exception as error:  # a bug or a corrupt row, never bad input: contain it
        if len(cases) == 1:
            log.error("deciding a payment failed; it goes to the exception queue", exc_info=error)
            proposal = failed(cases[0], error)
            return {} if proposal is None else {proposal.payment_id: proposal}
    by_customer: dict[str, list[C]] = {}
    for case in cases:
        by_customer.setdefault(customer_of(case), []).append(case)
    parts = list(by_customer.values()) if len(by_customer) > 1 else [[case] for case in cases]
    out: dict[str, Proposal] = {}
    for part in parts:
        out.update(
            decide_contained(
                decide, part, customer_of=customer_of, failed=failed, refuse_conflicts=refuse_conflicts
            )
        )
    if len(by_customer) == 1:
        out.update(refuse_conflicts(out))
    return out
