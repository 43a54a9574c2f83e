"""Domain types: frozen dataclasses, amounts in integer minor units."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from engine.actor import actor
from engine.money import basis_points_of
from engine.telemetry import current_trace_id

T = TypeVar("T")


def add_days(day: dt.date, days: int) -> dt.date:
    """`day` moved by `days`, held at the calendar's ends instead of overflowing: dates given
    today lie far inside it (engine.validate), but a row stored before those bounds must not
    fail every computation that touches it."""
    ordinal = day.toordinal() + days
    return dt.date.fromordinal(min(max(ordinal, 1), dt.date.max.toordinal()))


class Account(enum.Enum):
    """Ledger accounts. Debit-positive balances."""

    CASH = "CASH"
    AR = "AR"
    UNAPPLIED_CASH = "UNAPPLIED_CASH"
    ON_ACCOUNT = "ON_ACCOUNT"
    DISCOUNTS = "DISCOUNTS"
    WRITE_OFFS = "WRITE_OFFS"
    DEDUCTIONS = "DEDUCTIONS"
    CREDIT_MEMOS = "CREDIT_MEMOS"
    REVENUE = "REVENUE"


@dataclass(frozen=True, slots=True)
class PaymentTerms:
    """E.g. 2/10 NET30: discount_basis_points=200, discount_days=10, net_days=30."""

    net_days: int = 30
    discount_days: int = 0
    discount_basis_points: int = 0


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: str
    display_name: str
    name_aliases: tuple[str, ...] = ()
    payer_accounts: tuple[str, ...] = ()
    payment_terms: PaymentTerms = PaymentTerms()
    # The write-off tolerance override: how short a payment may be and still settle (a bank
    # fee). None means the tenant default (TenantSettings.write_off_tolerance_minor).
    tolerance_minor: int | None = None
    create_us: int = 0
    update_us: int = 0
    # The matching tolerance override: how far a subset sum may miss the payment in the amount
    # search. None means the tenant default (TenantSettings.matching_tolerance_minor).
    matching_tolerance_minor: int | None = None


@dataclass(frozen=True, slots=True)
class TenantSettings:
    """A tenant's defaults; a customer's override wins where it sets one. The two tolerances are
    never mixed: one bounds the write-off of a short payment, the other the amount search."""

    write_off_tolerance_minor: int = 0
    matching_tolerance_minor: int = 0
    update_us: int = 0


class InvoiceState(enum.Enum):
    OPEN = "OPEN"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    VOIDED = "VOIDED"


@dataclass(frozen=True, slots=True)
class Invoice:
    invoice_id: str
    customer_id: str
    currency: str
    amount_minor: int
    open_minor: int
    issue_date: dt.date
    due_date: dt.date
    payment_terms: PaymentTerms
    voided: bool = False
    create_us: int = 0

    @property
    def state(self) -> InvoiceState:
        if self.voided:
            return InvoiceState.VOIDED
        if self.open_minor == 0:
            return InvoiceState.PAID
        if self.open_minor == self.amount_minor:
            return InvoiceState.OPEN
        return InvoiceState.PARTIALLY_PAID

    def discounted_minor(self, value_date: dt.date) -> int | None:
        """The open amount payable with the early-payment discount at `value_date`, if any.

        The discount is computed on the invoice amount (HALF_EVEN) and granted only while the
        invoice is fully open and the value date lies inside the discount window.
        """
        terms = self.payment_terms
        if terms.discount_basis_points <= 0 or self.open_minor != self.amount_minor:
            return None
        if value_date > add_days(self.issue_date, terms.discount_days):
            return None
        discount = basis_points_of(self.amount_minor, terms.discount_basis_points)
        return self.amount_minor - discount if 0 < discount < self.amount_minor else None


class PaymentState(enum.Enum):
    UNAPPLIED = "UNAPPLIED"
    PARTIALLY_APPLIED = "PARTIALLY_APPLIED"
    APPLIED = "APPLIED"
    ON_ACCOUNT = "ON_ACCOUNT"
    RETURNED = "RETURNED"


class ApplicationSource(enum.Enum):
    MANUAL = "MANUAL"
    AUTO = "AUTO"
    EXCEPTION_RESOLUTION = "EXCEPTION_RESOLUTION"


@dataclass(frozen=True, slots=True)
class Application:
    """Money of one payment settling one invoice; a reversal is a new row pointing back."""

    application_id: str
    payment_id: str
    invoice_id: str
    currency: str
    amount_minor: int
    discount_minor: int
    write_off_minor: int
    source: ApplicationSource
    deduction_minor: int = 0
    reverses_application_id: str | None = None
    reversed_by_application_id: str | None = None
    create_us: int = 0
    # The payer's reason for the deduction (not stored with the row: the deduction case it
    # opens keeps it, engine/cases).
    deduction_reason: str = ""
    # Who made it: the calling token ("" with auth off or with no call); set when made, stored.
    actor: str = field(default_factory=actor)

    @property
    def settles_minor(self) -> int:
        """How much of the invoice's open amount this application closes."""
        return self.amount_minor + self.discount_minor + self.write_off_minor + self.deduction_minor


