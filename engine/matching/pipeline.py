"""The matching pipeline over a batch of payments: load what they need in a few set-based
queries, identify each payment's customer, find its references, and propose a decision.

Proposing reads a snapshot and changes nothing; engine.reconciliation persists the proposals in
one transaction that re-checks every amount (DESIGN.md section 7).

Order of evidence within a run: first the payments whose remittance names invoices (split
transfers paired before either is called short; duplicates of a payment decided earlier in the run
doubted), then the amount-only payments over the open invoices that no remittance names, then the
amount-only transfers that only together explain a set. The live payments of the customers
involved (unapplied, not yet in this batch) are decided along, since the batch may complete them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from engine import model as m
from engine.matching import by_advice, by_amount, by_reference, contain, duplicates, groups
from engine.matching.decide import MAX_BUNDLE_PAYMENTS, Facts, Proposal, contested, doubt, unmatched
from engine.matching.identify import Identification, NameLookup, identify
from engine.matching.name_cache import KeptNames
from engine.matching.references import (
    SCORE_NORMALIZED,
    Token,
    cut_last_key,
    near_indexes,
    near_keys,
    plain_key,
    reference_key,
    remittance_tokens,
)
from engine.storage.store import Store, payer_account_key_of
from engine.telemetry import span_ids, tracer

# Live payments of the batch's customers that may pair with it (split transfers arrive within
# days of each other), at most this many per batch, and how far from the batch's dates they lie.
MAX_PARTNERS_PER_BATCH = 5000
PARTNER_WINDOW_DAYS = 14
# Transfers of one split searched together lie within this many days of the first of them.
SPLIT_WINDOW_DAYS = 14


@dataclass(frozen=True, slots=True)
class ReferenceHit:
    invoice: m.Invoice
    score: int
    how: str


@dataclass(slots=True)
class _Seen:
    """One payment as the pipeline sees it after identification."""

    payment: m.Payment
    who: Identification
    tokens: list[Token]
    hits: list[ReferenceHit]
    customer: m.Customer | None = None
    # Customers whose invoices the remittance names by exact id, as the alert detector reads
    # them (engine/alerts/detectors.py); None where its reading differs from this one (an RF
    # advice line: the detector tokenizes the line as given, matching its payload).
    exact_customers: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Proposed:
    """A run's proposals, and what the commit's alert detector would otherwise read again: per
    payment (batch and partners), the customers its remittance names by exact invoice id."""

    proposals: list[Proposal]
    named_customers: dict[str, frozenset[str]]


@dataclass(slots=True)
class _Case:
    """A payment of an identified customer with open invoices in its currency, to be decided."""

    facts: Facts
    named: list[m.Invoice]
    near: list[m.Invoice] = field(default_factory=list)
    neighbours: list[m.Invoice] = field(default_factory=list)
    cut_key: str | None = None  # what the bank left of a number it cut off the remittance


def _reference_hits(
    tokens: list[Token], by_id: dict[str, m.Invoice], by_key: dict[str, list[m.Invoice]]
) -> list[ReferenceHit]:
    """Invoices the tokens name: exactly (same number up to case and separators) or normalized
    (OCR look-alikes mapped), each with its best score."""
    best: dict[str, ReferenceHit] = {}
    for token in tokens:
        exact = by_id.get(token.raw)
        hits = [(exact, token.score, token.how)] if exact else []
        for inv in by_key.get(token.key, []):
            if inv is exact:
                continue
            plain = plain_key(inv.invoice_id) == plain_key(token.raw)
            score = token.score if plain or token.how == "CREDITOR_REFERENCE" else SCORE_NORMALIZED
            hits.append((inv, score, token.how if plain else "NORMALIZED"))
        for inv, score, how in hits:
            if inv is not None and score > best.get(inv.invoice_id, ReferenceHit(inv, -1, "")).score:
                best[inv.invoice_id] = ReferenceHit(inv, score, how)
    return sorted(best.values(), key=lambda h: (h.invoice.due_date, h.invoice.invoice_id))


def propose(store: Store, payments: list[m.Payment]) -> list[Proposal]:
    """Proposals for the payments, in their order, followed by those of the customers' other
    live payments that the batch may complete (split partners)."""
    return propose_all(store, payments).proposals


def propose_all(store: Store, payments: list[m.Payment]) -> Proposed:
    """propose, with the customers each payment's remittance names (see Proposed)."""
    with tracer.start_as_current_span("match.identify") as span:
        span.set_attribute("cashapp.payments", len(payments))
        names = KeptNames(store)
        seen = _identify(store, payments, names)
        batch = {p.payment_id for p in payments}
        partners = [
            p for p in _nearby(store, payments, seen, duplicates_of=False) if p.payment_id not in batch
        ]
        seen.update(_identify(store, partners, names))
        everyone = [*payments, *partners]
        _attach_customers(store, seen)
        open_by_customer = _open_invoices(store, seen)
        settings = store.tenant_settings()
        history = _history(store, _nearby(store, everyone, seen, duplicates_of=True), seen)
    with tracer.start_as_current_span("match.decide") as span:
        span.set_attribute("cashapp.partners", len(partners))
        partner_ids = {p.payment_id for p in partners}
        proposals = contain.decide_contained(
            lambda cases: _Run(settings, open_by_customer, history, partner_ids).decide(list(cases)),
            [seen[p.payment_id] for p in everyone],
            customer_of=lambda s: s.who.customer_id or "",
            failed=lambda s, error: None if s.payment.payment_id in partner_ids else _failed(s, error),
            refuse_conflicts=_refuse_conflicts,
        )
        return Proposed(
            [proposals[p.payment_id] for p in everyone if p.payment_id in proposals],
            {pid: s.exact_customers for pid, s in seen.items() if s.exact_customers is not None},
        )


