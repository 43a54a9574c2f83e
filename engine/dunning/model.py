"""What dunning is made of: policies and their levels, notices, skips and deliveries."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass


class Channel(enum.Enum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    LETTER = "LETTER"
    WEBHOOK = "WEBHOOK"


class SkipReason(enum.Enum):
    # The invoice has an open dispute or deduction case: it is researched, not chased.
    DISPUTED = "DISPUTED"
    # The customer promised to pay by a date that has not passed.
    PROMISE_TO_PAY = "PROMISE_TO_PAY"
    # The customer is excluded from dunning (a key account, a legal hold).
    EXCLUDED_CUSTOMER = "EXCLUDED_CUSTOMER"
    # The customer's unapplied cash in the currency covers everything overdue: the money is
    # here, it only needs applying.
    COVERED_BY_UNAPPLIED_CASH = "COVERED_BY_UNAPPLIED_CASH"
    # What is overdue is below the level's minimum amount.
    BELOW_MINIMUM_AMOUNT = "BELOW_MINIMUM_AMOUNT"
    # The customer already received this level (or one above what is due): nothing to advance.
    ALREADY_AT_LEVEL = "ALREADY_AT_LEVEL"


class DeliveryState(enum.Enum):
    PENDING = "PENDING"  # waiting for its first or next attempt
    SENT = "SENT"  # handed to the SMTP server, the HTTP provider or the print folder
    FAILED = "FAILED"  # failed permanently (or too often): a person must look at it


@dataclass(frozen=True, slots=True)
class Level:
    """One step of a policy. day_offset: days after the due date the level is reached (negative:
    a reminder before the due date). min_amount_minor: below this total no notice is sent. Fee and
    interest are printed on the notice; they are informational (not posted to the ledger)."""

    level: int
    day_offset: int
    channels: tuple[Channel, ...]
    min_amount_minor: int = 0
    fee_minor: int = 0
    # Annual interest on the overdue amounts, in basis points, for the days past due.
    interest_basis_points: int = 0


@dataclass(frozen=True, slots=True)
class Policy:
    policy_id: str
    display_name: str
    # The currency the policy dunns, and of its levels' amounts (one policy per currency).
    currency: str
    levels: tuple[Level, ...]
    create_us: int = 0


@dataclass(frozen=True, slots=True)
class NoticeItem:
    invoice_id: str
    due_date: dt.date
    open_minor: int
    days_past_due: int


@dataclass(frozen=True, slots=True)
class Notice:
    notice_id: str
    policy_id: str
    customer_id: str
    currency: str
    level: int
    as_of: dt.date
    items: tuple[NoticeItem, ...]
    total_minor: int
    fee_minor: int
    interest_minor: int
    channels: tuple[Channel, ...]
    create_us: int = 0


@dataclass(frozen=True, slots=True)
class Skip:
    customer_id: str
    currency: str
    reason: SkipReason
    # The invoice the skip is about ("" when it is about the customer's whole notice).
    invoice_id: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class RunResult:
    as_of: dt.date
    dry_run: bool
    notices: tuple[Notice, ...]
    skips: tuple[Skip, ...]


@dataclass(frozen=True, slots=True)
class Contact:
    """Where a customer's notices go; an empty address means the channel cannot reach them."""

    customer_id: str
    email: str = ""
    phone: str = ""
    postal_address: str = ""
    update_us: int = 0


@dataclass(frozen=True, slots=True)
class Hold:
    """A promise to pay (until a date, in one currency or all) or an exclusion (until lifted)."""

    customer_id: str
    kind: str  # PROMISE_TO_PAY | EXCLUDED
    currency: str  # "" for every currency
    until: dt.date | None
    note: str
    actor: str
    create_us: int = 0


@dataclass(frozen=True, slots=True)
class Delivery:
    notice_id: str
    channel: Channel
    customer_id: str
    recipient: str
    state: DeliveryState
    attempts: int
    next_attempt_us: int
    last_error: str
    sent_us: int | None
    create_us: int = 0
