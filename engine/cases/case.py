"""A case: money a customer withheld (a deduction) or contests (a dispute), researched until it is
credited, written off, collected, re-billed or cancelled. Its amounts always add up to the
original: open + credited + written off + re-billed + collected + cancelled."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Kind(enum.Enum):
    # A short pay beyond tolerance: the money sits in DEDUCTIONS until the case settles it.
    DEDUCTION = "DEDUCTION"
    # A clerk's dispute on an invoice: the money stays in AR, flagged (kept out of amount matching).
    DISPUTE = "DISPUTE"


class State(enum.Enum):
    OPEN = "OPEN"
    IN_RESEARCH = "IN_RESEARCH"
    AWAITING_CUSTOMER = "AWAITING_CUSTOMER"
    VALIDATED = "VALIDATED"
    INVALIDATED = "INVALIDATED"
    CANCELLED = "CANCELLED"


FINAL_STATES = frozenset({State.VALIDATED, State.INVALIDATED, State.CANCELLED})


class Resolution(enum.Enum):
    """How money leaves a case, and the state it leads to."""

    CREDIT_MEMO = "CREDIT_MEMO"  # VALIDATED: the customer was right; a credit memo
    WRITE_OFF = "WRITE_OFF"  # VALIDATED: not worth chasing, under the write-off limit
    COLLECT = "COLLECT"  # INVALIDATED: the amount is owed on the invoice again
    REBILL = "REBILL"  # INVALIDATED: the amount is owed on a new invoice

    @property
    def target(self) -> State:
        return (
            State.VALIDATED if self in (Resolution.CREDIT_MEMO, Resolution.WRITE_OFF) else State.INVALIDATED
        )


@dataclass(frozen=True, slots=True)
class Pending:
    """A resolution above the requester's approval limit, waiting for a second person."""

    resolution: Resolution
    amount_minor: int
    rebill_invoice_id: str
    requested_by: str
    note: str


@dataclass(frozen=True, slots=True)
class Event:
    """One line of a case's append-only history: who did what, why, and the entry it posted."""

    seq: int
    action: str  # OPENED | TRANSITIONED | RESOLVED | APPROVAL_REQUESTED | APPROVED | REJECTED
    from_state: str
    to_state: str
    actor: str
    note: str
    resolution: str = ""
    amount_minor: int = 0
    entry_id: str = ""
    create_us: int = 0


@dataclass(frozen=True, slots=True)
class Case:
    case_id: str
    kind: Kind
    state: State
    category: str
    reason_code: str
    customer_id: str
    invoice_id: str
    currency: str
    original_minor: int
    open_minor: int
    payment_id: str = ""
    application_id: str = ""
    credited_minor: int = 0
    written_off_minor: int = 0
    rebilled_minor: int = 0
    # The "paid": invalidated amounts the customer owes again on the original invoice.
    collected_minor: int = 0
    cancelled_minor: int = 0
    pending: Pending | None = None
    create_us: int = 0
    update_us: int = 0
    events: tuple[Event, ...] = ()

    @property
    def settled_minor(self) -> int:
        return (
            self.credited_minor
            + self.written_off_minor
            + self.rebilled_minor
            + self.collected_minor
            + self.cancelled_minor
        )

    def adds_up(self) -> bool:
        parts = (
            self.open_minor,
            self.credited_minor,
            self.written_off_minor,
            self.rebilled_minor,
            self.collected_minor,
            self.cancelled_minor,
        )
        return min(parts) >= 0 and self.open_minor + self.settled_minor == self.original_minor


@dataclass(frozen=True, slots=True)
class CaseSettings:
    """A tenant's case limits. approval_limit_minor: the largest resolution one person may make
    alone (None: no approval needed); write_off_limit_minor: the largest write-off allowed."""

    approval_limit_minor: int | None = None
    write_off_limit_minor: int = 0
    update_us: int = 0