def _failed(s: _Seen, error: Exception) -> Proposal:
    """A payment whose decision raised: a question for a person, never a failed AutoApply."""
    summary = f"Matching could not decide this payment ({type(error).__name__}); a person decides."
    return doubt(s.payment, s.who.customer_id or None, s.who.by, "DECISION_FAILED", summary)


def _structured(p: m.Payment) -> tuple[str, ...]:
    """The payment's structured references: those given with it and its advice lines'."""
    return (*p.references, *(by_advice.named_document(line) for line in p.remittance_lines))


def _identify(store: Store, payments: Sequence[m.Payment], names: NameLookup) -> dict[str, _Seen]:
    """Customer and reference hits of every payment, in three queries whatever their number."""
    with tracer.start_as_current_span("match.references") as span:
        tokens = {p.payment_id: remittance_tokens(_structured(p), p.remittance_info) for p in payments}
        all_tokens = [t for ts in tokens.values() for t in ts]
        referenced = store.invoices_by_reference([t.raw for t in all_tokens], [t.key for t in all_tokens])
        by_id = {inv.invoice_id: inv for inv in referenced}
        by_key: dict[str, list[m.Invoice]] = {}
        for inv in referenced:
            by_key.setdefault(reference_key(inv.invoice_id), []).append(inv)
        hits = {p.payment_id: _reference_hits(tokens[p.payment_id], by_id, by_key) for p in payments}
        span.set_attribute("cashapp.payments", len(payments))
        span.set_attribute("cashapp.reference_tokens", len(all_tokens))
        span.set_attribute("cashapp.invoice_ids", span_ids(inv.invoice_id for inv in referenced))
    account_keys = {p.payment_id: payer_account_key_of(p.payer_account) or None for p in payments}
    owners = store.payer_account_owners(k for k in account_keys.values() if k)
    out = {}
    for p in payments:
        key = account_keys[p.payment_id]
        named_customers = {h.invoice.customer_id for h in hits[p.payment_id]}
        who = identify(p, owners.get(key) if key else None, named_customers, names)
        exact = (
            None
            if any(line.kind == "CREDITOR_REFERENCE" for line in p.remittance_lines)
            else frozenset(by_id[t.raw].customer_id for t in tokens[p.payment_id] if t.raw in by_id)
        )
        out[p.payment_id] = _Seen(p, who, tokens[p.payment_id], hits[p.payment_id], None, exact)
    return out