@dataclass(frozen=True, slots=True)
class Adjustment:
    """Why a document was paid short (or long): X12 ADX, camt AdjstmntAmtAndRsn."""

    # How much less than the document's open amount was paid because of this; negative when the
    # payer paid more (a late fee, say).
    amount_minor: int
    # As the file gives it: an X12 adjustment reason code (ADX02, e.g. "CM", "01"), a camt Rsn.
    reason_code: str = ""
    text: str = ""


@dataclass(frozen=True, slots=True)
class RemittanceLine:
    """One document the payer says this money is for (structured remittance)."""

    # The document number as the payer wrote it: RfrdDocInf/Nb, RMR02, a CdtrRefInf RF reference.
    reference: str
    # What the payer paid on it (RfrdDocAmt/RmtdAmt, RMR04); None when the file does not say.
    paid_minor: int | None = None
    # The document's amount as the payer knows it (DuePyblAmt, RMR05); None when not given.
    invoiced_minor: int | None = None
    # The early-payment discount the payer took on it (DscntApldAmt, RMR06).
    discount_minor: int = 0
    adjustments: tuple[Adjustment, ...] = ()
    # INVOICE, CREDIT_NOTE (a document netted against the payment) or CREDITOR_REFERENCE (an
    # ISO 11649 RF reference, already checked).
    kind: str = "INVOICE"


@dataclass(frozen=True, slots=True)
class Payment:
    payment_id: str
    currency: str
    amount_minor: int
    unapplied_minor: int
    returned_minor: int
    value_date: dt.date
    customer_id: str | None = None
    payer_account: str = ""
    payer_name: str = ""
    remittance_info: str = ""
    references: tuple[str, ...] = ()
    on_account: bool = False
    applications: tuple[Application, ...] = ()
    create_us: int = 0
    # The customer the client gave with the payment (customer_id is that or the one matching
    # identified); an idempotent re-import compares this one.
    given_customer_id: str | None = None
    # Structured remittance from a bank file or an EDI 820: the documents the payer says this
    # money is for, with what was paid on each and why any was paid short.
    remittance_lines: tuple[RemittanceLine, ...] = ()
    # What links a remittance advice arriving apart (EDI 820 TRN02, a later camt.054) to this
    # payment: the bank's reference or trace number, and the payer's end-to-end id.
    bank_reference: str = ""
    end_to_end_id: str = ""

    @property
    def applied_minor(self) -> int:
        return self.amount_minor - self.unapplied_minor - self.returned_minor

    @property
    def state(self) -> PaymentState:
        if self.returned_minor:
            return PaymentState.RETURNED
        if self.unapplied_minor == 0:
            return PaymentState.APPLIED
        if self.on_account:
            return PaymentState.ON_ACCOUNT
        if self.unapplied_minor == self.amount_minor:
            return PaymentState.UNAPPLIED
        return PaymentState.PARTIALLY_APPLIED


