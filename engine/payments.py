"""Payments: recording, explicit application, and un-application with compensating entries.

Applying money always takes the same path (manual, automatic, exception resolution): lock the
payment, then its invoices in id order; re-check every amount against the locked rows; then guarded
updates, append-only application rows and one balanced journal entry, in one transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from opentelemetry import trace

from engine import ledger
from engine import model as m
from engine import validate as v
from engine.actor import actor
from engine.applying import MAX_ALLOCATIONS, ApplyRequest, Posting, apply_allocations, post
from engine.errors import AlreadyExists, DomainError, FailedPrecondition, InvalidArgument, NotFound
from engine.money import Money
from engine.storage.store import Store, now_us
from engine.telemetry import span_ids, tracer

MAX_IMPORT_CHUNK = 1000
MAX_BATCH_GET = 1000  # payments per BatchGetPayments (AIP-231), as a list page holds
# The longest bank reference or end-to-end id kept to link advice and returns (tables.LINK).
MAX_LINK_LENGTH = 256


@dataclass(frozen=True, slots=True)
class PaymentDraft:
    payment_id: str
    amount: Money
    value_date: str
    customer_id: str = ""
    payer_account: str = ""
    payer_name: str = ""
    remittance_info: str = ""
    references: tuple[str, ...] = ()
    field: str = "payment"
    remittance_lines: tuple[m.RemittanceLine, ...] = ()
    bank_reference: str = ""
    end_to_end_id: str = ""


@dataclass(frozen=True, slots=True)
class ImportResult:
    payment_id: str
    result: str  # CREATED | ALREADY_EXISTED | FAILED
    error: DomainError | None = None


def build(d: PaymentDraft, now: int, known_customers: set[str]) -> m.Payment:
    f = d.field
    customer_id = v.optional_id(d.customer_id, f"{f}.customer_id")
    if customer_id and customer_id not in known_customers:
        raise NotFound("CUSTOMER_NOT_FOUND", f"customer {customer_id!r} does not exist", f"{f}.customer_id")
    v.list_length(d.references, f"{f}.references")
    return m.Payment(
        payment_id=d.payment_id,
        currency=d.amount.currency,
        amount_minor=d.amount.amount_minor,
        unapplied_minor=d.amount.amount_minor,
        returned_minor=0,
        value_date=v.require_date(d.value_date, f"{f}.value_date"),
        customer_id=customer_id,
        given_customer_id=customer_id,
        payer_account=v.text(d.payer_account, f"{f}.payer_account", 64),
        payer_name=v.text(d.payer_name, f"{f}.payer_name", v.MAX_NAME_LENGTH),
        remittance_info=v.text(d.remittance_info, f"{f}.remittance_info"),
        references=tuple(
            v.text(r, f"{f}.references[{i}]", v.MAX_ID_LENGTH) for i, r in enumerate(d.references)
        ),
        create_us=now,
        remittance_lines=v.remittance_lines(d.remittance_lines, f"{f}.remittance_lines"),
        bank_reference=v.text(d.bank_reference, f"{f}.bank_reference", MAX_LINK_LENGTH),
        end_to_end_id=v.text(d.end_to_end_id, f"{f}.end_to_end_id", MAX_LINK_LENGTH),
    )


def _same_content(a: m.Payment, b: m.Payment) -> bool:
    """Compares only what a client sends: the customer matching identified later is not part
    of it, so a re-import after AutoApply is still ALREADY_EXISTED."""
    keep = (
        "currency",
        "amount_minor",
        "value_date",
        "given_customer_id",
        "payer_account",
        "payer_name",
        "remittance_info",
        "references",
        "remittance_lines",
        "bank_reference",
        "end_to_end_id",
    )
    return all(getattr(a, k) == getattr(b, k) for k in keep)


def create_payment(store: Store, draft: PaymentDraft, id_field: str = "payment_id") -> m.Payment:
    v.require_id(draft.payment_id, id_field)
    known = store.existing_customer_ids([draft.customer_id] if draft.customer_id else [])
    payment = build(draft, now_us(), known)
    existing = store.get_payment(draft.payment_id)
    if existing is not None:
        require_same_content(existing, payment, id_field)
        return existing
    insert_new(store, [payment])
    return payment


def require_same_content(existing: m.Payment, payment: m.Payment, id_field: str) -> None:
    """A create of an existing payment id answers the payment only with the same content."""
    if not _same_content(existing, payment):
        message = f"payment {payment.payment_id!r} exists with different content"
        raise AlreadyExists("PAYMENT_ALREADY_EXISTS", message, id_field)


@tracer.start_as_current_span("payments.import")
def import_payments(
    store: Store, items: Sequence[tuple[str, Callable[[], PaymentDraft]]]
) -> list[ImportResult]:
    """One atomic chunk: valid payments are inserted together, invalid ones reported per item.

    Each item is (payment_id, a function building its draft), so that a payment whose wire form
    is invalid fails alone, with its reason, instead of failing the chunk.
    """
    if not 1 <= len(items) <= MAX_IMPORT_CHUNK:
        raise InvalidArgument(
            "INVALID_BATCH_SIZE", f"a chunk holds 1..{MAX_IMPORT_CHUNK} payments", "payments"
        )
    built: list[tuple[str, PaymentDraft | DomainError]] = []
    for payment_id, make in items:
        try:
            built.append((payment_id, make()))
        except DomainError as error:
            built.append((payment_id, error))
    drafts = [d for _, d in built if isinstance(d, PaymentDraft)]
    known = store.existing_customer_ids(d.customer_id for d in drafts if d.customer_id)
    # Only the ids of payments that built: a failed one's id may hold what no lookup may (NUL).
    existing = store.get_payments([d.payment_id for d in drafts], with_applications=False)
    now = now_us()
    results: list[ImportResult] = []
    fresh: dict[str, m.Payment] = {}
    for payment_id, d in built:
        try:
            if isinstance(d, DomainError):
                raise d
            v.require_id(d.payment_id, f"{d.field}.payment_id")
            payment = build(d, now, known)
            stored = existing.get(d.payment_id) or fresh.get(d.payment_id)
            if stored is not None and not _same_content(stored, payment):
                raise AlreadyExists(
                    "PAYMENT_ALREADY_EXISTS",
                    f"payment {d.payment_id!r} exists with different content",
                    f"{d.field}.payment_id",
                )
            if stored is not None:
                results.append(ImportResult(d.payment_id, "ALREADY_EXISTED"))
                continue
            fresh[d.payment_id] = payment
            results.append(ImportResult(d.payment_id, "CREATED"))
        except DomainError as error:
            results.append(ImportResult(payment_id, "FAILED", error))
    insert_new(store, list(fresh.values()))
    _describe_import(results)
    return results


@tracer.start_as_current_span("payments.create_new")
def create_new(store: Store, drafts: Sequence[PaymentDraft]) -> list[m.Payment]:
    """Payments the caller knows to be new (the importer looked their ids up in one query per
    chunk), built, checked and inserted set-based with their journal entries; the first invalid
    draft raises (IndexedError naming its position) and nothing is inserted. No customer is
    looked up: a bank file names none, and a draft that does is refused as CUSTOMER_NOT_FOUND."""
    now = now_us()
    built: list[m.Payment] = []
    for index, d in enumerate(drafts):
        try:
            v.require_id(d.payment_id, f"{d.field}.payment_id")
            built.append(build(d, now, set()))
        except DomainError as error:
            raise IndexedError(index, error) from None
    insert_new(store, built)
    return built


class IndexedError(Exception):
    """A draft of create_new refused: which one, and why."""

    def __init__(self, index: int, error: DomainError) -> None:
        super().__init__(error.message)
        self.index = index
        self.error = error


def _describe_import(results: list[ImportResult]) -> None:
    """The payments.import span: the chunk's counts by result and its payment ids."""
    span = trace.get_current_span()
    span.set_attribute("cashapp.payments", len(results))
    for result in ("CREATED", "ALREADY_EXISTED", "FAILED"):
        span.set_attribute(f"cashapp.import.{result.lower()}", sum(r.result == result for r in results))
    span.set_attribute("cashapp.payment_ids", span_ids(r.payment_id for r in results if r.payment_id))


