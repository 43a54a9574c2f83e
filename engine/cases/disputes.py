"""Disputes: a clerk contests part of an invoice. The money stays in AR, flagged: an invoice with
an open dispute is left out of the amount search (a remittance that names it still settles it),
and dunning skips it."""

from __future__ import annotations

from dataclasses import dataclass

from engine import validate as v
from engine.cases.case import Case, Event, Kind, State
from engine.cases.categories import Category, category_of
from engine.cases.lifecycle import Who, get_case
from engine.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from engine.money import Money
from engine.payments import mark_invoice_customers
from engine.storage.store import Store, now_us


@dataclass(frozen=True, slots=True)
class DisputeDraft:
    case_id: str
    invoice_id: str
    amount: Money
    category: str = ""  # a Category name; "" takes it from reason_code
    reason_code: str = ""


def open_dispute(store: Store, d: DisputeDraft, by: Who) -> Case:
    v.require_id(d.case_id, "case_id")
    if d.case_id.startswith("D-"):
        raise InvalidArgument("RESERVED_CASE_ID", "case ids starting with D- name deduction cases", "case_id")
    v.require_id(d.invoice_id, "invoice_id")
    reason = v.text(d.reason_code, "reason_code", 64)
    category = _category(d.category, reason)
    invoice = store.get_invoice(d.invoice_id, lock=True)
    if invoice is None:
        raise NotFound("INVOICE_NOT_FOUND", f"invoice {d.invoice_id!r} does not exist", "invoice_id")
    if d.amount.currency != invoice.currency:
        raise InvalidArgument(
            "CURRENCY_MUST_MATCH_INVOICE", f"the invoice is in {invoice.currency}", "amount.currency_code"
        )
    existing = store.get_case(d.case_id)
    if existing is not None:
        same = (
            existing.kind,
            existing.invoice_id,
            existing.original_minor,
            existing.currency,
            existing.category,
            existing.reason_code,
        )
        if same == (Kind.DISPUTE, d.invoice_id, d.amount.amount_minor, d.amount.currency, category, reason):
            return existing
        raise AlreadyExists(
            "CASE_ALREADY_EXISTS", f"case {d.case_id!r} exists with different content", "case_id"
        )
    if invoice.voided:
        raise FailedPrecondition("INVOICE_VOIDED", f"invoice {d.invoice_id!r} is void", "invoice_id")
    disputed = store.open_dispute_minor(d.invoice_id)
    if d.amount.amount_minor + disputed > invoice.open_minor:
        raise FailedPrecondition(
            "DISPUTE_OVER_OPEN",
            f"invoice {d.invoice_id!r} has {invoice.open_minor} open, {disputed} of it disputed already",
            "amount.amount_minor",
        )
    now = now_us()
    opened = Event(
        1,
        "OPENED",
        "",
        State.OPEN.value,
        by.actor,
        by.note,
        amount_minor=d.amount.amount_minor,
        create_us=now,
    )
    case = Case(
        d.case_id,
        Kind.DISPUTE,
        State.OPEN,
        category,
        reason,
        invoice.customer_id,
        d.invoice_id,
        invoice.currency,
        d.amount.amount_minor,
        d.amount.amount_minor,
        create_us=now,
        update_us=now,
        events=(opened,),
    )
    store.insert_cases([case])
    # The invoice left the amount search: the customer's payments are decided again.
    mark_invoice_customers(store, [d.invoice_id], except_payment_ids=[])
    return get_case(store, d.case_id)


def _category(given: str, reason: str) -> str:
    if not given:
        return category_of(reason).value
    try:
        return Category(given).value
    except ValueError:
        raise InvalidArgument(
            "UNKNOWN_CATEGORY", f"category must be one of {', '.join(c.value for c in Category)}", "category"
        ) from None