@dataclass(frozen=True, slots=True)
class Allocation:
    """One invoice's share of a payment, as requested by a caller or proposed by the matcher."""

    invoice_id: str
    amount_minor: int
    discount_minor: int = 0
    write_off_minor: int = 0
    # A short payment beyond tolerance moved to DEDUCTIONS for research (closes that much AR).
    deduction_minor: int = 0
    # The payer's reason code for the deduction (an X12 426 code, a camt Rsn; "" when unknown):
    # the deduction case it opens is categorised by it (engine/cases/categories.py).
    deduction_reason: str = ""

    @property
    def settles_minor(self) -> int:
        return self.amount_minor + self.discount_minor + self.write_off_minor + self.deduction_minor


class ReturnKind(enum.Enum):
    GOODS = "GOODS"
    PAYMENT = "PAYMENT"


@dataclass(frozen=True, slots=True)
class Return:
    return_id: str
    kind: ReturnKind
    currency: str
    amount_minor: int
    reason_code: str
    invoice_id: str | None = None
    payment_id: str | None = None
    credited_minor: int = 0
    on_account_minor: int = 0
    reopened_invoice_ids: tuple[str, ...] = ()
    create_us: int = 0
    actor: str = field(default_factory=actor)  # who recorded it (engine/actor.py)


class DecisionOutcome(enum.Enum):
    AUTO_APPLIED = "AUTO_APPLIED"
    SUGGESTED = "SUGGESTED"
    UNMATCHED = "UNMATCHED"


@dataclass(frozen=True, slots=True)
class MatchCandidate:
    """One way the payment could be explained; `allocations` are what it would post."""

    invoice_ids: tuple[str, ...]
    allocations: tuple[Allocation, ...]
    residual_minor: int
    score: int
    rule: str


@dataclass(frozen=True, slots=True)
class Explanation:
    summary: str
    customer_identified_by: str
    candidates: tuple[MatchCandidate, ...] = ()
    runner_up: MatchCandidate | None = None
    winning_rule: str = ""
    solver_algorithm: str = ""
    solver_candidate_count: int = 0
    solver_outcome: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    decision_id: str
    payment_id: str
    customer_id: str | None
    outcome: DecisionOutcome
    reason: str
    explanation: Explanation
    create_us: int = 0
    actor: str = field(default_factory=actor)  # whose call recorded it (engine/actor.py)
    trace_id: str = field(default_factory=current_trace_id)  # the trace that decided it


class ExceptionState(enum.Enum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"
    # Closed because a later decision on changed inputs replaced it with another doubt.
    SUPERSEDED = "SUPERSEDED"


@dataclass(frozen=True, slots=True)
class MatchException:
    exception_id: str
    payment_id: str
    customer_id: str | None
    state: ExceptionState
    reason: str
    suggestions: tuple[MatchCandidate, ...]
    decision_id: str
    create_us: int = 0
    resolve_us: int = 0
    assignee: str = ""  # the clerk working on it; "" while nobody is


@dataclass(frozen=True, slots=True)
class AccountBalance:
    account: str
    currency: str
    debit_minor: int
    credit_minor: int

    @property
    def balance_minor(self) -> int:
        return self.debit_minor - self.credit_minor


@dataclass(frozen=True, slots=True)
class InvariantCheck:
    name: str
    description: str
    violations: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.violations


@dataclass(frozen=True, slots=True)
class ReconciliationReport:
    balances: tuple[AccountBalance, ...]
    invariants: tuple[InvariantCheck, ...]
    create_us: int = 0
    # The journal's hash chain recomputed from the stored rows: the last entry's hash (hex
    # sha256; the genesis hash for an empty journal) and the number of entries. Kept outside
    # the database, it proves later that the journal up to it was never rewritten.
    journal_chain_head: str = ""
    journal_entry_count: int = 0

    @property
    def all_passed(self) -> bool:
        return all(check.passed for check in self.invariants)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list and the opaque token of the next (empty at the end)."""

    items: list[T] = field(default_factory=list)
    next_page_token: str = ""
