"""Invoices: creation (single and batch), voiding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine import ledger
from engine import model as m
from engine import validate as v
from engine.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from engine.matching.references import reference_key
from engine.money import Money
from engine.storage.store import Store, now_us

MAX_BATCH_INVOICES = 1000


@dataclass(frozen=True, slots=True)
class InvoiceDraft:
    """An invoice as a caller submits it; `field` is its path in the request, for errors."""

    invoice_id: str
    customer_id: str
    amount: Money
    issue_date: str
    due_date: str = ""
    payment_terms: m.PaymentTerms | None = None
    field: str = "invoice"


def _build(draft: InvoiceDraft, customer_terms: m.PaymentTerms, now: int) -> m.Invoice:
    f = draft.field
    issue = v.require_date(draft.issue_date, f"{f}.issue_date")
    terms = v.terms(draft.payment_terms or customer_terms, f"{f}.payment_terms")
    due = (
        v.require_date(draft.due_date, f"{f}.due_date")
        if draft.due_date
        else m.add_days(issue, terms.net_days)
    )
    if due < issue:
        raise InvalidArgument("DUE_BEFORE_ISSUE", "due_date must not precede issue_date", f"{f}.due_date")
    return m.Invoice(
        invoice_id=draft.invoice_id,
        customer_id=draft.customer_id,
        currency=draft.amount.currency,
        amount_minor=draft.amount.amount_minor,
        open_minor=draft.amount.amount_minor,
        issue_date=issue,
        due_date=due,
        payment_terms=terms,
        create_us=now,
    )


def _same_content(existing: m.Invoice, new: m.Invoice) -> bool:
    return (
        existing.customer_id,
        existing.currency,
        existing.amount_minor,
        existing.issue_date,
        existing.due_date,
        existing.payment_terms,
    ) == (new.customer_id, new.currency, new.amount_minor, new.issue_date, new.due_date, new.payment_terms)


def create_invoices(
    store: Store, drafts: Sequence[InvoiceDraft], *, batch_field: str = ""
) -> list[m.Invoice]:
    """Creates invoices atomically (one set-based insert); identical re-creates return the stored one."""
    if batch_field and not 1 <= len(drafts) <= MAX_BATCH_INVOICES:
        raise InvalidArgument(
            "INVALID_BATCH_SIZE", f"a batch holds 1..{MAX_BATCH_INVOICES} invoices", batch_field
        )
    seen: set[str] = set()
    for d in drafts:
        v.require_id(d.invoice_id, f"{d.field}_id" if not batch_field else f"{d.field}.invoice_id")
        v.require_id(d.customer_id, f"{d.field}.customer_id")
        if d.invoice_id in seen:
            raise InvalidArgument(
                "DUPLICATE_ID", "invoice_id repeats within the batch", f"{d.field}.invoice_id"
            )
        seen.add(d.invoice_id)
    terms = store.customer_terms({d.customer_id for d in drafts})
    existing = store.get_invoices(seen)
    now = now_us()
    results: list[m.Invoice] = []
    fresh: list[m.Invoice] = []
    for d in drafts:
        customer_terms = terms.get(d.customer_id)
        if customer_terms is None:
            raise NotFound(
                "CUSTOMER_NOT_FOUND", f"customer {d.customer_id!r} does not exist", f"{d.field}.customer_id"
            )
        invoice = _build(d, customer_terms, now)
        stored = existing.get(d.invoice_id)
        if stored is not None:
            if not _same_content(stored, invoice):
                raise AlreadyExists(
                    "INVOICE_ALREADY_EXISTS",
                    f"invoice {d.invoice_id!r} exists with different content",
                    f"{d.field}.invoice_id" if batch_field else "invoice_id",
                )
            results.append(stored)
            continue
        fresh.append(invoice)
        results.append(invoice)
    if fresh:
        store.insert_invoices(fresh)
        store.insert_journal([ledger.invoice_issued(i, now) for i in fresh])
        # The customers' payments have new candidates; a payment whose remittance names a new
        # invoice may now be identified by it.
        store.mark_needs_decision(
            customer_ids={i.customer_id for i in fresh},
            reference_keys={reference_key(i.invoice_id) for i in fresh},
        )
    return results


def get_invoice(store: Store, invoice_id: str, field: str = "invoice_id", *, lock: bool = False) -> m.Invoice:
    v.require_id(invoice_id, field)
    invoice = store.get_invoice(invoice_id, lock=lock)
    if invoice is None:
        raise NotFound("INVOICE_NOT_FOUND", f"invoice {invoice_id!r} does not exist", field)
    return invoice


def void_invoice(store: Store, invoice_id: str, reason: str) -> m.Invoice:
    """Voids with a compensating entry; refused while any application on it is active."""
    v.text(reason, "reason", v.MAX_NAME_LENGTH)
    invoice = get_invoice(store, invoice_id, lock=True)
    if invoice.voided:
        return invoice  # voiding twice changes nothing
    active = [
        a
        for a in store.applications_of_invoices([invoice_id]).get(invoice_id, [])
        if a.reverses_application_id is None and a.reversed_by_application_id is None
    ]
    if active:
        raise FailedPrecondition(
            "INVOICE_HAS_APPLIED_MONEY",
            f"invoice {invoice_id!r} has {len(active)} active application(s); unapply them first",
            "invoice_id",
        )
    now = now_us()
    store.void_invoice(invoice_id, invoice.open_minor)
    store.insert_journal([ledger.invoice_voided(invoice, now)])
    store.mark_needs_decision(customer_ids=[invoice.customer_id])
    return get_invoice(store, invoice_id)
