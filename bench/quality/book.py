"""The generator's ledger of the world: who owes what, what is still free to be paid, and the
timeline of applications, from which every amount-only truth is judged.

An amount-only truth must not depend on the order in which an engine happens to work through
the bank file. So the amount is classified in three views of the customer's open invoices: the
timeline's own (invoices issued by the value date, minus what earlier applied payments settled),
everything before any payment, and everything after every other payment. The generator keeps a
payment only when all three views agree.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from bench.quality.truth import AmountClass, classify, discount_minor, exact_count, near_count
from bench.quality.world import Customer, Invoice

# Payers round a total discount their own way; a few cents of slack keep such sums "near".
TOTAL_ROUNDING_SLACK_MINOR = 2

OrderKey = tuple[date, int]


@dataclass(frozen=True)
class Effect:
    """An applied payment's effect on one invoice: what stays open after it."""

    order: OrderKey
    invoice_id: str
    remaining_minor: int
    owner: str


@dataclass(frozen=True)
class AmountCheck:
    """An amount that must keep its class in every view (re-checked as later payments arrive)."""

    customer_id: str
    amount_minor: int
    order: OrderKey
    owner: str
    expected: AmountClass
    excluded: frozenset[str] = frozenset()


@dataclass
class Book:
    rng: random.Random
    customers: dict[str, Customer]
    invoices: dict[str, Invoice]
    open0: dict[str, int]
    by_customer: dict[str, list[str]]
    free: dict[str, dict[str, None]] = field(default_factory=dict)
    pool: list[str] = field(default_factory=list)
    pool_pos: dict[str, int] = field(default_factory=dict)
    effects: dict[str, list[Effect]] = field(default_factory=dict)
    checks: dict[str, list[AmountCheck]] = field(default_factory=dict)

    @classmethod
    def of(cls, rng: random.Random, customers: list[Customer], invoices: list[Invoice]) -> Book:
        by_customer: dict[str, list[str]] = {c.customer_id: [] for c in customers}
        for invoice in invoices:
            by_customer[invoice.customer_id].append(invoice.invoice_id)
        book = cls(
            rng=rng,
            customers={c.customer_id: c for c in customers},
            invoices={i.invoice_id: i for i in invoices},
            open0={i.invoice_id: i.amount_minor for i in invoices},
            by_customer=by_customer,
        )
        for invoice in invoices:
            book.free.setdefault(invoice.customer_id, {})[invoice.invoice_id] = None
            book.pool_pos[invoice.invoice_id] = len(book.pool)
            book.pool.append(invoice.invoice_id)
        return book

    # Free invoices: not yet promised to any payment of the world.

    def reserve(self, invoice_id: str) -> None:
        customer_id = self.invoices[invoice_id].customer_id
        del self.free[customer_id][invoice_id]
        pos = self.pool_pos.pop(invoice_id)
        last = self.pool.pop()
        if last != invoice_id:
            self.pool[pos] = last
            self.pool_pos[last] = pos

    def random_free_invoice(self) -> Invoice | None:
        if not self.pool:
            return None
        return self.invoices[self.pool[self.rng.randrange(len(self.pool))]]

    def free_of(self, customer_id: str) -> list[str]:
        return list(self.free.get(customer_id, {}))

    # The timeline.

    def settle(self, order: OrderKey, invoice_id: str, remaining_minor: int, owner: str) -> None:
        customer_id = self.invoices[invoice_id].customer_id
        self.effects.setdefault(customer_id, []).append(Effect(order, invoice_id, remaining_minor, owner))

    def _view(
        self, customer_id: str, order: OrderKey, owner: str, excluded: frozenset[str], which: str
    ) -> dict[str, int]:
        view: dict[str, int] = {}
        for invoice_id in self.by_customer[customer_id]:
            if invoice_id in excluded:
                continue
            if which == "timeline" and date.fromisoformat(self.invoices[invoice_id].issue_date) > order[0]:
                continue
            view[invoice_id] = self.open0[invoice_id]
        if which == "before_all":
            return view
        for effect in self.effects.get(customer_id, []):
            if effect.owner == owner or effect.invoice_id not in view:
                continue
            if which == "timeline" and effect.order >= order:
                continue
            if effect.remaining_minor == 0:
                del view[effect.invoice_id]
            else:
                view[effect.invoice_id] = effect.remaining_minor
        return view

    def _candidates(
        self, customer: Customer, view: dict[str, int], value_date: date
    ) -> list[tuple[int, ...]]:
        terms = customer.terms
        result: list[tuple[int, ...]] = []
        for invoice_id, open_minor in view.items():
            issue = date.fromisoformat(self.invoices[invoice_id].issue_date)
            if terms.discount_days and (value_date - issue).days <= terms.discount_days:
                bp = terms.discount_basis_points
                result.append(
                    (
                        open_minor,
                        open_minor - discount_minor(open_minor, bp, half_up=False),
                        open_minor - discount_minor(open_minor, bp, half_up=True),
                    )
                )
            else:
                result.append((open_minor,))
        return result

    def amount_class(
        self,
        customer_id: str,
        amount_minor: int,
        order: OrderKey,
        owner: str,
        excluded: frozenset[str],
        expected: AmountClass | None = None,
    ) -> AmountClass:
        """The class of the amount if every view agrees, else DEBATABLE. With `expected`, stops at
        the first view that disagrees with it (the answer is then only "not expected")."""
        customer = self.customers[customer_id]
        below = customer.tolerance_minor or 0
        if customer.terms.discount_days:
            below += TOTAL_ROUNDING_SLACK_MINOR
        classes: set[AmountClass] = set()
        seen: set[tuple[tuple[str, int], ...]] = set()
        for which in ("timeline", "before_all", "after_all"):
            view = self._view(customer_id, order, owner, excluded, which)
            key = tuple(sorted(view.items()))
            if key in seen:
                continue
            seen.add(key)
            got = self._class_of(customer, amount_minor, view, order[0], below)
            classes.add(got)
            if len(classes) > 1 or (expected is not None and got is not expected):
                return AmountClass.DEBATABLE
        return classes.pop()

    def _class_of(
        self, customer: Customer, amount_minor: int, view: dict[str, int], value_date: date, below: int
    ) -> AmountClass:
        exact = exact_count(amount_minor, view.values())
        if exact >= 2:
            return AmountClass.AMBIGUOUS
        candidates = self._candidates(customer, view, value_date)
        if below == 0 and all(len(c) == 1 for c in candidates):
            near = exact  # nothing but the full amounts can explain it
        else:
            near = near_count(amount_minor, candidates, below)
        return classify(exact, near)

    def still_consistent(self, customer_id: str) -> bool:
        """Whether every amount check of the customer keeps its class after the latest effects."""
        for check in self.checks.get(customer_id, []):
            got = self.amount_class(
                customer_id, check.amount_minor, check.order, check.owner, check.excluded, check.expected
            )
            if got is not check.expected:
                return False
        return True

    def rollback(self, customer_id: str, owner: str) -> None:
        self.effects[customer_id] = [e for e in self.effects.get(customer_id, []) if e.owner != owner]
        self.checks[customer_id] = [c for c in self.checks.get(customer_id, []) if c.owner != owner]