def _nearby(
    store: Store, payments: Sequence[m.Payment], seen: dict[str, _Seen], *, duplicates_of: bool
) -> list[m.Payment]:
    """Payments of the identified customers, or naming the invoices the batch names, with value
    dates near the batch's: live ones, the partners a split transfer may have; or
    (`duplicates_of`) applied ones of the batch's amounts, what a duplicate may repeat."""
    customers = {s.who.customer_id for s in seen.values() if s.who.customer_id}
    keys = {reference_key(h.invoice.invoice_id) for s in seen.values() for h in s.hits}
    if not (customers or keys) or not payments:
        return []
    window = duplicates.DUPLICATE_WINDOW_DAYS if duplicates_of else PARTNER_WINDOW_DAYS
    first = m.add_days(min(p.value_date for p in payments), -window)
    last = m.add_days(max(p.value_date for p in payments), window)
    amounts = {p.amount_minor for p in payments} if duplicates_of else None
    return store.nearby_payments(customers, keys, first, last, amounts=amounts, limit=MAX_PARTNERS_PER_BATCH)


def _attach_customers(store: Store, seen: dict[str, _Seen]) -> None:
    customers = store.get_customers(s.who.customer_id for s in seen.values() if s.who.customer_id)
    for s in seen.values():
        s.customer = customers.get(s.who.customer_id) if s.who.customer_id else None


def _open_invoices(store: Store, seen: dict[str, _Seen]) -> dict[str, list[m.Invoice]]:
    """The amount search's candidates: open invoices without an open dispute (disputed money is
    only settled by a remittance that names the invoice: reference hits come from elsewhere)."""
    out: dict[str, list[m.Invoice]] = {}
    invoices = store.open_invoices_of(s.customer.customer_id for s in seen.values() if s.customer)
    disputed = store.disputed_invoice_ids(i.invoice_id for i in invoices)
    for inv in invoices:
        if inv.invoice_id not in disputed:
            out.setdefault(inv.customer_id, []).append(inv)
    return out


@dataclass(frozen=True, slots=True)
class _History:
    """What earlier decisions left that this run must respect."""

    payers_of: dict[str, list[str]]  # invoice_id -> payments whose active applications settle it
    applied: dict[str, list[m.Payment]]  # customer_id -> payments that already carry applications


def _history(store: Store, nearby: Sequence[m.Payment], seen: dict[str, _Seen]) -> _History:
    # Referenced invoices with settled cents: whose applications settled them names the payment
    # a possible duplicate repeats.
    closed = {
        h.invoice.invoice_id
        for s in seen.values()
        for h in s.hits
        if h.invoice.open_minor < h.invoice.amount_minor
    }
    payers_of: dict[str, list[str]] = {}
    for invoice_id, apps in store.applications_of_invoices(closed).items():
        live = [a for a in apps if a.reverses_application_id is None and a.reversed_by_application_id is None]
        payers_of[invoice_id] = sorted({a.payment_id for a in live})
    applied: dict[str, list[m.Payment]] = {}
    for p in nearby:
        if p.applied_minor > 0 and p.customer_id:
            applied.setdefault(p.customer_id, []).append(p)
    return _History(payers_of, applied)


def _tolerances(settings: m.TenantSettings, customer: m.Customer) -> tuple[int, int]:
    """(write-off, matching) tolerance of the customer: its overrides, else the tenant's."""
    write_off = customer.tolerance_minor
    matching = customer.matching_tolerance_minor
    return (
        settings.write_off_tolerance_minor if write_off is None else write_off,
        settings.matching_tolerance_minor if matching is None else matching,
    )


