"""The seeded generator: a world of customers, open invoices, credit memos, a bank file of
payments and the truth of each payment. Same seed and sizes -> byte-identical world.

Payments are planned in three passes. First the reference-backed payments (their truth follows
from the remittance and the amount), then the follow-ups that repeat or name an earlier payment,
then the payments whose truth rests on the amount alone: those are judged against the complete
timeline of the customer's invoices (see book.py) and kept only when that judgement does not
depend on the order in which the bank file is worked through.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from bench.quality import population, remittance
from bench.quality.accounts import payer_account
from bench.quality.book import AmountCheck, Book
from bench.quality.kinds import AMOUNT_EVIDENCE_KINDS, FOLLOW_UP_KINDS, Kind, quotas
from bench.quality.names import bank_variant, unknown_name
from bench.quality.population import TODAY
from bench.quality.truth import AmountClass, Outcome, Truth, discount_minor, exact_count
from bench.quality.world import CreditMemo, Customer, Invoice, Payment, World

# Attempts to place one payment event before giving it up (the world then has one fewer).
MAX_ATTEMPTS_PER_EVENT = 40
# Amount-only judgements re-checked per customer; past this the customer gets no more of them.
MAX_AMOUNT_CHECKS_PER_CUSTOMER = 8
INVOICES_PER_PAYMENT = 2
_BANKS = ("DEUT", "COBA", "INGB", "RABO", "BARC", "CHAS", "BNPA", "GIBA")
_GENERIC_TEXTS = (
    "",
    "",
    "Payment",
    "Zahlung",
    "Sammelzahlung",
    "Vielen Dank",
    "Kd-Nr {customer}",
    "ACCT {customer}",
)
_DISCOUNT_NOTES = ("", " less 2% discount", " abzgl. Skonto", " minus cash discount")
_SHORT_NOTES = ("", " less damaged goods", " minus Maengelabzug", " price difference deducted")
_PARTIAL_FORMATS = (
    "partial payment {ref}",
    "1st instalment {ref}",
    "Teilzahlung {ref}",
    "{ref} instalment 1 of 3",
    "part payment inv {ref}",
)


@dataclass
class Planned:
    seq: int
    kind: Kind
    value_date: date
    amount_minor: int
    currency: str
    payer_account: str
    payer_name: str
    remittance_info: str
    outcome: Outcome
    allocations: dict[str, int] = field(default_factory=dict)
    references: tuple[str, ...] = ()
    group: str | None = None
    note: str = ""
    customer_id: str | None = None


class Generator:
    def __init__(self, seed: int, payments: int, customers: int | None = None) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.target_payments = payments
        customer_count = customers if customers is not None else max(5, payments // 4)
        self.people = population.customers(self.rng, customer_count)
        counts = population.invoice_counts(self.rng, customer_count, INVOICES_PER_PAYMENT * payments)
        self.invoice_list = population.invoices(self.rng, self.people, counts)
        self.book = Book.of(self.rng, self.people, self.invoice_list)
        self.known_ids = set(self.book.invoices)
        self.known_accounts = {a for c in self.people for a in c.payer_accounts}
        self.memos: list[CreditMemo] = []
        self.planned: list[Planned] = []
        self.originals: list[Planned] = []
        self.seq = 0

    # Helpers -------------------------------------------------------------------------------------

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def _payer(self, customer: Customer) -> tuple[str, str]:
        return self.rng.choice(customer.payer_accounts), bank_variant(self.rng, customer.display_name)

    def _fresh_account(self, country: str) -> str:
        while True:
            account = payer_account(self.rng, country)
            if account not in self.known_accounts:
                self.known_accounts.add(account)
                return account

    def _inv(self, invoice_id: str) -> Invoice:
        return self.book.invoices[invoice_id]

    def _date_after(self, invoice_ids: list[str], spread_days: int = 45) -> date:
        low = max(date.fromisoformat(self._inv(i).issue_date) for i in invoice_ids) + timedelta(days=1)
        high = min(TODAY, low + timedelta(days=self.rng.randint(3, spread_days)))
        return low + timedelta(days=self.rng.randint(0, max(0, (high - low).days)))

    def _pick(
        self,
        count: int,
        accept: Callable[[Customer], bool] = lambda c: True,
        cap: int | None = None,
        first: Callable[[Invoice], bool] = lambda i: True,
    ) -> tuple[Customer, list[str]] | None:
        """A customer (weighted by free invoices, damped by `cap`) and `count` of its free invoices."""
        for _ in range(MAX_ATTEMPTS_PER_EVENT):
            invoice = self.book.random_free_invoice()
            if invoice is None:
                return None
            customer = self.book.customers[invoice.customer_id]
            free = self.book.free_of(customer.customer_id)
            if len(free) < count or not accept(customer) or not first(invoice):
                continue
            if cap is not None and self.rng.random() > cap / len(free):
                continue
            others = [i for i in free if i != invoice.invoice_id]
            return customer, [invoice.invoice_id, *self.rng.sample(others, count - 1)]
        return None

    def _open(self, invoice_id: str) -> int:
        return self.book.open0[invoice_id]

    def _no_rival(self, customer: Customer, amount: int, named: list[str]) -> bool:
        """No other subset of the customer's invoices meets the amount exactly: otherwise the
        reference and the amount would point different ways, which a clerk would look into."""
        others = [self._open(i) for i in self.book.by_customer[customer.customer_id] if i not in named]
        return exact_count(amount, others) == 0

    def _add(
        self,
        kind: Kind,
        customer: Customer | None,
        when: date,
        amount: int,
        text: str,
        outcome: Outcome,
        allocations: dict[str, int] | None = None,
        remaining: dict[str, int] | None = None,
        **extra: object,
    ) -> Planned:
        """Plans one payment; `remaining` (invoice -> open after it) records its effect."""
        account, name = self._payer(customer) if customer is not None else ("", "")
        values: dict[str, object] = {
            "seq": self._next_seq(),
            "kind": kind,
            "value_date": when,
            "amount_minor": amount,
            "currency": customer.currency if customer is not None else "EUR",
            "payer_account": account,
            "payer_name": name,
            "remittance_info": text,
            "outcome": outcome,
            "allocations": dict(allocations or {}),
            "customer_id": customer.customer_id if customer is not None else None,
        }
        values.update(extra)
        planned = Planned(**values)  # type: ignore[arg-type]
        self.planned.append(planned)
        owner = planned.group or f"p{planned.seq}"
        for invoice_id, left in (remaining or {}).items():
            self.book.settle((when, planned.seq), invoice_id, left, owner)
        return planned

    def _reserve(self, invoice_ids: list[str]) -> None:
        for invoice_id in invoice_ids:
            self.book.reserve(invoice_id)

    # Pass 1: reference-backed payments ----------------------------------------------------------

    def single_ref(self) -> bool:
        picked = self._pick(1)
        if picked is None:
            return False
        customer, (invoice_id,) = picked
        amount = self._open(invoice_id)
        structured = self.rng.random() < 0.1
        text = "" if structured else remittance.single(self.rng, invoice_id, customer.customer_id)
        self._reserve([invoice_id])
        planned = self._add(
            Kind.SINGLE_REF,
            customer,
            self._date_after([invoice_id]),
            amount,
            text,
            Outcome.APPLY,
            {invoice_id: amount},
            {invoice_id: 0},
            references=(invoice_id,) if structured else (),
        )
        self.originals.append(planned)
        return True

    def multi_ref(self) -> bool:
        count = self.rng.choices(range(2, 9), weights=(30, 22, 15, 11, 9, 7, 6))[0]
        picked = self._pick(count)
        if picked is None:
            return False
        customer, ids = picked
        if self.rng.random() < 0.5:
            ids.sort()
        text = remittance.multi(self.rng, ids)
        while len(text) > remittance.REMITTANCE_MAX_CHARS:
            ids.pop()
            text = remittance.multi(self.rng, ids)
        amounts = {i: self._open(i) for i in ids}
        self._reserve(ids)
        planned = self._add(
            Kind.MULTI_REF,
            customer,
            self._date_after(ids),
            sum(amounts.values()),
            text,
            Outcome.APPLY,
            amounts,
            dict.fromkeys(ids, 0),
        )
        self.originals.append(planned)
        return True

    def discount_in_window(self) -> bool:
        picked = self._pick(1, accept=lambda c: c.terms.discount_days > 0)
        if picked is None:
            return False
        customer, (first_id,) = picked
        days = customer.terms.discount_days
        first_issue = date.fromisoformat(self._inv(first_id).issue_date)
        # Companions issued up to days-1 before the first, so one value date is inside every window.
        companions = [
            i
            for i in self.book.free_of(customer.customer_id)
            if i != first_id and 0 <= (first_issue - date.fromisoformat(self._inv(i).issue_date)).days < days
        ]
        extra = self.rng.choice((0, 0, 0, 1, 2))
        ids = [first_id, *self.rng.sample(companions, min(extra, len(companions)))]
        earliest = min(date.fromisoformat(self._inv(i).issue_date) for i in ids)
        low, high = first_issue + timedelta(days=1), min(TODAY, earliest + timedelta(days=days))
        when = low + timedelta(days=self.rng.randint(0, (high - low).days))
        convention = self.rng.choice(("truncate", "half_up", "truncate_total", "half_up_total"))
        half_up = convention.startswith("half_up")
        bp = customer.terms.discount_basis_points
        discounts = {i: discount_minor(self._open(i), bp, half_up=half_up) for i in ids}
        note = f"payer's convention: {convention}"
        if convention.endswith("_total"):
            total = discount_minor(sum(self._open(i) for i in ids), bp, half_up=half_up)
            if total != sum(discounts.values()):
                # Which invoice carries a total's rounding cent is the payer's secret: such a
                # payment would make the truth's cash per invoice a guess, so the payer rounds
                # per invoice here instead.
                note = f"payer's convention: {convention.removesuffix('_total')} (total differed)"
        cash = {i: self._open(i) - discounts[i] for i in ids}
        amount = sum(cash.values())
        if any(d <= 0 for d in discounts.values()) or not self._no_rival(customer, amount, ids):
            return False
        text = remittance.multi(self.rng, ids) if len(ids) > 1 else remittance.single(self.rng, ids[0], "")
        text += self.rng.choice(_DISCOUNT_NOTES)
        self._reserve(ids)
        self._add(
            Kind.DISCOUNT_IN_WINDOW,
            customer,
            when,
            amount,
            text.strip(),
            Outcome.APPLY,
            cash,
            dict.fromkeys(ids, 0),
            note=note,
        )
        return True

    def _late_invoice(self) -> tuple[Customer, str, date] | None:
        def old_enough(invoice: Invoice) -> bool:
            days = self.book.customers[invoice.customer_id].terms.discount_days
            return date.fromisoformat(invoice.issue_date) + timedelta(days=days + 3) <= TODAY

        picked = self._pick(1, accept=lambda c: c.terms.discount_days > 0, first=old_enough)
        if picked is None:
            return None
        customer, (invoice_id,) = picked
        low = date.fromisoformat(self._inv(invoice_id).issue_date) + timedelta(
            days=customer.terms.discount_days + 3
        )
        high = min(TODAY, low + timedelta(days=30))
        return customer, invoice_id, low + timedelta(days=self.rng.randint(0, (high - low).days))

    def discount_late_ref(self) -> bool:
        late = self._late_invoice()
        if late is None:
            return False
        customer, invoice_id, when = late
        amount = self._open(invoice_id) - discount_minor(
            self._open(invoice_id), customer.terms.discount_basis_points, half_up=True
        )
        if amount >= self._open(invoice_id) or not self._no_rival(customer, amount, [invoice_id]):
            return False
        text = remittance.single(self.rng, invoice_id, customer.customer_id) + self.rng.choice(
            _DISCOUNT_NOTES
        )
        self._reserve([invoice_id])
        self._add(
            Kind.DISCOUNT_LATE_REF,
            customer,
            when,
            amount,
            text,
            Outcome.APPLY,
            {invoice_id: amount},
            {invoice_id: 0},
            note="discount taken after the window: apply the cash, the unearned discount is a deduction",
        )
        return True

    def _short(
        self, kind: Kind, shortfall: Callable[[Customer, int], int | None], notes: tuple[str, ...]
    ) -> bool:
        picked = self._pick(1)
        if picked is None:
            return False
        customer, (invoice_id,) = picked
        open_minor = self._open(invoice_id)
        short = shortfall(customer, open_minor)
        if short is None or not 0 < short < open_minor:
            return False
        amount = open_minor - short
        if not self._no_rival(customer, amount, [invoice_id]):
            return False
        text = remittance.single(self.rng, invoice_id, customer.customer_id) + self.rng.choice(notes)
        self._reserve([invoice_id])
        self._add(
            kind,
            customer,
            self._date_after([invoice_id]),
            amount,
            text,
            Outcome.APPLY,
            {invoice_id: amount},
            {invoice_id: 0},
        )
        return True

    def short_pay(self) -> bool:
        def shortfall(customer: Customer, open_minor: int) -> int | None:
            short = max(
                (customer.tolerance_minor or 0) + 5_000, int(open_minor * self.rng.uniform(0.05, 0.3))
            )
            return short if short < open_minor // 2 else None

        return self._short(Kind.SHORT_PAY, shortfall, _SHORT_NOTES)

    def bank_fee(self) -> bool:
        def shortfall(customer: Customer, open_minor: int) -> int | None:
            if customer.tolerance_minor is None:
                return None
            fees = [f for f in (250, 500, 750, 1000, 1200, 1500, 2000, 2500) if f <= customer.tolerance_minor]
            return self.rng.choice(fees) if open_minor > 20 * fees[0] else None

        return self._short(Kind.BANK_FEE, shortfall, ("",))

    def overpayment(self) -> bool:
        picked = self._pick(1)
        if picked is None:
            return False
        customer, (invoice_id,) = picked
        open_minor = self._open(invoice_id)
        excess = self.rng.choice(
            (int(open_minor * self.rng.uniform(0.01, 0.2)), self.rng.choice((1_000, 5_000, 10_000)))
        )
        amount = open_minor + max(excess, 100)
        if not self._no_rival(customer, amount, [invoice_id]):
            return False
        self._reserve([invoice_id])
        self._add(
            Kind.OVERPAYMENT,
            customer,
            self._date_after([invoice_id]),
            amount,
            remittance.single(self.rng, invoice_id, customer.customer_id),
            Outcome.APPLY,
            {invoice_id: open_minor},
            {invoice_id: 0},
            note="excess stays on account",
        )
        return True

    def ocr_damaged(self) -> bool:
        picked = self._pick(1)
        if picked is None:
            return False
        customer, (invoice_id,) = picked
        amount = self._open(invoice_id)
        damaged = remittance.lookalike(self.rng, invoice_id) if self.rng.random() < 0.4 else None
        outcome, note = Outcome.APPLY, "look-alike characters: the reference reads back exactly"
        if damaged is None:
            damaged = remittance.digit_damage(self.rng, invoice_id)
            if damaged is None:
                return False
            near = [
                i
                for i in self.book.by_customer[customer.customer_id]
                if self._open(i) == amount and remittance.within_one_edit(damaged, i)
            ]
            if damaged in self.known_ids:
                # Debatable, so QUEUE: the text names a real invoice (often another customer's:
                # a payer may settle a sister company's bill), while the amount and the payer
                # point to the invoice one edit away. A clerk has to look at both.
                outcome, note = Outcome.QUEUE, "the damaged reference is another existing invoice number"
            elif near != [invoice_id]:
                outcome, note = Outcome.QUEUE, "several invoices one edit away carry the same amount"
            else:
                note = "one digit damaged; the only invoice one edit away has exactly this amount"
        self._reserve([invoice_id])
        self._add(
            Kind.OCR_DAMAGED,
            customer,
            self._date_after([invoice_id]),
            amount,
            remittance.single(self.rng, damaged, customer.customer_id),
            outcome,
            {invoice_id: amount} if outcome is Outcome.APPLY else {},
            {invoice_id: 0} if outcome is Outcome.APPLY else {},
            note=note,
        )
        return True

    def name_variant(self) -> bool:
        picked = self._pick(1)
        if picked is None:
            return False
        customer, (invoice_id,) = picked
        amount = self._open(invoice_id)
        self._reserve([invoice_id])
        self._add(
            Kind.NAME_VARIANT,
            customer,
            self._date_after([invoice_id]),
            amount,
            remittance.single(self.rng, invoice_id, ""),
            Outcome.APPLY,
            {invoice_id: amount},
            {invoice_id: 0},
            payer_account=self._fresh_account(customer.country),
            payer_name=bank_variant(self.rng, customer.display_name),
            note="payer account not on file; the reference and the exact amount identify the invoice",
        )
        return True

    def credit_memo_net(self) -> bool:
        picked = self._pick(1, first=lambda i: i.amount_minor >= 10_000)
        if picked is None:
            return False
        customer, (invoice_id,) = picked
        gross = self._open(invoice_id)
        memo = int(gross * self.rng.uniform(0.05, 0.4))
        if self.rng.random() < 0.4:
            memo = max(100, memo // 1_000 * 1_000)
        net = gross - memo
        if not self._no_rival(customer, net, [invoice_id]):
            return False
        memo_id = f"CM-2026-{len(self.memos) + 1:05d}"
        self.memos.append(
            CreditMemo(
                memo_id, invoice_id, memo, customer.currency, self.rng.choice(("DAMAGED", "RETURN", "PRICE"))
            )
        )
        self.book.open0[invoice_id] = net
        text = self.rng.choice(("{ref}", "{ref} less credit note {cm}", "{ref} ./. {cm}", "RE {ref} GS {cm}"))
        self._reserve([invoice_id])
        self._add(
            Kind.CREDIT_MEMO_NET,
            customer,
            self._date_after([invoice_id]),
            net,
            text.format(ref=invoice_id, cm=memo_id),
            Outcome.APPLY,
            {invoice_id: net},
            {invoice_id: 0},
            note=f"invoice net of credit memo {memo_id}",
        )
        return True

    def partial(self) -> bool:
        picked = self._pick(1, first=lambda i: i.amount_minor >= 20_000)
        if picked is None:
            return False
        customer, (invoice_id,) = picked
        open_minor = self._open(invoice_id)
        amount = int(open_minor * self.rng.uniform(0.2, 0.6))
        if self.rng.random() < 0.5:
            amount = max(100, amount // 100 * 100)
        if not self._no_rival(customer, amount, [invoice_id]):
            return False
        self._reserve([invoice_id])
        self._add(
            Kind.PARTIAL,
            customer,
            self._date_after([invoice_id]),
            amount,
            self.rng.choice(_PARTIAL_FORMATS).format(ref=invoice_id),
            Outcome.APPLY,
            {invoice_id: amount},
            {invoice_id: open_minor - amount},
            note="the remittance says partial: the rest stays open",
        )
        return True

    def _split_amounts(self, total: int) -> list[int]:
        parts = 2 if self.rng.random() < 0.75 else 3
        cuts = sorted(self.rng.sample(range(max(1, total // 7), total - total // 7), parts - 1))
        bounds = [0, *cuts, total]
        return [b - a for a, b in itertools.pairwise(bounds)]

    def _plan_split(
        self, kind: Kind, customer: Customer, ids: list[str], amounts: list[int], text: str
    ) -> None:
        """Transfers that settle `ids` only together; cash is spread over the invoices in order."""
        group = f"g{self.seq + 1}"
        when = self._date_after(ids)
        open_left = {i: self._open(i) for i in ids}
        for index, amount in enumerate(amounts):
            cash: dict[str, int] = {}
            left = amount
            for invoice_id in ids:
                take = min(left, open_left[invoice_id])
                if take > 0:
                    cash[invoice_id] = take
                    open_left[invoice_id] -= take
                    left -= take
            part_text = f"{text} part {index + 1}/{len(amounts)}".strip() if text else ""
            day = min(TODAY, when + timedelta(days=self.rng.choice((0, 0, 1, 2)) if index else 0))
            self._add(
                kind,
                customer,
                day,
                amount,
                part_text,
                Outcome.APPLY,
                cash,
                dict.fromkeys(ids, 0) if index == len(amounts) - 1 else {},
                group=group,
                note="judged with the other transfers of its group",
            )

    def split_ref(self) -> bool:
        picked = self._pick(self.rng.randint(1, 3), first=lambda i: i.amount_minor >= 5_000)
        if picked is None:
            return False
        customer, ids = picked
        total = sum(self._open(i) for i in ids)
        if total < 5_000:
            return False
        self._reserve(ids)
        text = remittance.multi(self.rng, ids) if len(ids) > 1 else remittance.single(self.rng, ids[0], "")
        self._plan_split(Kind.SPLIT_REF, customer, ids, self._split_amounts(total), text)
        return True

    # Pass 1b: follow-ups and payments nobody can place ------------------------------------------

    def duplicate(self) -> bool:
        singles = [p for p in self.originals[-MAX_ATTEMPTS_PER_EVENT * 50 :] if p.kind is Kind.SINGLE_REF]
        candidates = [p for p in self.rng.sample(singles, min(len(singles), MAX_ATTEMPTS_PER_EVENT))
                      if p.value_date <= TODAY - timedelta(days=2)]  # fmt: skip
        if not candidates:
            return False
        original = candidates[0]
        when = min(TODAY, original.value_date + timedelta(days=self.rng.randint(2, 10)))
        self.planned.append(
            Planned(
                seq=self._next_seq(),
                kind=Kind.DUPLICATE,
                value_date=when,
                amount_minor=original.amount_minor,
                currency=original.currency,
                payer_account=original.payer_account,
                payer_name=original.payer_name,
                remittance_info=original.remittance_info,
                references=original.references,
                outcome=Outcome.QUEUE,
                customer_id=original.customer_id,
                note="same payer, amount and reference as an applied payment",
            )
        )
        return True

    def paid_reference(self) -> bool:
        sample = self.rng.sample(self.originals, min(len(self.originals), MAX_ATTEMPTS_PER_EVENT))
        candidates = [p for p in sample if p.value_date < TODAY]
        if not candidates:
            return False
        original = candidates[0]
        assert original.customer_id is not None
        customer = self.book.customers[original.customer_id]
        paid_id = self.rng.choice(sorted(original.allocations))
        free = self.book.free_of(customer.customer_id)
        # Half the time the amount is exactly another open invoice's: the trap of searching by amount.
        if free and self.rng.random() < 0.5:
            amount = self._open(self.rng.choice(free))
        else:
            amount = max(1_000, int(self._open(paid_id) * self.rng.uniform(0.3, 1.7)))
        when = min(TODAY, original.value_date + timedelta(days=self.rng.randint(1, 20)))
        self._add(
            Kind.PAID_REFERENCE,
            customer,
            when,
            amount,
            remittance.single(self.rng, paid_id, customer.customer_id),
            Outcome.QUEUE,
            note="the remittance names an invoice that is already paid: possible duplicate",
        )
        return True

    def unknown_payer(self) -> bool:
        country = self.rng.choice(("DE", "NL", "AT", "GB"))
        invoice = self.book.random_free_invoice()
        if invoice is not None and self.rng.random() < 0.4:
            amount = self._open(invoice.invoice_id)
        else:
            amount = max(500, int(80_000 * math.exp(self.rng.gauss(0, 1))))
        text = self.rng.choice(
            ("", "Payment", "Order 4711", f"Ref {self.rng.randrange(10**6, 10**7)}", "Invoice")
        )
        when = TODAY - timedelta(days=self.rng.randint(0, 60))
        self._add(
            Kind.UNKNOWN_PAYER,
            None,
            when,
            amount,
            text,
            Outcome.QUEUE,
            payer_account=self._fresh_account(country),
            payer_name=unknown_name(self.rng),
            currency="GBP" if country == "GB" else "EUR",
            note="nobody on the books pays from this account or name",
        )
        return True

    def other_currency(self) -> bool:
        picked = self._pick(1)
        if picked is None:
            return False
        customer, (invoice_id,) = picked
        currency = self.rng.choice(("USD", "GBP")) if customer.currency == "EUR" else "EUR"
        amount = self._open(invoice_id)
        if self.rng.random() < 0.5:
            amount = int(amount * self.rng.uniform(0.85, 1.2))
        self._reserve([invoice_id])
        self._add(
            Kind.OTHER_CURRENCY,
            customer,
            self._date_after([invoice_id]),
            amount,
            remittance.single(self.rng, invoice_id, customer.customer_id),
            Outcome.QUEUE,
            currency=currency,
            note="a payment applies only to invoices of its currency",
        )
        return True

    # Pass 2: payments whose truth rests on the amount -------------------------------------------

    def _customer_has_room(self, customer: Customer) -> bool:
        return len(self.book.checks.get(customer.customer_id, [])) < MAX_AMOUNT_CHECKS_PER_CUSTOMER

    def _generic_text(self, customer: Customer) -> str:
        return self.rng.choice(_GENERIC_TEXTS).format(customer=customer.customer_id)

    def _judge(
        self,
        customer: Customer,
        amounts: list[tuple[int, AmountClass]],
        when: date,
        owner: str,
        effects: dict[str, int],
        excluded: frozenset[str] = frozenset(),
    ) -> bool:
        """Whether each amount has its expected class in every view, and the effects of this
        payment leave every earlier amount judgement of the customer as it was. On success the
        effects and checks are recorded; on failure nothing is."""
        order = (when, self.seq + 1)
        cid = customer.customer_id
        for amount, expected in amounts:
            if self.book.amount_class(cid, amount, order, owner, excluded, expected) is not expected:
                return False
        for invoice_id, left in effects.items():
            self.book.settle(order, invoice_id, left, owner)
        checks = self.book.checks.setdefault(cid, [])
        checks.extend(
            AmountCheck(cid, amount, order, owner, expected, excluded) for amount, expected in amounts
        )
        if effects and not self.book.still_consistent(cid):
            self.book.rollback(cid, owner)
            return False
        return True

    def amount_only_unique(self) -> bool:
        count = self.rng.choices(range(1, 9), weights=(40, 20, 12, 8, 7, 5, 4, 4))[0]
        picked = self._pick(count, accept=self._customer_has_room, cap=12)
        if picked is None:
            return False
        customer, ids = picked
        amount = sum(self._open(i) for i in ids)
        when = self._date_after(ids)
        owner = f"p{self.seq + 1}"
        if not self._judge(customer, [(amount, AmountClass.UNIQUE)], when, owner, dict.fromkeys(ids, 0)):
            return False
        self._reserve(ids)
        self._add(
            Kind.AMOUNT_ONLY_UNIQUE,
            customer,
            when,
            amount,
            self._generic_text(customer),
            Outcome.APPLY,
            {i: self._open(i) for i in ids},
            note=f"exactly one subset ({len(ids)} invoices) meets the amount",
        )
        return True

    def amount_only_ambiguous(self) -> bool:
        def has_twin(invoice: Invoice) -> bool:
            free = self.book.free_of(invoice.customer_id)
            return any(
                i != invoice.invoice_id and self._open(i) == self._open(invoice.invoice_id) for i in free
            )

        picked = self._pick(2, accept=self._customer_has_room, cap=20, first=has_twin)
        if picked is None:
            return False
        customer, (invoice_id, _) = picked
        amount = self._open(invoice_id)
        when = self._date_after([invoice_id])
        if not self._judge(customer, [(amount, AmountClass.AMBIGUOUS)], when, f"p{self.seq + 1}", {}):
            return False
        self._add(
            Kind.AMOUNT_ONLY_AMBIGUOUS,
            customer,
            when,
            amount,
            self._generic_text(customer),
            Outcome.QUEUE,
            note="two or more subsets meet the amount exactly",
        )
        return True

    def amount_only_no_match(self) -> bool:
        picked = self._pick(1, accept=self._customer_has_room, cap=12)
        if picked is None:
            return False
        customer, (invoice_id,) = picked
        amount = self._open(invoice_id) + self.rng.choice((-1, 1)) * self.rng.randint(3_000, 40_000)
        if amount <= 0:
            return False
        when = self._date_after([invoice_id])
        if not self._judge(customer, [(amount, AmountClass.NONE)], when, f"p{self.seq + 1}", {}):
            return False
        self._add(
            Kind.AMOUNT_ONLY_NO_MATCH,
            customer,
            when,
            amount,
            self._generic_text(customer),
            Outcome.QUEUE,
            note="no subset meets the amount, not even with a discount or a write-off",
        )
        return True

    def discount_late_no_ref(self) -> bool:
        late = self._late_invoice()
        if late is None or not self._customer_has_room(late[0]):
            return False
        customer, invoice_id, when = late
        amount = self._open(invoice_id) - discount_minor(
            self._open(invoice_id), customer.terms.discount_basis_points, half_up=True
        )
        if not self._judge(customer, [(amount, AmountClass.NONE)], when, f"p{self.seq + 1}", {}):
            return False
        self._reserve([invoice_id])
        self._add(
            Kind.DISCOUNT_LATE_NO_REF,
            customer,
            when,
            amount,
            self._generic_text(customer),
            Outcome.QUEUE,
            note="a discount taken after the window, with no reference: nothing explains the amount",
        )
        return True

    def multi_ref_truncated(self) -> bool:
        picked = self._pick(16, accept=self._customer_has_room)
        if picked is None:
            return False
        customer, ids = picked
        try:
            text, complete = remittance.truncated(self.rng, ids)
        except ValueError:
            return False
        ids = ids[: complete + 1]
        named, cut = frozenset(ids[:complete]), ids[complete]
        amount = sum(self._open(i) for i in ids)
        when = self._date_after(ids)
        owner = f"p{self.seq + 1}"
        remainder = self._open(cut)
        if self._judge(
            customer, [(remainder, AmountClass.UNIQUE)], when, owner, dict.fromkeys(ids, 0), named
        ):
            outcome, cash = Outcome.APPLY, {i: self._open(i) for i in ids}
            note = "the remainder after the named invoices is exactly one open invoice, the cut one"
        elif self._judge(
            customer,
            [(remainder, AmountClass.AMBIGUOUS)],
            when,
            owner,
            dict.fromkeys(sorted(named), 0),
            named,
        ):
            # Every complete reference is correct and the money covers them: like an overpayment,
            # they are applied in full and the remainder (which several subsets would meet, so
            # it names nobody for sure) stays unapplied for a clerk.
            outcome, cash = Outcome.APPLY, {i: self._open(i) for i in ids[:complete]}
            note = "named invoices in full; the remainder is met by several subsets and stays unapplied"
        else:
            return False
        self._reserve(ids)
        self._add(Kind.MULTI_REF_TRUNCATED, customer, when, amount, text, outcome, cash, note=note)
        return True

    def split_no_ref(self) -> bool:
        picked = self._pick(self.rng.randint(1, 3), accept=self._customer_has_room, cap=12)
        if picked is None:
            return False
        customer, ids = picked
        total = sum(self._open(i) for i in ids)
        if total < 5_000:
            return False
        parts = self._split_amounts(total)
        partial_sums = {sum(parts[a : a + n]) for n in range(1, len(parts)) for a in range(len(parts))}
        partial_sums |= {parts[0] + parts[-1]}
        partial_sums.discard(total)
        checks = [(total, AmountClass.UNIQUE), *((s, AmountClass.NONE) for s in sorted(partial_sums))]
        when = self._date_after(ids)
        if not self._judge(customer, checks, when, f"g{self.seq + 1}", dict.fromkeys(ids, 0)):
            return False
        self._reserve(ids)
        # The effects are already recorded by _judge under the group's owner.
        self._plan_split_no_effects(customer, ids, parts, when)
        return True

    def _plan_split_no_effects(
        self, customer: Customer, ids: list[str], parts: list[int], when: date
    ) -> None:
        group = f"g{self.seq + 1}"
        open_left = {i: self._open(i) for i in ids}
        text = self._generic_text(customer)
        for index, amount in enumerate(parts):
            cash: dict[str, int] = {}
            left = amount
            for invoice_id in ids:
                take = min(left, open_left[invoice_id])
                if take > 0:
                    cash[invoice_id], open_left[invoice_id], left = (
                        take,
                        open_left[invoice_id] - take,
                        left - take,
                    )
            day = min(TODAY, when + timedelta(days=self.rng.choice((0, 0, 1)) if index else 0))
            self._add(
                Kind.SPLIT_NO_REF,
                customer,
                day,
                amount,
                text,
                Outcome.APPLY,
                cash,
                group=group,
                note="no reference: together the transfers meet exactly one subset; no part alone does",
            )

    # The whole world ----------------------------------------------------------------------------

    def build(self) -> World:
        events = quotas(self.target_payments)
        order = [kind for kind in Kind for _ in range(events[kind])]
        self.rng.shuffle(order)
        first = [k for k in order if k not in AMOUNT_EVIDENCE_KINDS and k not in FOLLOW_UP_KINDS]
        follow = [k for k in order if k in FOLLOW_UP_KINDS]
        last = [k for k in order if k in AMOUNT_EVIDENCE_KINDS]
        placed: dict[str, int] = {}
        for kind in [*first, *follow, *last]:
            builder: Callable[[], bool] = getattr(self, kind.value)
            for _ in range(3):
                if builder():
                    placed[kind.value] = placed.get(kind.value, 0) + 1
                    break
        return self._emit(events, placed)

    def _emit(self, events: dict[Kind, int], placed: dict[str, int]) -> World:
        self.planned.sort(key=lambda p: (p.value_date, p.seq))
        payments: list[Payment] = []
        truths: list[Truth] = []
        groups: dict[str, str] = {}
        for number, planned in enumerate(self.planned, start=1):
            bank = _BANKS[(planned.seq * 7 + self.seed) % len(_BANKS)]
            payment_id = f"{planned.value_date:%y%m%d}{bank}{number:08d}"
            group = None
            if planned.group is not None:
                group = groups.setdefault(planned.group, f"SPLIT-{len(groups) + 1:05d}")
            payments.append(
                Payment(
                    payment_id,
                    planned.amount_minor,
                    planned.currency,
                    planned.value_date.isoformat(),
                    planned.payer_account,
                    planned.payer_name,
                    planned.remittance_info,
                    planned.references,
                )
            )
            truths.append(
                Truth(
                    payment_id, planned.kind.value, planned.outcome, planned.allocations, group, planned.note
                )
            )
        meta = {
            "payments_requested": self.target_payments,
            "events_requested": {k.value: v for k, v in events.items()},
            "events_placed": dict(sorted(placed.items())),
            "today": TODAY.isoformat(),
        }
        return World(
            self.seed,
            tuple(self.people),
            tuple(self.invoice_list),
            tuple(self.memos),
            tuple(payments),
            tuple(truths),
            meta,
        )


def generate(seed: int, payments: int, customers: int | None = None) -> World:
    """The world of `seed` with about `payments` payment events (split events add transfers)."""
    return Generator(seed, payments, customers).build()
