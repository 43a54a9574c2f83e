"""A seeded book of any size for the volume benchmark, from the quality world's parts.

Customers and their open invoices come from bench/quality/population.py (long-tailed counts,
log-normal amounts with round-number and subscription collisions, sequential invoice series), names
and payer accounts from its names and accounts, remittance texts from its remittance module. The
payments follow the world's main kinds in about its shares, planned in one pass over the invoices
(the quality world's exact truth counting, which makes its generator take minutes for 100,000
payments, is left out: this book measures cost, bench/QUALITY.md measures quality):

| kind | share | what the bank sends |
|---|---:|---|
| one invoice named, exact amount | 40 % | a reference in text (10 % structured) |
| several invoices named, their total | 15 % | the references in one text |
| one invoice, no reference | 20 % | the amount and the payer's account |
| several invoices, no reference | 10 % | their total and the payer's account |
| a part payment naming its invoice | 5 % | less than the open amount |
| an unknown payer | 10 % | an amount and a name no customer has |
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from bench.quality import names, population, remittance
from bench.quality.world import Customer, Invoice, Payment

KINDS = (
    ("single_ref", 40),
    ("multi_ref", 15),
    ("single_no_ref", 20),
    ("multi_no_ref", 10),
    ("partial_ref", 5),
    ("unknown_payer", 10),
)
VALUE_DAYS = 28  # payments arrive over the four weeks after the invoices' horizon ends


@dataclass(frozen=True)
class Book:
    seed: int
    customers: list[Customer]
    invoices: list[Invoice]
    payments: list[Payment]


def generate(seed: int, payments: int, customers: int | None = None, invoices: int | None = None) -> Book:
    """`payments` payments against a book of `customers` (default payments / 10) holding
    `invoices` open invoices (default one per payment), all from `seed`."""
    rng = random.Random(seed)
    people = population.customers(rng, customers or max(10, payments // 10))
    counts = population.invoice_counts(rng, len(people), invoices or payments)
    book = population.invoices(rng, people, counts)
    return Book(seed, people, book, _payments(rng, people, book, payments))


def _payments(rng: random.Random, people: list[Customer], book: list[Invoice], count: int) -> list[Payment]:
    by_customer: dict[str, list[Invoice]] = {}
    for inv in book:
        by_customer.setdefault(inv.customer_id, []).append(inv)
    # Each customer's invoices are paid oldest first; a customer whose invoices are all planned
    # pays no more (the rest of the payments come from unknown payers).
    queues = {cid: sorted(invs, key=lambda i: i.issue_date) for cid, invs in by_customer.items()}
    payers = [c for c in people if c.customer_id in queues]
    kinds, weights = zip(*KINDS, strict=True)
    start = population.TODAY + timedelta(days=1)
    out: list[Payment] = []
    for n in range(count):
        kind = rng.choices(kinds, weights)[0]
        value_date = (start + timedelta(days=rng.randrange(VALUE_DAYS))).isoformat()
        payment_id = f"{value_date[2:4]}{value_date[5:7]}{value_date[8:10]}E2E{n:09d}"
        # By position, as rng.choice draws it: removing a payer by value compared it with every
        # payer before it (quadratic, most of the 1M book's generation time); the book is the same.
        at = rng.randrange(len(payers)) if payers else -1
        customer = payers[at] if payers else None
        queue = queues.get(customer.customer_id, []) if customer else []
        if kind == "unknown_payer" or customer is None or not queue:
            out.append(_unknown(rng, payment_id, value_date))
            continue
        take = 1 if kind.startswith(("single", "partial")) else min(len(queue), rng.randint(2, 4))
        paid, queue[:] = queue[:take], queue[take:]
        if not queue:
            del payers[at]
        out.append(_paying(rng, kind, payment_id, value_date, customer, paid))
    return out


def _paying(
    rng: random.Random, kind: str, payment_id: str, value_date: str, customer: Customer, paid: list[Invoice]
) -> Payment:
    refs = [i.invoice_id for i in paid]
    amount = sum(i.amount_minor for i in paid)
    if kind == "partial_ref":
        amount = max(1, amount * rng.randint(30, 90) // 100)
    structured = kind == "single_ref" and rng.random() < 0.1
    text = ""
    if kind.endswith("ref") and not structured:
        if len(refs) == 1:
            text = remittance.single(rng, refs[0], customer.customer_id)
        else:
            text = remittance.multi(rng, refs)
    return Payment(
        payment_id=payment_id,
        amount_minor=amount,
        currency=paid[0].currency,
        value_date=value_date,
        payer_account=rng.choice(customer.payer_accounts),
        payer_name=names.bank_variant(rng, customer.display_name),
        remittance_info=text,
        references=tuple(refs) if structured else (),
    )


def _unknown(rng: random.Random, payment_id: str, value_date: str) -> Payment:
    return Payment(
        payment_id=payment_id,
        amount_minor=rng.randint(1_000, 500_000),
        currency=rng.choice(("EUR", "GBP", "USD")),
        value_date=value_date,
        payer_account="",
        payer_name=names.unknown_name(rng),
        remittance_info="",
    )