class _Run:
    """One run's decisions, in evidence order (see the module docstring)."""

    def __init__(
        self,
        settings: m.TenantSettings,
        open_by_customer: dict[str, list[m.Invoice]],
        history: _History,
        partners: set[str],
    ) -> None:
        # Partners (live payments outside the batch) take part only in groups with a payment of
        # the batch: their own decisions stand until their own inputs change.
        self.partners = partners
        self.settings = settings
        self.open_by_customer = open_by_customer
        self.history = history
        self.proposals: dict[str, Proposal] = {}
        self.taken: dict[str, str] = {}  # invoice_id -> payment auto-applied to it in this run
        self.named: set[str] = set()  # invoices some remittance of this run names
        self._payments: dict[str, m.Payment] = {}
        self.conflicted: set[str] = set()  # payments whose remittance names invoices they cannot settle
        self._open_cache: dict[tuple[str, str], tuple[list[m.Invoice], list[str], dict[str, m.Invoice]]] = {}

    def decide(self, everyone: list[_Seen]) -> dict[str, Proposal]:
        self._payments = {s.payment.payment_id: s.payment for s in everyone}
        ordered = sorted(everyone, key=lambda s: (s.payment.value_date, s.payment.payment_id))
        cases = [c for c in (self._classify(s) for s in ordered) if c is not None]
        by_ref = [c for c in cases if c.named or c.near]
        self.named = {inv.invoice_id for c in by_ref for inv in c.named}
        amount_only = self._decide_references(by_ref) + [c.facts for c in cases if not (c.named or c.near)]
        self._decide_amounts(amount_only)
        return self.proposals

    def _classify(self, s: _Seen) -> _Case | None:
        """Decides what needs no search (no customer, only paid invoices named, ...); returns the
        case to decide otherwise."""
        p, who = s.payment, s.who
        if s.customer is None:
            self._put(
                unmatched(p, None, who.by, "NO_CUSTOMER_IDENTIFIED", f"No customer identified: {who.detail}.")
            )
            return None
        customer = s.customer
        cid = customer.customer_id
        own = [h for h in s.hits if h.invoice.customer_id == cid]
        open_same = [
            h.invoice
            for h in own
            if h.invoice.open_minor > 0 and not h.invoice.voided and h.invoice.currency == p.currency
        ]
        named_doubt = self._named_doubt(s, cid, open_same)
        if named_doubt is not None:
            self._put(named_doubt)
            return None
        if s.hits and not open_same:
            # The remittance names real invoices, none of them payable here: an amount-only
            # answer would contradict it, so it can only be a suggestion.
            self.conflicted.add(p.payment_id)
        shared, keys, listed = self._open_in(cid, p.currency)
        invoices = list(shared)  # each payment's own list, as before the lists were shared
        # A disputed invoice is no amount candidate, but one the remittance names stays in play.
        # By id, then by value: `i not in invoices` compared every field of every invoice (ids
        # are unique in the list, so an equal invoice can only be the one with its id).
        named = [i for i in open_same if listed.get(i.invoice_id) != i]
        if named:
            invoices = sorted([*invoices, *named], key=lambda inv: (inv.due_date, inv.invoice_id))
            keys = [reference_key(i.invoice_id) for i in invoices]
        if not invoices:
            summary = f"{customer.display_name} has no open invoices in {p.currency}."
            self._put(unmatched(p, cid, who.by, "NO_OPEN_INVOICES_IN_CURRENCY", summary))
            return None
        write_off, matching = _tolerances(self.settings, customer)
        scores = {h.invoice.invoice_id: h.score for h in own if h.invoice in open_same}
        facts = Facts(p, cid, who.by, invoices, scores, write_off, matching)
        cut = _cut_key(s)
        near, neighbours = _near(s, invoices, keys, open_same, cut)
        return _Case(facts, open_same, near, neighbours, cut)

    def _open_in(self, cid: str, currency: str) -> tuple[list[m.Invoice], list[str], dict[str, m.Invoice]]:
        """The customer's amount candidates in the currency, their reference keys and the same by
        id: computed once per run (each of a customer's payments walked all its invoices)."""
        found = self._open_cache.get((cid, currency))
        if found is None:
            invoices = [i for i in self.open_by_customer.get(cid, []) if i.currency == currency]
            keys = [reference_key(i.invoice_id) for i in invoices]
            found = self._open_cache[cid, currency] = (invoices, keys, {i.invoice_id: i for i in invoices})
        return found

    def _named_doubt(self, s: _Seen, cid: str, open_same: list[m.Invoice]) -> Proposal | None:
        """The remittance names the customer's invoices that this payment cannot settle: paid
        (a possible duplicate), void, or open in another currency."""
        p, who = s.payment, s.who
        own = [h.invoice for h in s.hits if h.invoice.customer_id == cid]
        settled = [i for i in own if i.open_minor < i.amount_minor and not i.voided]
        earlier = {
            q for i in settled for q in self.history.payers_of.get(i.invoice_id, []) if q != p.payment_id
        }
        closed = [i for i in settled if i.open_minor == 0]
        if closed and earlier:
            return duplicates.named_paid(p, cid, who.by, closed, open_same, earlier)
        if (
            earlier
            and open_same
            and p.unapplied_minor
            == sum(i.amount_minor for i in open_same)
            != sum(i.open_minor for i in open_same)
        ):
            # The full original amount again for invoices another payment already part-paid.
            return duplicates.named_paid(p, cid, who.by, open_same, (), earlier)
        voided = [i for i in own if i.voided]
        if voided and not open_same:
            ids = ", ".join(i.invoice_id for i in voided)
            return doubt(
                p, cid, who.by, "REFERENCE_TO_VOIDED_INVOICE", f"Remittance names {ids}, which is void."
            )
        other_currency = [i for i in own if i.open_minor > 0 and i.currency != p.currency]
        if other_currency and not open_same:
            ids = ", ".join(i.invoice_id for i in other_currency)
            summary = f"Remittance names {ids}, open in another currency than the {p.currency} paid."
            return doubt(p, cid, who.by, "REFERENCE_IN_OTHER_CURRENCY", summary)
        return None

    def _put(self, proposal: Proposal) -> None:
        if proposal.payment_id in self.partners and proposal.outcome is not m.DecisionOutcome.AUTO_APPLIED:
            return
        self.proposals[proposal.payment_id] = proposal
        if proposal.outcome is m.DecisionOutcome.AUTO_APPLIED:
            for a in proposal.allocations:
                self.taken[a.invoice_id] = proposal.payment_id

    def _decide_advice(self, cases: list[_Case]) -> list[_Case]:
        """Payments whose remittance advice allocates them whole, first: the payer's own
        allocation outranks every reading of the references alone. Returns the other cases."""
        rest: list[_Case] = []
        for c in cases:
            pay = c.facts.payment
            free = not any(i.invoice_id in self.taken for i in c.named)
            if pay.remittance_lines and pay.payment_id not in self.partners and free:
                decided = by_advice.decide(c.facts, c.named)
                if decided is not None:
                    self._put(decided)
                    continue
            rest.append(c)
        return rest

    def _decide_references(self, cases: list[_Case]) -> list[Facts]:
        """Reference-backed payments; returns those left to the amount search."""
        cases = self._decide_advice(cases)
        named = {c.facts.payment.payment_id: c.named for c in cases if c.named}
        by_id = {c.facts.payment.payment_id: c for c in cases}
        for cluster in groups.reference_clusters(named):
            facts = [by_id[pid].facts for pid in cluster]
            if self._one_customer_with_batch(facts):
                for proposal in groups.by_references(facts, named).values():
                    self._put(proposal)
        left: list[Facts] = []
        for c in cases:
            pay = c.facts.payment
            if pay.payment_id in self.proposals or pay.payment_id in self.partners:
                continue
            claimed = [i for i in c.named if i.invoice_id in self.taken]
            if claimed:
                by = {self.taken[i.invoice_id] for i in claimed}
                self._put(
                    duplicates.claimed_in_run(pay, c.facts.customer_id, c.facts.identified_by, claimed, by)
                )
                continue
            near = [i for i in c.near if i.invoice_id not in self.taken]
            decided = by_reference.decide(c.facts, c.named, near, c.neighbours, c.cut_key)
            if decided is None:
                left.append(c.facts)
            else:
                self._put(decided)
        return left

    def _decide_amounts(self, pending: list[Facts]) -> None:
        """Amount-only payments: possible duplicates first, then the exact search per customer,
        currency and value date, then conflicts, then split transfers searched together."""
        searched: list[Facts] = []
        for f in pending:
            if f.payment.payment_id in self.partners:
                continue
            earlier = duplicates.same_amount_before(f.payment, self._applied_of(f.customer_id))
            if earlier:
                self._put(duplicates.same_amount(f.payment, f.customer_id, f.identified_by, earlier))
            else:
                searched.append(f)
        by_group: dict[tuple[str, str, dt.date], list[Facts]] = {}
        for f in searched:
            by_group.setdefault((f.customer_id, f.payment.currency, f.payment.value_date), []).append(f)
        amount_proposals: dict[str, Proposal] = {}
        for group in by_group.values():
            invoices = self._settled_before(group)
            for f, proposal in zip(group, by_amount.decide_group(group, invoices), strict=True):
                amount_proposals[f.payment.payment_id] = self._outranked(f, proposal)
        amount_proposals.update(_refuse_conflicts(amount_proposals))
        for proposal in amount_proposals.values():
            self._put(proposal)
        unexplained = [
            f
            for f in searched
            if self.proposals[f.payment.payment_id].outcome is not m.DecisionOutcome.AUTO_APPLIED
        ]
        self._bundle(unexplained + [f for f in pending if f.payment.payment_id in self.partners])

    def _one_customer_with_batch(self, facts: Sequence[Facts]) -> bool:
        """A group is tried only for one customer and currency, and with a payment of the batch."""
        return (
            len({f.customer_id for f in facts}) == 1
            and len({f.payment.currency for f in facts}) == 1
            and any(f.payment.payment_id not in self.partners for f in facts)
        )

    def _applied_of(self, customer_id: str) -> list[m.Payment]:
        """Payments of the customer already carrying applications, and those this run applies."""
        run = [
            self._payment_of(pid)
            for pid, p in self.proposals.items()
            if p.outcome is m.DecisionOutcome.AUTO_APPLIED and p.customer_id == customer_id
        ]
        return [*self.history.applied.get(customer_id, []), *[p for p in run if p is not None]]

    def _payment_of(self, payment_id: str) -> m.Payment | None:
        return self._payments.get(payment_id)

    def _free(self, f: Facts) -> list[m.Invoice]:
        """The customer's open invoices in the payment's currency that no payment of this run
        takes and no remittance of this run names: what split transfers may still settle."""
        return [
            i for i in f.open_invoices if i.invoice_id not in self.taken and i.invoice_id not in self.named
        ]

    def _settled_before(self, group: Sequence[Facts]) -> list[m.Invoice]:
        """The open invoices an amount-only payment may be counted against: all of the
        customer's but those settled in this run by a payment that came before it."""
        first = min((f.payment.value_date, f.payment.payment_id) for f in group)
        before = {
            invoice_id
            for invoice_id, pid in self.taken.items()
            if (self._payments[pid].value_date, pid) < first
        }
        return [i for i in group[0].open_invoices if i.invoice_id not in before]

    def _outranked(self, f: Facts, proposal: Proposal) -> Proposal:
        """An amount-only answer is only a suggestion when a remittance names one of its invoices
        (evidence outranks it) or the payment's own remittance names other invoices."""
        if proposal.outcome is not m.DecisionOutcome.AUTO_APPLIED:
            return proposal
        ids = {a.invoice_id for a in proposal.allocations}
        if ids & (self.named | set(self.taken)):
            reason, why = "INVOICE_NAMED_BY_ANOTHER_PAYMENT", "another payment's remittance names"
        elif f.payment.payment_id in self.conflicted:
            reason, why = "REFERENCE_CONFLICTS_WITH_AMOUNT", "the remittance names other invoices than"
        else:
            return proposal
        summary = f"{proposal.explanation.summary} But {why} {', '.join(sorted(ids))}; a person must decide."
        return doubt(
            f.payment, f.customer_id, f.identified_by, reason, summary, proposal.explanation.candidates
        )

    def _bundle(self, unexplained: list[Facts]) -> None:
        groups_of: dict[tuple[str, str], list[Facts]] = {}
        for f in unexplained:
            groups_of.setdefault((f.customer_id, f.payment.currency), []).append(f)
        for group in groups_of.values():
            if len(group) >= 2 and self._one_customer_with_batch(group):
                self._bundle_by_date(group)

    def _bundle_by_date(self, group: list[Facts]) -> None:
        """Searches a customer's unexplained transfers in windows of SPLIT_WINDOW_DAYS by value
        date: the transfers of one split arrive within days of each other, and transfers weeks
        apart would only compete with them (a contested group is never applied). Each window
        starts where the previous one's first half ended, so transfers up to half a window
        apart always meet in one."""
        pending = sorted(group, key=lambda f: (f.payment.value_date, f.payment.payment_id))
        span, step = dt.timedelta(days=SPLIT_WINDOW_DAYS), dt.timedelta(days=SPLIT_WINDOW_DAYS // 2)
        while len(pending) >= 2:
            start = pending[0].payment.value_date
            window = [f for f in pending if f.payment.value_date <= start + span][:MAX_BUNDLE_PAYMENTS]
            if len(window) >= 2 and self._one_customer_with_batch(window):
                for proposal in groups.by_amount(window, self._free(window[0])).values():
                    self._put(proposal)
            searched = {f.payment.payment_id for f in window}
            pending = [
                f
                for f in pending[1:]
                if not self._applied(f)
                and (f.payment.value_date >= start + step or f.payment.payment_id not in searched)
            ]

    def _applied(self, f: Facts) -> bool:
        proposal = self.proposals.get(f.payment.payment_id)
        return proposal is not None and proposal.outcome is m.DecisionOutcome.AUTO_APPLIED


def _near(
    s: _Seen, invoices: list[m.Invoice], keys: list[str], named: list[m.Invoice], cut: str | None
) -> tuple[list[m.Invoice], list[m.Invoice]]:
    """Invoices that tokens without a hit nearly name (edit distance 1), and the
    edit-distance-1 neighbours of every token (a typo may land on a real number); the latter
    only matter when the payment names invoices. The number the bank cut off is no typo: the cut
    rule alone reads it. `keys`: the invoices' reference keys, in their order."""
    hit_keys = {reference_key(h.invoice.invoice_id) for h in s.hits}
    all_near = near_keys(s.tokens)
    # near_keys filters token by token: those of the tokens without a hit are a subset of all's.
    unhit = {k for k in all_near if k not in hit_keys and (cut is None or not k.startswith(cut))}
    probes = all_near if named else sorted(unhit)
    if not probes:
        return [], []
    close: set[int] = set()  # invoices some probe nearly names
    close_unhit: set[int] = set()  # invoices some probe without a hit nearly names
    # Every probe against every key in one call: comparing in C beats skipping in Python.
    for probe, found in zip(probes, near_indexes(probes, keys), strict=True):
        close.update(found)
        if probe in unhit:
            close_unhit.update(found)
    if not close:
        return [], []
    # By id: comparing the invoices themselves compared every field of each (a tenth of deciding).
    named_ids = {inv.invoice_id for inv in named}
    near = [invoices[n] for n in sorted(close_unhit) if invoices[n].invoice_id not in named_ids]
    neighbours = (
        [invoices[n] for n in sorted(close) if invoices[n].invoice_id not in named_ids] if named else []
    )
    return near, neighbours


def _cut_key(s: _Seen) -> str | None:
    """The start of the number the bank cut off a long remittance, unless the last number is
    whole (it names an invoice exactly)."""
    cut = cut_last_key(s.payment.remittance_info)
    return None if cut in {reference_key(h.invoice.invoice_id) for h in s.hits} else cut


def _refuse_conflicts(proposals: dict[str, Proposal]) -> dict[str, Proposal]:
    """Two amount-only payments must never both be auto-applied to one invoice in a run: which
    one paid it is a question for a person (or the two are a split, tried next)."""
    claims: dict[str, list[str]] = {}
    for pid, p in proposals.items():
        if p.outcome is m.DecisionOutcome.AUTO_APPLIED:
            for a in p.allocations:
                claims.setdefault(a.invoice_id, []).append(pid)
    contested_ids = {pid for pids in claims.values() if len(pids) > 1 for pid in pids}
    return {pid: contested(proposals[pid]) for pid in contested_ids}
