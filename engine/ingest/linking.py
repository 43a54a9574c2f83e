"""What a bank file says of payments that already exist: returns of them, remittance advice for
them (linked, or held until the payment arrives), and a richer rendition of their remittance.

A payment is found by what the entry names it with, in this order: its id (an entry identity or
a batch's), the account-scoped bank reference (how identities are made), then the bank
reference or the end-to-end id alone. Several payments at the first level that finds any are an
ambiguity: nothing is guessed, the entry is held (advice) or kept unmatched (return).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine import model as m
from engine import returns
from engine import validate as v
from engine.errors import DomainError
from engine.ingest.records import Entry
from engine.ingest.summary import ADVICE_HELD, RETURN_UNMATCHED, EntryResult, ImportSummary
from engine.payments import PaymentDraft
from engine.storage.statement_store import Advice, UnmatchedReturn
from engine.storage.store import Store

# The reason code a payment return gets when the file gives none.
UNSPECIFIED_RETURN_REASON = "BANK_RETURN"


def structured_references(lines: Iterable[m.RemittanceLine]) -> tuple[str, ...]:
    """The references of structured lines, in order, once each, as many as a payment holds."""
    refs = dict.fromkeys(line.reference for line in lines if 0 < len(line.reference) <= v.MAX_ID_LENGTH)
    return tuple(refs)[: v.MAX_LIST_LENGTH]


def enrich(store: Store, payment: m.Payment, lines: Sequence[m.RemittanceLine], text: str) -> bool:
    """Adds the lines and text the payment does not hold yet; True when anything was added.
    Structured references come first in Payment.references, then those it had."""
    added = [line for line in lines if line not in payment.remittance_lines]
    text = " ".join(text.split())
    new_text = payment.remittance_info
    if text and text not in new_text:
        new_text = f"{new_text} {text}".strip()[: v.MAX_TEXT_LENGTH]
    if not added and new_text == payment.remittance_info:
        return False
    merged = (*payment.remittance_lines, *added)[: v.MAX_REMITTANCE_LINES]
    refs = tuple(dict.fromkeys((*structured_references(merged), *payment.references)))[: v.MAX_LIST_LENGTH]
    store.add_payment_remittance(payment.payment_id, merged, refs, new_text)
    return True


@dataclass(frozen=True, slots=True)
class _Lookup:
    """Payments by id, by bank reference and by end-to-end id, fetched once for a set of keys."""

    by_id: dict[str, m.Payment]
    by_bank: dict[str, list[str]]
    by_e2e: dict[str, list[str]]

    @classmethod
    def of(cls, store: Store, ids: set[str], bank: set[str], e2e: set[str]) -> _Lookup:
        found: dict[str, m.Payment] = {}
        wanted = sorted(i for i in ids if 0 < len(i) <= v.MAX_ID_LENGTH)
        for start in range(0, len(wanted), 500):
            found.update(store.get_payments(wanted[start : start + 500], with_applications=False))
        return cls(
            found,
            store.payments_by_link("bank_reference", bank),
            store.payments_by_link("end_to_end_id", e2e),
        )

    def find(self, ids: Sequence[str], bank: str, e2e: str) -> list[str]:
        """The payments at the first level that finds any (see the module docstring)."""
        for level in (
            [i for i in ids if i in self.by_id],
            self.by_bank.get(bank, []) if bank else [],
            self.by_e2e.get(e2e, []) if e2e else [],
        ):
            if level:
                return sorted(set(level))
        return []


def _scoped(entry: Entry, reference: str) -> str:
    return f"{entry.account or '-'}/{reference}" if reference else ""


def import_returns(
    store: Store, items: list[tuple[str, Entry]], summary: ImportSummary, file_sha256: str, now: int
) -> None:
    """Each RETURN returns the payment its original_reference names, when exactly one is found
    and the amounts agree (a payment return takes the whole payment back); otherwise it is kept
    as an unmatched return and listed. A return seen before (by identity) changes nothing."""
    if not items:
        return
    refs = {e.original_reference for _, e in items if e.original_reference}
    lookup = _Lookup.of(store, refs | {_scoped(e, e.original_reference) for _, e in items}, refs, refs)
    seen = store.known_unmatched_return_ids(i for i, _ in items)
    unmatched: list[UnmatchedReturn] = []
    for identity, entry in items:
        if identity in seen or store.get_return(identity) is not None:
            summary.counts.already_imported += 1
            continue
        ref = entry.original_reference
        found = lookup.find([ref, _scoped(entry, ref)], ref, ref) if ref else []
        reason = _return_one(store, identity, entry, found, lookup)
        if reason is None:
            summary.counts.returns += 1
            continue
        summary.counts.unmatched_returns += 1
        unmatched.append(
            UnmatchedReturn(
                identity,
                entry.currency,
                entry.amount_minor,
                entry.value_date,
                ref,
                entry.return_reason,
                reason,
                entry.location,
            )
        )
        summary.exception(
            EntryResult(
                entry.location, identity, RETURN_UNMATCHED, reason, entry.currency, entry.amount_minor
            )
        )
    store.insert_unmatched_returns(unmatched, file_sha256, now)


def _return_one(store: Store, identity: str, entry: Entry, found: list[str], lookup: _Lookup) -> str | None:
    """Returns the one payment found; otherwise why not (None when returned)."""
    ref = entry.original_reference
    if not ref:
        return "the return names no original payment"
    if not found:
        return f"no payment found for original reference {ref!r}"
    if len(found) > 1:
        return f"original reference {ref!r} names {len(found)} payments: {', '.join(found[:5])}"
    payment = lookup.by_id.get(found[0]) or store.get_payment(found[0])
    if payment is None:  # pragma: no cover - found by the lookup in this transaction
        return f"payment {found[0]!r} vanished"
    if (payment.currency, payment.amount_minor) != (entry.currency, entry.amount_minor):
        return (
            f"payment {payment.payment_id!r} is {payment.amount_minor} {payment.currency}, the return "
            f"{entry.amount_minor} {entry.currency}: a partial return is for a person to post"
        )
    try:
        returns.return_payment(
            store, identity, payment.payment_id, (entry.return_reason or UNSPECIFIED_RETURN_REASON)[:64]
        )
    except DomainError as error:  # returned before under another return, say
        return f"payment {payment.payment_id!r} cannot be returned: {error.message}"
    return None


def _advice(identity: str, entry: Entry) -> Advice:
    return Advice(
        identity,
        entry.bank_reference,
        entry.end_to_end_id,
        entry.batch_id,
        entry.currency,
        entry.amount_minor,
        entry.value_date,
        entry.remittance,
        " ".join(entry.remittance_text.split()),
        entry.location,
    )


def import_advice(
    store: Store, items: list[tuple[str, Entry]], summary: ImportSummary, file_sha256: str, now: int
) -> list[str]:
    """Links each ADVICE to the one payment it names (its remittance grows, its decision is
    re-triggered) or holds it; returns the payments whose remittance grew."""
    if not items:
        return []
    seen = store.known_advice_ids(i for i, _ in items)
    fresh = [(i, e) for i, e in items if i not in seen]
    summary.counts.already_imported += len(items) - len(fresh)
    ids = {e.batch_id for _, e in fresh} | {_scoped(e, e.bank_reference) for _, e in fresh}
    banks = {e.bank_reference for _, e in fresh}
    lookup = _Lookup.of(store, ids, banks, {e.end_to_end_id for _, e in fresh})
    linked: dict[str, str] = {}
    changed: list[str] = []
    for identity, entry in fresh:
        found = lookup.find(
            [entry.batch_id, _scoped(entry, entry.bank_reference)], entry.bank_reference, entry.end_to_end_id
        )
        # Read again: an earlier advice of this file may have added to the same payment.
        payment = store.get_payment(found[0]) if len(found) == 1 else None
        if payment is not None and payment.currency == entry.currency:
            linked[identity] = found[0]
            summary.counts.advice_linked += 1
            if enrich(store, payment, entry.remittance, entry.remittance_text):
                changed.append(found[0])
            continue
        summary.counts.advice_held += 1
        if payment is not None:
            why = f"payment {payment.payment_id!r} is in {payment.currency}, the advice in {entry.currency}"
        else:
            why = "no payment found" if not found else f"{len(found)} payments match ({', '.join(found[:5])})"
        keys = ", ".join(
            f"{name} {value!r}"
            for name, value in (
                ("bank reference", entry.bank_reference),
                ("end-to-end id", entry.end_to_end_id),
                ("batch", entry.batch_id),
            )
            if value
        )
        summary.exception(
            EntryResult(
                entry.location,
                identity,
                ADVICE_HELD,
                f"{why} for {keys or 'no link key'}; held until it arrives",
                entry.currency,
                entry.amount_minor,
            )
        )
    store.insert_advice([_advice(i, e) for i, e in fresh], linked, file_sha256, now)
    return changed


def link_held_advice(
    store: Store, created: Sequence[PaymentDraft], summary: ImportSummary, now: int
) -> list[str]:
    """Held advice of earlier files whose payment this file created: linked now (the payment's
    remittance grows). An advice naming several of them stays held. Returns the payments changed.
    Looked up by the new payments' keys (indexed), so a file without advice waiting costs a few
    queries per 500 payments."""
    if not created:
        return []
    held = store.held_advice(
        (d.bank_reference for d in created),
        (d.end_to_end_id for d in created),
        (d.payment_id for d in created),
    )
    if not held:
        return []
    by_bank: dict[str, list[str]] = {}
    by_e2e: dict[str, list[str]] = {}
    for d in created:
        if d.bank_reference:
            by_bank.setdefault(d.bank_reference, []).append(d.payment_id)
        if d.end_to_end_id:
            by_e2e.setdefault(d.end_to_end_id, []).append(d.payment_id)
    ids = {d.payment_id for d in created}
    linked: dict[str, str] = {}
    for advice in held:
        level = [advice.batch_id] if advice.batch_id in ids else []
        found = sorted(
            set(level or by_bank.get(advice.bank_reference, []) or by_e2e.get(advice.end_to_end_id, []))
        )
        payment = store.get_payment(found[0]) if len(found) == 1 else None
        if payment is None or payment.currency != advice.currency:
            continue
        linked[advice.advice_id] = found[0]
        enrich(store, payment, advice.lines, advice.text)
    store.link_held_advice(linked, now)
    summary.counts.advice_linked += len(linked)
    summary.counts.remittance_added += len(set(linked.values()))
    return list(dict.fromkeys(linked.values()))
