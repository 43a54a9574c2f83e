"""What an alert is: a kind, the resource it is about, its evidence, and whether a person has
acknowledged it."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class AlertKind(enum.Enum):
    # A payment from an account registered to one customer that pays another customer's invoices
    # (or is booked to another customer): a changed bank relationship, or someone else's money.
    PAYER_ACCOUNT_OF_OTHER_CUSTOMER = "PAYER_ACCOUNT_OF_OTHER_CUSTOMER"
    # A payment far larger than anything the customer paid before.
    AMOUNT_OUTSIDE_HISTORY = "AMOUNT_OUTSIDE_HISTORY"
    # Money that may have come twice (the decision policy's POSSIBLE_DUPLICATE doubt).
    POSSIBLE_DUPLICATE_PAYMENT = "POSSIBLE_DUPLICATE_PAYMENT"
    # A credit memo for more than its invoice still had open: the excess became on-account credit.
    CREDIT_MEMO_EXCEEDS_OPEN_AMOUNT = "CREDIT_MEMO_EXCEEDS_OPEN_AMOUNT"
    # A customer's payment terms changed while invoices issued under the old terms are open.
    TERMS_CHANGED_AFTER_INVOICING = "TERMS_CHANGED_AFTER_INVOICING"


@dataclass(frozen=True, slots=True)
class Alert:
    alert_id: str
    kind: AlertKind
    # What it is about: "payment", "invoice", "customer" and its id.
    subject_type: str
    subject_id: str
    customer_id: str | None
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)
    create_us: int = 0
    acknowledged_us: int | None = None
    acknowledged_by: str = ""
    note: str = ""

    @property
    def open(self) -> bool:
        return self.acknowledged_us is None
