"""Applying money: the one path every application takes (manual, automatic, exception
resolution) and every reversal.

Lock the payments, then their invoices, each in id order (so concurrent appliers never
deadlock); check every request against the locked balances, in order, each seeing what the
earlier ones leave; then post all accepted requests with set-based statements: guarded balance
updates, append-only application rows and one balanced journal entry per request.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from engine import ledger
from engine import model as m
from engine import validate as v
from engine.cases import deductions
from engine.errors import DomainError, FailedPrecondition, InvalidArgument, NotFound
from engine.money import check_amount
from engine.storage.store import Store, now_us

MAX_ALLOCATIONS = 100


@dataclass(frozen=True, slots=True)
class ApplyRequest:
    """Apply one payment to invoices. `on_account_rest` marks what stays unapplied as the
    customer's on-account credit (an overpayment); `field` is the allocations' request path."""

    payment_id: str
    allocations: tuple[m.Allocation, ...]
    source: m.ApplicationSource
    on_account_rest: bool = False
    customer_id: str | None = None
    field: str = "allocations"


@dataclass(frozen=True, slots=True)
class Posting:
    """Applications of one payment to post (sign +1) or reverse (sign -1)."""

    payment: m.Payment
    applications: tuple[m.Application, ...]
    customer_id: str | None
    sign: int


def apply_allocations(store: Store, request: ApplyRequest) -> m.Payment:
    """Applies one request or raises why not; returns the payment as it now stands."""
    error = apply_many(store, [request])[0]
    if error is not None:
        raise error
    payment = store.get_payment(request.payment_id)
    assert payment is not None
    return payment


def apply_many(
    store: Store, requests: Sequence[ApplyRequest], locked: Mapping[str, m.Payment] | None = None
) -> list[DomainError | None]:
    """Applies every request that holds against the locked books; returns per request the
    reason it was refused (None when applied). A refused request changes nothing.

    `locked`: the requests' payments when the caller has already read them locked in this
    transaction (AutoApply's commit locks every proposal's payment first); reading them again
    cost a tenth of a commit."""
    errors: list[DomainError | None] = [_check_shape(r) for r in requests]
    wanted = [r.payment_id for r in requests]
    if locked is not None and all(pid in locked for pid in wanted):
        payments = {pid: locked[pid] for pid in wanted}
    else:
        payments = store.get_payments(wanted, lock=True, with_applications=False)
    invoices = store.get_invoices({a.invoice_id for r in requests for a in r.allocations}, lock=True)
    open_left = {i.invoice_id: i.open_minor for i in invoices.values()}
    unapplied_left = {p.payment_id: p.unapplied_minor for p in payments.values()}
    now = now_us()
    postings: list[Posting] = []
    owners: list[tuple[str, str, bool]] = []
    for n, r in enumerate(requests):
        if errors[n] is not None:
            continue
        try:
            payment = _check_balances(r, payments.get(r.payment_id), invoices, open_left, unapplied_left)
        except DomainError as error:
            errors[n] = error
            continue
        apps = tuple(_application(payment, a, r.source, now) for a in r.allocations)
        owner = r.customer_id or payment.customer_id or invoices[r.allocations[0].invoice_id].customer_id
        postings.append(Posting(payment, apps, owner, +1))
        owners.append((r.payment_id, owner, r.on_account_rest and unapplied_left[r.payment_id] > 0))
    post(store, postings, now)
    store.set_payments_customer(owners)
    store.resolve_open_exceptions((pid for pid, _, _ in owners if unapplied_left[pid] == 0), now)
    return errors


def _application(payment: m.Payment, a: m.Allocation, source: m.ApplicationSource, now: int) -> m.Application:
    return m.Application(
        ledger.new_id(), payment.payment_id, a.invoice_id, payment.currency, a.amount_minor,
        a.discount_minor, a.write_off_minor, source, a.deduction_minor, create_us=now,
        deduction_reason=a.deduction_reason,
    )  # fmt: skip


def _check_shape(r: ApplyRequest) -> DomainError | None:
    """What is wrong with the request whatever the books say (INVALID_ARGUMENT), if anything."""
    try:
        v.require_id(r.payment_id, "payment_id")
        if not 1 <= len(r.allocations) <= MAX_ALLOCATIONS:
            raise InvalidArgument(
                "INVALID_ALLOCATION_COUNT", f"give 1..{MAX_ALLOCATIONS} allocations", r.field
            )
        seen: set[str] = set()
        for i, a in enumerate(r.allocations):
            f = f"{r.field}[{i}]"
            v.require_id(a.invoice_id, f"{f}.invoice_id")
            if a.invoice_id in seen:
                raise InvalidArgument("DUPLICATE_INVOICE", "each invoice may appear once", f"{f}.invoice_id")
            seen.add(a.invoice_id)
            parts = {
                "amount": a.amount_minor,
                "discount": a.discount_minor,
                "write_off": a.write_off_minor,
                "deduction": a.deduction_minor,
            }
            for part, amount in parts.items():
                check_amount(amount, f"{f}.{part}.amount_minor", positive=False)
            if a.settles_minor == 0:
                raise InvalidArgument(
                    "AMOUNT_MUST_BE_POSITIVE",
                    "an allocation must settle something",
                    f"{f}.amount.amount_minor",
                )
    except DomainError as error:
        return error
    return None


def _check_balances(
    r: ApplyRequest,
    payment: m.Payment | None,
    invoices: dict[str, m.Invoice],
    open_left: dict[str, int],
    unapplied_left: dict[str, int],
) -> m.Payment:
    """Checks the request against the locked balances and, when it holds, takes its amounts."""
    if payment is None:
        raise NotFound("PAYMENT_NOT_FOUND", f"payment {r.payment_id!r} does not exist", "payment_id")
    if payment.returned_minor:
        raise FailedPrecondition("PAYMENT_RETURNED", f"payment {r.payment_id!r} was returned", "payment_id")
    for i, a in enumerate(r.allocations):
        _check_invoice(payment, invoices.get(a.invoice_id), a, open_left, f"{r.field}[{i}]")
    cash = sum(a.amount_minor for a in r.allocations)
    if cash > unapplied_left[r.payment_id]:
        raise FailedPrecondition(
            "PAYMENT_OVER_APPLIED",
            f"allocations take {cash} but payment {r.payment_id!r} has "
            f"{unapplied_left[r.payment_id]} unapplied",
            r.field,
        )
    unapplied_left[r.payment_id] -= cash
    for a in r.allocations:
        open_left[a.invoice_id] -= a.settles_minor
    return payment


def _check_invoice(
    payment: m.Payment, invoice: m.Invoice | None, a: m.Allocation, open_left: dict[str, int], f: str
) -> None:
    if invoice is None:
        raise NotFound("INVOICE_NOT_FOUND", f"invoice {a.invoice_id!r} does not exist", f"{f}.invoice_id")
    if invoice.voided:
        raise FailedPrecondition("INVOICE_VOIDED", f"invoice {a.invoice_id!r} is void", f"{f}.invoice_id")
    if invoice.currency != payment.currency:
        raise FailedPrecondition(
            "PAYMENT_CURRENCY_MUST_MATCH_INVOICE",
            f"payment is in {payment.currency}, invoice {a.invoice_id!r} in {invoice.currency}",
            f"{f}.invoice_id",
        )
    if a.settles_minor > open_left[a.invoice_id]:
        raise FailedPrecondition(
            "INVOICE_OVER_APPLIED",
            f"allocation settles {a.settles_minor} but invoice {a.invoice_id!r} has "
            f"{open_left[a.invoice_id]} open",
            f"{f}.amount.amount_minor",
        )


def post(store: Store, postings: Sequence[Posting], now: int) -> None:
    """Posts applications (or their reversals) of many payments in a few set-based statements:
    one guarded update per table, one insert of the application rows, one of the journal."""
    if not postings:
        return
    # Deductions open a case with the application and cancel it with the reversal (checked
    # before anything is written: a case whose money moved on refuses the reversal).
    deductions.cancel_for_reversal(store, [a for p in postings if p.sign < 0 for a in p.applications], now)
    payment_deltas: dict[str, int] = defaultdict(int)
    invoice_deltas: dict[str, int] = defaultdict(int)
    entries, rows = [], []
    for p in postings:
        kind = "APPLICATION" if p.sign > 0 else "APPLICATION_REVERSAL"
        lines = [
            line for app in p.applications for line in ledger.application_lines(app, p.customer_id, p.sign)
        ]
        entry = ledger.entry(kind, f"{kind.lower()} of payment {p.payment.payment_id}", lines, now)
        entries.append(entry)
        for app in p.applications:
            payment_deltas[app.payment_id] -= p.sign * app.amount_minor
            invoice_deltas[app.invoice_id] -= p.sign * app.settles_minor
            rows.append((app, entry.entry_id))
    store.change_payments_unapplied(payment_deltas)
    store.change_invoices_open(invoice_deltas)
    store.insert_applications(rows)
    store.insert_journal(entries)
    deductions.open_cases(store, [a for p in postings if p.sign > 0 for a in p.applications], now)
