"""Where alerts come from: checks that run inside the transactions that move money or change terms.

Each check looks only at what its transaction touched (the payments just decided, the credit memo
just booked, the customer just updated), never at the whole book, and raises an alert for a
person: nothing here changes a decision or refuses a request. The same finding raised twice (a
payment re-decided) is stored once (engine/storage/alert_store.py).

- PAYER_ACCOUNT_OF_OTHER_CUSTOMER: a decided payment whose payer account is registered to one
  customer while the payment is booked to another, or while its remittance names only another
  customer's invoices (AR teams see both when a payer's bank account changes hands, and when
  someone pays with money that is not theirs).
- AMOUNT_OUTSIDE_HISTORY: a payment more than HISTORY_FACTOR times the customer's median and
  HISTORY_MAX_FACTOR times its largest payment of the last HISTORY_DAYS, once the customer has
  paid at least HISTORY_MIN_PAYMENTS times (a typo of the bank, or laundering through overpaying).
- POSSIBLE_DUPLICATE_PAYMENT: the decision policy doubted a payment as money that came twice.
- CREDIT_MEMO_EXCEEDS_OPEN_AMOUNT: a credit memo for more than its invoice had open.
- TERMS_CHANGED_AFTER_INVOICING: new payment terms for a customer with open invoices issued under
  the old ones (their due dates and discounts no longer agree with the customer's terms).
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Iterable, Mapping, Sequence, Set
from typing import Any

from engine import model as m
from engine.alerts.model import Alert, AlertKind
from engine.matching import duplicates
from engine.matching.references import remittance_tokens
from engine.money import Money
from engine.storage.store import Store, payer_account_key_of

HISTORY_DAYS = 365
HISTORY_MIN_PAYMENTS = 5
HISTORY_FACTOR = 10
HISTORY_MAX_FACTOR = 3
HISTORY_SAMPLE = 50  # the customer's latest payments compared with


def alert_id(kind: AlertKind, subject_id: str) -> str:
    """One id per finding: the same finding found again is the same alert."""
    return "al_" + hashlib.sha256(f"{kind.value}\x1f{subject_id}".encode()).hexdigest()[:24]


def _alert(
    kind: AlertKind,
    subject: tuple[str, str],
    customer_id: str | None,
    summary: str,
    evidence: dict[str, Any],
    now: int,
) -> Alert:
    subject_type, subject_id = subject
    return Alert(
        alert_id(kind, subject_id), kind, subject_type, subject_id, customer_id, summary, evidence, now
    )


def after_decisions(
    store: Store,
    decisions: Sequence[m.Decision],
    now: int,
    payments: Mapping[str, m.Payment] | None = None,
    named_customers: Mapping[str, frozenset[str]] | None = None,
) -> list[Alert]:
    """The alerts the decisions just stored give rise to; `payments`: the decided payments when
    the caller has read them already (their accounts, remittance and amounts);
    `named_customers`: per payment, the customers whose invoices its remittance names by id, where
    the caller has found them already (matching does: tokenizing and looking the invoices up
    again cost a sixth of AutoApply's commit)."""
    if not decisions:
        return []
    if payments is None or any(d.payment_id not in payments for d in decisions):
        payments = store.get_payments([d.payment_id for d in decisions], with_applications=False)
    decided = [(d, payments[d.payment_id]) for d in decisions if d.payment_id in payments]
    return [
        *_possible_duplicates(decided, now),
        *_accounts_of_other_customers(store, decided, now, named_customers or {}),
        *_outside_history(store, decided, now),
    ]


def _possible_duplicates(decided: Iterable[tuple[m.Decision, m.Payment]], now: int) -> list[Alert]:
    return [
        _alert(
            AlertKind.POSSIBLE_DUPLICATE_PAYMENT,
            ("payment", p.payment_id),
            d.customer_id,
            f"Payment {p.payment_id} ({_money(p)}) may repeat an earlier payment: {d.explanation.summary}",
            {"decision_id": d.decision_id, "explanation": d.explanation.summary},
            now,
        )
        for d, p in decided
        if d.reason == duplicates.REASON
    ]


def _accounts_of_other_customers(
    store: Store,
    decided: Sequence[tuple[m.Decision, m.Payment]],
    now: int,
    known: Mapping[str, frozenset[str]],
) -> list[Alert]:
    keys = {p.payment_id: payer_account_key_of(p.payer_account) for _, p in decided}
    owners = store.payer_account_owners(k for k in keys.values() if k)
    owned = [(d, p, owners[keys[p.payment_id]]) for d, p in decided if keys[p.payment_id] in owners]
    named_by_payment: dict[str, Set[str]] = {
        p.payment_id: known[p.payment_id] for _, p, _ in owned if p.payment_id in known
    }
    named_by_payment.update(_named_customers(store, [p for _, p, _ in owned if p.payment_id not in known]))
    out: list[Alert] = []
    for d, p, owner in owned:
        booked = d.customer_id or p.customer_id
        named = named_by_payment[p.payment_id]
        if booked and booked != owner:
            why = f"is booked to customer {booked}"
        elif named and owner not in named:
            why = f"names only invoices of {', '.join(sorted(named))}"
        else:
            continue
        out.append(
            _alert(
                AlertKind.PAYER_ACCOUNT_OF_OTHER_CUSTOMER,
                ("payment", p.payment_id),
                booked or owner,
                f"Payment {p.payment_id} ({_money(p)}) comes from {p.payer_account}, registered to customer "
                f"{owner}, and {why}.",
                {
                    "payer_account": p.payer_account,
                    "account_owner": owner,
                    "booked_to": booked or "",
                    "named_customers": sorted(named),
                },
                now,
            )
        )
    return out


def _named_customers(store: Store, payments: Sequence[m.Payment]) -> dict[str, set[str]]:
    """For each payment, the customers whose invoices its remittance names exactly: the invoices
    of every payment are read in one query (one query per payment cost a fifth of AutoApply)."""
    if not payments:
        return {}
    tokens_of = {p.payment_id: _remittance_raw_tokens(p) for p in payments}
    found = store.invoices_by_reference({raw for raws in tokens_of.values() for raw in raws}, [])
    customer_of = {inv.invoice_id: inv.customer_id for inv in found}
    return {
        payment_id: {customer_of[raw] for raw in raws if raw in customer_of}
        for payment_id, raws in tokens_of.items()
    }


def _remittance_raw_tokens(p: m.Payment) -> set[str]:
    if not (p.references or p.remittance_info or p.remittance_lines):
        return set()
    structured = (*p.references, *(line.reference for line in p.remittance_lines))
    return {t.raw for t in remittance_tokens(structured, p.remittance_info)}


def _outside_history(store: Store, decided: Sequence[tuple[m.Decision, m.Payment]], now: int) -> list[Alert]:
    customers = {d.customer_id for d, _ in decided if d.customer_id}
    if not customers:
        return []
    since = m.add_days(min(p.value_date for _, p in decided), -HISTORY_DAYS)
    history = store.recent_payment_amounts(customers, since, HISTORY_SAMPLE)
    out: list[Alert] = []
    for d, p in decided:
        past = [
            amount
            for pid, currency, amount in history.get(d.customer_id or "", [])
            if pid != p.payment_id and currency == p.currency
        ]
        if len(past) < HISTORY_MIN_PAYMENTS:
            continue
        median = statistics.median(past)
        if p.amount_minor > HISTORY_FACTOR * median and p.amount_minor > HISTORY_MAX_FACTOR * max(past):
            out.append(
                _alert(
                    AlertKind.AMOUNT_OUTSIDE_HISTORY,
                    ("payment", p.payment_id),
                    d.customer_id,
                    f"Payment {p.payment_id} ({_money(p)}) is {p.amount_minor / median:.0f} times the median "
                    f"of customer {d.customer_id}'s last {len(past)} payments.",
                    {"median_minor": int(median), "max_minor": max(past), "payments_compared": len(past)},
                    now,
                )
            )
    return out


def after_credit_memo(invoice: m.Invoice, ret: m.Return, now: int) -> list[Alert]:
    if not ret.on_account_minor:
        return []
    money = Money(ret.amount_minor, ret.currency).format()
    return [
        _alert(
            AlertKind.CREDIT_MEMO_EXCEEDS_OPEN_AMOUNT,
            ("invoice", invoice.invoice_id),
            invoice.customer_id,
            f"Credit memo {ret.return_id} ({money}) exceeds what invoice {invoice.invoice_id} had open "
            f"({Money(invoice.open_minor, invoice.currency).format()}); "
            f"{Money(ret.on_account_minor, ret.currency).format()} became on-account credit.",
            {
                "return_id": ret.return_id,
                "invoice_open_minor": invoice.open_minor,
                "on_account_minor": ret.on_account_minor,
                "reason_code": ret.reason_code,
            },
            now,
        )
    ]


def after_terms_change(store: Store, before: m.Customer, after: m.Customer, now: int) -> list[Alert]:
    if before.payment_terms == after.payment_terms:
        return []
    open_invoices = store.open_invoices_of([after.customer_id])
    older = [i for i in open_invoices if i.payment_terms != after.payment_terms]
    if not older:
        return []
    return [
        _alert(
            AlertKind.TERMS_CHANGED_AFTER_INVOICING,
            ("customer", f"{after.customer_id}@{now}"),
            after.customer_id,
            f"Customer {after.customer_id}'s payment terms changed from {_terms(before.payment_terms)} to "
            f"{_terms(after.payment_terms)} while {len(older)} invoice(s) issued under other terms are open.",
            {
                "before": _terms(before.payment_terms),
                "after": _terms(after.payment_terms),
                "open_invoice_ids": sorted(i.invoice_id for i in older)[:100],
            },
            now,
        )
    ]


def _terms(terms: m.PaymentTerms) -> str:
    if terms.discount_basis_points:
        return f"{terms.discount_basis_points / 100:g}/{terms.discount_days} net {terms.net_days}"
    return f"net {terms.net_days}"


def _money(p: m.Payment) -> str:
    return Money(p.amount_minor, p.currency).format()
