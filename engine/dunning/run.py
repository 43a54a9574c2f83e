"""A dunning run as of a date: one notice per customer and currency listing every overdue item,
at most one level further than the customer already is, and every skip with its reason.

A dry run answers what a real run would do and stores nothing. A real run stores the notices,
their outbox rows (one per channel) and the levels reached; run again on the same date it finds
every customer already at its level, so nothing is noticed, or sent, twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass

from engine import model as m
from engine.dunning.model import (
    Delivery,
    DeliveryState,
    Hold,
    Level,
    Notice,
    NoticeItem,
    Policy,
    RunResult,
    Skip,
    SkipReason,
)
from engine.dunning.policies import get_policy
from engine.storage.store import Store, now_us

DAYS_PER_YEAR = 365  # interest is actual/365, the usual convention for late-payment interest


def interest_minor(open_minor: int, days: int, basis_points: int) -> int:
    """open * rate * days / 365 of one item, rounded half up once (informational: shown on the
    notice, never posted)."""
    if days <= 0 or basis_points == 0:
        return 0
    quotient, remainder = divmod(open_minor * basis_points * days, 10_000 * DAYS_PER_YEAR)
    return quotient + (1 if 2 * remainder >= 10_000 * DAYS_PER_YEAR else 0)


def notice_id_of(policy_id: str, customer_id: str, currency: str, level: int, as_of: dt.date) -> str:
    """Deterministic, so a repeated run stores (and sends) the same notice once."""
    key = f"{policy_id}\n{customer_id}\n{currency}\n{level}\n{as_of.isoformat()}"
    return "N-" + hashlib.sha256(key.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class _Book:
    """What a run reads, in a handful of set-based queries."""

    invoices: dict[tuple[str, str], list[m.Invoice]]
    open_cases: dict[str, str]
    unapplied: dict[tuple[str, str], int]
    holds: list[Hold]
    levels: dict[tuple[str, str], tuple[int, dt.date]]


def _read(store: Store, policy: Policy, as_of: dt.date) -> _Book:
    cutoff = m.add_days(as_of, -policy.levels[0].day_offset)
    groups: dict[tuple[str, str], list[m.Invoice]] = defaultdict(list)
    for invoice in store.invoices_due_by(policy.currency, cutoff):
        groups[(invoice.customer_id, invoice.currency)].append(invoice)
    ids = [inv.invoice_id for group in groups.values() for inv in group]
    return _Book(
        dict(groups),
        store.invoices_with_open_cases(ids),
        store.unapplied_cash_by_customer(),
        store.dunning_holds_in_force(as_of),
        store.dunning_levels(policy.policy_id),
    )


def _hold_of(holds: list[Hold], customer_id: str, currency: str) -> Skip | None:
    for hold in holds:
        if hold.customer_id == customer_id and hold.kind == "EXCLUDED":
            return Skip(customer_id, currency, SkipReason.EXCLUDED_CUSTOMER, detail=hold.note)
    for hold in holds:
        if hold.customer_id == customer_id and hold.currency in ("", currency):
            until = hold.until.isoformat() if hold.until else ""
            return Skip(
                customer_id, currency, SkipReason.PROMISE_TO_PAY, detail=f"promised by {until}: {hold.note}"
            )
    return None


def _target_level(policy: Policy, max_days: int) -> int:
    return max((lv.level for lv in policy.levels if lv.day_offset <= max_days), default=0)


def plan(
    store: Store, policy_id: str, as_of: dt.date, *, lock: bool = False
) -> tuple[Policy, RunResult, list[tuple[str, str]]]:
    """The notices and skips of a run, and the (customer, currency) whose level is to be
    forgotten because nothing of theirs is overdue any more. With `lock` the policy row is
    locked first, so two real runs of one policy (two replicas, a retry racing its original)
    take turns and the second finds every customer at the level the first reached."""
    policy = get_policy(store, policy_id, lock=lock)
    book = _read(store, policy, as_of)
    notices: list[Notice] = []
    skips: list[Skip] = []
    now = now_us()
    for (customer_id, currency), invoices in sorted(book.invoices.items()):
        items: list[NoticeItem] = []
        for inv in invoices:
            if inv.invoice_id in book.open_cases:
                case_id = book.open_cases[inv.invoice_id]
                skips.append(
                    Skip(customer_id, currency, SkipReason.DISPUTED, inv.invoice_id, f"open case {case_id}")
                )
                continue
            items.append(
                NoticeItem(inv.invoice_id, inv.due_date, inv.open_minor, (as_of - inv.due_date).days)
            )
        if not items:
            continue
        total = sum(i.open_minor for i in items)
        skip = _hold_of(book.holds, customer_id, currency)
        if skip is None and book.unapplied.get((customer_id, currency), 0) >= total:
            cash = book.unapplied[(customer_id, currency)]
            skip = Skip(
                customer_id,
                currency,
                SkipReason.COVERED_BY_UNAPPLIED_CASH,
                detail=f"{cash} unapplied >= {total} overdue",
            )
        current, last_as_of = book.levels.get((customer_id, currency), (0, None))
        target = _target_level(policy, max(i.days_past_due for i in items))
        if skip is None and (target <= current or last_as_of == as_of):
            skip = Skip(
                customer_id,
                currency,
                SkipReason.ALREADY_AT_LEVEL,
                detail=f"level {current} reached on {last_as_of}",
            )
        # One level further than the customer is (never straight to the level that is due).
        level: Level = policy.levels[min(current, len(policy.levels) - 1)]
        if skip is None and total < level.min_amount_minor:
            skip = Skip(
                customer_id,
                currency,
                SkipReason.BELOW_MINIMUM_AMOUNT,
                detail=f"{total} is below level {level.level}'s minimum {level.min_amount_minor}",
            )
        if skip is not None:
            skips.append(skip)
            continue
        interest = sum(
            interest_minor(i.open_minor, i.days_past_due, level.interest_basis_points) for i in items
        )
        notices.append(
            Notice(
                notice_id_of(policy.policy_id, customer_id, currency, level.level, as_of),
                policy.policy_id,
                customer_id,
                currency,
                level.level,
                as_of,
                tuple(items),
                total,
                level.fee_minor,
                interest,
                level.channels,
                now,
            )
        )
    cleared = sorted(key for key in book.levels if key not in book.invoices and key[1] == policy.currency)
    return policy, RunResult(as_of, True, tuple(notices), tuple(skips)), cleared


def run(store: Store, policy_id: str, as_of: dt.date, *, dry_run: bool) -> RunResult:
    policy, result, cleared = plan(store, policy_id, as_of, lock=not dry_run)
    if dry_run:
        return result
    now = now_us()
    deliveries = [
        Delivery(n.notice_id, channel, n.customer_id, "", DeliveryState.PENDING, 0, now, "", None, now)
        for n in result.notices
        for channel in n.channels
    ]
    store.insert_dunning_notices(result.notices, deliveries)
    reached = [(n.customer_id, n.currency, n.level, as_of) for n in result.notices]
    store.set_dunning_levels(policy.policy_id, reached, cleared, now)
    return RunResult(as_of, False, result.notices, result.skips)
