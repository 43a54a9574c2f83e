"""Returns: goods returned (a credit memo against an invoice) and payments returned (NSF,
chargeback), the latter reversing every application and re-opening the invoices."""

from __future__ import annotations

from collections.abc import Callable

from engine import ledger
from engine import model as m
from engine import validate as v
from engine.alerts import detectors, raising
from engine.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from engine.invoices import get_invoice
from engine.money import Money
from engine.payments import get_payment, mark_invoice_customers, reverse_applications
from engine.storage.store import Store, now_us


def _stored(store: Store, return_id: str, same: Callable[[m.Return], bool]) -> m.Return | None:
    """The return already recorded under this id: the same one again, or ALREADY_EXISTS."""
    found = store.get_return(return_id)
    if found is None:
        return None
    if not same(found):
        raise AlreadyExists(
            "RETURN_ALREADY_EXISTS", f"return {return_id!r} exists with different content", "return_id"
        )
    return found


def return_goods(store: Store, return_id: str, invoice_id: str, amount: Money, reason_code: str) -> m.Return:
    """A credit memo: lowers the invoice's open amount; what exceeds it becomes on-account credit.
    All credit memos of an invoice together never exceed the invoice amount."""
    v.require_id(return_id, "return_id")
    v.require_id(invoice_id, "invoice_id")
    v.text(reason_code, "reason_code", 64)
    found = _stored(
        store,
        return_id,
        lambda r: (
            (r.kind, r.invoice_id, r.amount_minor, r.currency, r.reason_code)
            == (m.ReturnKind.GOODS, invoice_id, amount.amount_minor, amount.currency, reason_code)
        ),
    )
    if found is not None:
        return found
    invoice = get_invoice(store, invoice_id, lock=True)
    if invoice.voided:
        raise FailedPrecondition("INVOICE_VOIDED", f"invoice {invoice_id!r} is void", "invoice_id")
    if amount.currency != invoice.currency:
        raise InvalidArgument(
            "CURRENCY_MISMATCH", f"the invoice is in {invoice.currency}", "amount.currency_code"
        )
    already = store.credit_memo_total(invoice_id)
    if already + amount.amount_minor > invoice.amount_minor:
        raise FailedPrecondition(
            "CREDIT_MEMO_EXCEEDS_INVOICE",
            f"credit memos would total {already + amount.amount_minor}, more than the invoice amount "
            f"{invoice.amount_minor}",
            "amount.amount_minor",
        )
    credited = min(amount.amount_minor, invoice.open_minor)
    now = now_us()
    ret = m.Return(
        return_id,
        m.ReturnKind.GOODS,
        amount.currency,
        amount.amount_minor,
        reason_code,
        invoice_id=invoice_id,
        credited_minor=credited,
        on_account_minor=amount.amount_minor - credited,
        create_us=now,
    )
    if credited:
        store.change_invoices_open({invoice_id: -credited})
        store.mark_needs_decision(customer_ids=[invoice.customer_id])
    store.insert_return(ret)
    store.insert_journal([ledger.credit_memo(invoice, ret, now)])
    raising.record(store, detectors.after_credit_memo(invoice, ret, now))
    return ret


def return_payment(store: Store, return_id: str, payment_id: str, reason_code: str) -> m.Return:
    v.require_id(return_id, "return_id")
    v.require_id(payment_id, "payment_id")
    v.text(reason_code, "reason_code", 64)
    found = _stored(
        store,
        return_id,
        lambda r: (r.kind, r.payment_id, r.reason_code) == (m.ReturnKind.PAYMENT, payment_id, reason_code),
    )
    if found is not None:
        return found
    payment = get_payment(store, payment_id, lock=True)
    if payment.returned_minor:
        raise FailedPrecondition(
            "PAYMENT_ALREADY_RETURNED", f"payment {payment_id!r} was already returned", "payment_id"
        )
    reversed_apps = reverse_applications(store, payment, ())
    now = now_us()
    store.mark_payment_returned(payment_id, payment.amount_minor)
    store.insert_journal([ledger.payment_returned(payment, now)])
    # A returned payment has nothing left to decide: its open exception closes, and the
    # invoices it paid are open again for the customers' other payments.
    store.resolve_open_exceptions([payment_id], now)
    store.clear_undecidable_marks([payment_id])
    mark_invoice_customers(store, [a.invoice_id for a in reversed_apps], except_payment_ids=[payment_id])
    ret = m.Return(
        return_id,
        m.ReturnKind.PAYMENT,
        payment.currency,
        payment.amount_minor,
        reason_code,
        payment_id=payment_id,
        reopened_invoice_ids=tuple(sorted({a.invoice_id for a in reversed_apps})),
        create_us=now,
    )
    store.insert_return(ret)
    return ret


def get_return(store: Store, return_id: str) -> m.Return:
    v.require_id(return_id, "return_id")
    ret = store.get_return(return_id)
    if ret is None:
        raise NotFound("RETURN_NOT_FOUND", f"return {return_id!r} does not exist", "return_id")
    return ret
