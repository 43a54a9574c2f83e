"""Money that may have come twice: a first-class doubt, never a licence to search elsewhere.

A remittance that names only invoices already paid (or some of them) is a possible duplicate of
the payments that paid them. A payment without a usable reference whose payer already paid the
same amount a few days before is one too: searching the open invoices for that amount would
likely find next month's invoice of the same size, which the payer has not paid yet. Either way a
person decides, with the earlier payment named; they keep the money on account or return it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from engine import model as m
from engine.matching.decide import Proposal, allocation, doubt, money_text, suggestion

REASON = "POSSIBLE_DUPLICATE"
# A payment of the same amount from the same payer this many days apart may be the same money.
DUPLICATE_WINDOW_DAYS = 14


def named_paid(
    payment: m.Payment,
    customer_id: str,
    identified_by: str,
    paid: Sequence[m.Invoice],
    still_open: Sequence[m.Invoice],
    earlier: Iterable[str],
) -> Proposal:
    """The remittance names invoices that are already settled (by `earlier` payments)."""
    earlier = sorted(set(earlier))
    by = f" by {', '.join(earlier)}" if earlier else ""
    paid_ids = ", ".join(i.invoice_id for i in paid)
    if still_open:
        open_ids = ", ".join(i.invoice_id for i in still_open)
        summary = (
            f"Remittance names {paid_ids}, already paid{by}, and {open_ids}, still open: possibly "
            "a duplicate payment; a person decides (apply to the open ones, keep on account, or return)."
        )
    else:
        summary = (
            f"Remittance names only {paid_ids}, already paid{by}: possibly a duplicate payment; keep "
            f"{money_text(payment, payment.unapplied_minor)} on account or return it."
        )
    candidates = []
    if still_open:
        allocs = [allocation(i, False, payment.value_date) for i in still_open]
        candidates.append(suggestion(still_open, allocs, payment.unapplied_minor, 50, "REFERENCE_OPEN_PART"))
    return doubt(payment, customer_id, identified_by, REASON, summary, candidates)


def claimed_in_run(
    payment: m.Payment, customer_id: str, identified_by: str, claimed: Sequence[m.Invoice], by: Iterable[str]
) -> Proposal:
    """Another payment of this run, decided first, settles invoices this one names."""
    return named_paid(payment, customer_id, identified_by, claimed, (), by)


def same_amount_before(payment: m.Payment, others: Iterable[m.Payment]) -> list[str]:
    """Payments of the same payer with the same amount within the window that already carry
    applications, or are being applied in this run (`others` holds what the caller knows)."""
    window = dt.timedelta(days=DUPLICATE_WINDOW_DAYS)
    return sorted(
        o.payment_id
        for o in others
        if o.payment_id != payment.payment_id
        and o.currency == payment.currency
        and o.amount_minor == payment.amount_minor
        and abs(o.value_date - payment.value_date) <= window
        and (not payment.payer_account or not o.payer_account or o.payer_account == payment.payer_account)
    )


def same_amount(payment: m.Payment, customer_id: str, identified_by: str, earlier: Sequence[str]) -> Proposal:
    summary = (
        f"No usable reference, and the payer already paid {money_text(payment, payment.amount_minor)} "
        f"within {DUPLICATE_WINDOW_DAYS} days ({', '.join(earlier)}): possibly a duplicate payment; "
        "a person decides (apply, keep on account, or return)."
    )
    return doubt(payment, customer_id, identified_by, REASON, summary)