def insert_new(store: Store, payments: list[m.Payment]) -> None:
    if payments:
        store.insert_payments(payments)
        store.insert_journal([ledger.payment_received(p, p.create_us) for p in payments])


def get_payment(store: Store, payment_id: str, field: str = "payment_id", *, lock: bool = False) -> m.Payment:
    v.require_id(payment_id, field)
    payment = store.get_payment(payment_id, lock=lock)
    if payment is None:
        raise NotFound("PAYMENT_NOT_FOUND", f"payment {payment_id!r} does not exist", field)
    return payment


def get_payments_in_order(store: Store, payment_ids: Sequence[str]) -> list[m.Payment]:
    """The payments in the order asked, read in one query; NOT_FOUND names the first missing id."""
    if not 1 <= len(payment_ids) <= MAX_BATCH_GET:
        raise InvalidArgument(
            "INVALID_BATCH_SIZE", f"payment_ids holds 1..{MAX_BATCH_GET} ids", "payment_ids"
        )
    for i, payment_id in enumerate(payment_ids):
        v.require_id(payment_id, f"payment_ids[{i}]")
    found = store.get_payments(payment_ids)
    for i, payment_id in enumerate(payment_ids):
        if payment_id not in found:
            raise NotFound("PAYMENT_NOT_FOUND", f"payment {payment_id!r} does not exist", f"payment_ids[{i}]")
    return [found[payment_id] for payment_id in payment_ids]


