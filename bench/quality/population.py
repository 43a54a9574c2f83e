"""Customers and their open invoices: long-tailed counts, log-normal amounts with round-number
collisions and subscriptions, and invoice numbers that run sequentially per series."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from typing import TypeVar

from bench.quality.accounts import payer_account
from bench.quality.names import bank_variant, company_name
from bench.quality.world import Customer, Invoice, Terms

# The world ends on this day; invoices were issued during the HORIZON_DAYS before it.
TODAY = date(2026, 11, 30)
HORIZON_DAYS = 90
MAX_INVOICES_PER_CUSTOMER = 200

_COUNTRIES = (("DE", 44), ("NL", 16), ("AT", 10), ("GB", 14), ("US", 16))
_CURRENCY = {"DE": "EUR", "NL": "EUR", "AT": "EUR", "GB": "GBP", "US": "USD"}
_TERMS = (
    (Terms(30), 35),
    (Terms(60), 15),
    (Terms(30, 10, 200), 30),  # 2/10 net 30
    (Terms(45, 14, 300), 8),  # 3/14 net 45
    (Terms(30, 8, 100), 12),  # 1/8 net 30
)
_TOLERANCES_MINOR = (500, 1000, 1500, 2000, 2500)
_ROUND_AMOUNTS_MINOR = (25_000, 50_000, 50_000, 100_000, 100_000, 150_000, 200_000, 250_000, 500_000)
_SUBSCRIPTIONS_MINOR = (4_900, 9_900, 14_900, 29_900, 49_900, 119_000, 238_000, 59_500)
# Invoice series: (weight, prefix, first number, digits).
_T = TypeVar("_T")
_SERIES = ((50, "INV-2026-", 4_000, 6), (30, "", 90_010_000, 8), (20, "SO-", 77_000, 5))


def _weighted(rng: random.Random, choices: tuple[tuple[_T, int], ...]) -> _T:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def customers(rng: random.Random, count: int) -> list[Customer]:
    result = []
    for n in range(count):
        country = _weighted(rng, _COUNTRIES)
        name = company_name(rng, country)
        accounts = 1 if rng.random() < 0.6 else (2 if rng.random() < 0.75 else rng.randint(3, 4))
        aliases = (bank_variant(rng, name),) if rng.random() < 0.15 else ()
        result.append(
            Customer(
                customer_id=f"{100_000 + n * 7 + rng.randrange(7)}",
                display_name=name,
                country=country,
                currency=_CURRENCY[country],
                payer_accounts=tuple(payer_account(rng, country) for _ in range(accounts)),
                terms=_weighted(rng, _TERMS),
                name_aliases=aliases,
                tolerance_minor=rng.choice(_TOLERANCES_MINOR) if rng.random() < 0.25 else None,
            )
        )
    return result


def invoice_counts(rng: random.Random, customer_count: int, total: int) -> list[int]:
    """Long-tailed: most customers have 1-5 open invoices, a few 40-200 (Pareto, scaled)."""
    raw = [min(rng.paretovariate(1.15), 400.0) for _ in range(customer_count)]
    scale = total / sum(raw)
    return [max(1, min(MAX_INVOICES_PER_CUSTOMER, round(x * scale))) for x in raw]


def _amount(rng: random.Random, median_minor: int, subscription: int | None) -> int:
    roll = rng.random()
    if roll < 0.22:
        return rng.choice(_ROUND_AMOUNTS_MINOR)
    if subscription is not None and roll < 0.45:
        return subscription
    value = median_minor * math.exp(rng.gauss(0.0, 0.9))
    return max(1_000, int(value))


def invoices(rng: random.Random, people: list[Customer], counts: list[int]) -> list[Invoice]:
    drafts: list[tuple[date, int, str, int, str]] = []
    for customer, count in zip(people, counts, strict=True):
        median = int(120_000 * math.exp(rng.gauss(0.0, 0.8)))
        subscription = rng.choice(_SUBSCRIPTIONS_MINOR) if rng.random() < 0.4 else None
        series = rng.choices(range(len(_SERIES)), weights=[s[0] for s in _SERIES])[0]
        for _ in range(count):
            issue = TODAY - timedelta(days=rng.randint(1, HORIZON_DAYS))
            # Most customers are billed from one series; some invoices come from another unit.
            own_series = series if rng.random() < 0.85 else rng.randrange(len(_SERIES))
            drafts.append((issue, own_series, customer.customer_id, _amount(rng, median, subscription), ""))
    drafts.sort(key=lambda d: (d[0], d[1], d[2]))
    next_number = [s[2] for s in _SERIES]
    terms = {c.customer_id: c.terms for c in people}
    currency = {c.customer_id: c.currency for c in people}
    result = []
    for issue, series, customer_id, amount, _ in drafts:
        _, prefix, _, digits = _SERIES[series]
        number = next_number[series]
        next_number[series] += 1
        result.append(
            Invoice(
                invoice_id=f"{prefix}{number:0{digits}d}",
                customer_id=customer_id,
                amount_minor=amount,
                currency=currency[customer_id],
                issue_date=issue.isoformat(),
                due_date=(issue + timedelta(days=terms[customer_id].net_days)).isoformat(),
            )
        )
    return result