def active_applications(payment: m.Payment) -> list[m.Application]:
    return [
        a
        for a in payment.applications
        if a.reverses_application_id is None and a.reversed_by_application_id is None
    ]


def reverse_applications(
    store: Store, payment: m.Payment, application_ids: Sequence[str], field: str = "application_ids"
) -> list[m.Application]:
    """Reverses the named active applications (all when none named); returns the originals."""
    active = {a.application_id: a for a in active_applications(payment)}
    if application_ids:
        by_id = {a.application_id: a for a in payment.applications}
        for i, app_id in enumerate(application_ids):
            if app_id not in by_id:
                raise NotFound(
                    "APPLICATION_NOT_FOUND",
                    f"payment {payment.payment_id!r} has no application {app_id!r}",
                    f"{field}[{i}]",
                )
            if app_id not in active:
                raise FailedPrecondition(
                    "APPLICATION_NOT_ACTIVE",
                    f"application {app_id!r} is already reversed or is a reversal",
                    f"{field}[{i}]",
                )
        if len(set(application_ids)) != len(application_ids):
            raise InvalidArgument("DUPLICATE_APPLICATION", "an application is named twice", field)
        targets = [active[i] for i in application_ids]
    else:
        targets = list(active.values())
    if not targets:
        return []
    now = now_us()
    reversals = [
        dataclasses.replace(
            a,
            application_id=ledger.new_id(),
            reverses_application_id=a.application_id,
            reversed_by_application_id=None,
            create_us=now,
            actor=actor(),  # the reversal is the reverser's, not the original's
        )
        for a in targets
    ]
    store.get_invoices([a.invoice_id for a in targets], lock=True)
    post(store, [Posting(payment, tuple(reversals), payment.customer_id, -1)], now)
    return targets


def unapply_payment(store: Store, payment_id: str, application_ids: Sequence[str]) -> m.Payment:
    v.list_length(list(application_ids), "application_ids", MAX_ALLOCATIONS)
    payment = get_payment(store, payment_id, lock=True)
    if payment.returned_minor:
        raise FailedPrecondition("PAYMENT_RETURNED", f"payment {payment_id!r} was returned", "payment_id")
    reversed_apps = reverse_applications(store, payment, application_ids)
    if not reversed_apps:
        raise FailedPrecondition(
            "NOTHING_TO_UNAPPLY", f"payment {payment_id!r} has no active applications", "payment_id"
        )
    if payment.customer_id:
        store.set_payment_customer(payment_id, payment.customer_id, on_account=False)
    # The payment has cash to place again, and its invoices are open again for the others.
    store.mark_needs_decision(payment_ids=[payment_id])
    mark_invoice_customers(store, [a.invoice_id for a in reversed_apps], except_payment_ids=[payment_id])
    return get_payment(store, payment_id)


def apply_payment(store: Store, payment_id: str, allocations: Sequence[m.Allocation]) -> m.Payment:
    """A person's application; the invoices' customers' other payments need a new decision."""
    payment = apply_allocations(
        store, ApplyRequest(payment_id, tuple(allocations), m.ApplicationSource.MANUAL)
    )
    store.clear_undecidable_marks([payment_id])
    mark_invoice_customers(store, [a.invoice_id for a in allocations], except_payment_ids=[payment_id])
    return payment


def mark_invoice_customers(
    store: Store, invoice_ids: Sequence[str], *, except_payment_ids: Sequence[str]
) -> None:
    """Marks the other decidable payments of the invoices' customers as needing a decision:
    the open invoices they were matched against changed."""
    customers = {i.customer_id for i in store.get_invoices(invoice_ids).values()}
    if customers:
        store.mark_needs_decision(customer_ids=customers, except_payment_ids=except_payment_ids)
