"""The set-based reads the reports make: journal lines as of a date, grouped in the database.

Every query starts from `lines_as_of`: the tenant's journal lines of some accounts whose
effective date (engine.reports.as_of) is on or before a day, joined to the invoice and the
payment each line names. Dates are ISO strings, so the date comparisons are string comparisons
that mean the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, and_, case, func, literal, or_, select
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from engine.reports.as_of import DATED_KINDS, bucket_floors, cutoff_us
from engine.storage import tables as t
from engine.storage.store_base import StoreBase

jl, je, inv, pay = t.journal_lines, t.journal_entries, t.invoices, t.payments

# The accounts whose balances make a customer's net receivable.
NET_RECEIVABLE_ACCOUNTS = ("AR", "UNAPPLIED_CASH", "ON_ACCOUNT")
# Where an application's short pay goes: the statement names them.
ADJUSTMENT_ACCOUNTS = ("DISCOUNTS", "WRITE_OFFS", "DEDUCTIONS")


def lines_as_of(store: StoreBase, day: dt.date, accounts: Sequence[str]) -> Select[Any]:
    """The lines of `accounts` that count as of `day`, with the dates and customers they name.

    `customer_id` is the customer the money belongs to now: the payment's (identified since,
    perhaps) for cash, the invoice's for every other account; "" for unidentified cash."""
    iso = day.isoformat()
    owner = case((jl.c.account == "UNAPPLIED_CASH", pay.c.customer_id), else_=inv.c.customer_id)
    return (
        select(
            jl.c.account,
            jl.c.currency,
            jl.c.amount_minor,
            jl.c.invoice_id,
            jl.c.payment_id,
            func.coalesce(owner, jl.c.customer_id, literal("")).label("customer_id"),
            inv.c.issue_date,
            inv.c.due_date,
            inv.c.amount_minor.label("invoice_amount_minor"),
            pay.c.value_date,
            pay.c.on_account,
            je.c.kind,
            je.c.create_us,
        )
        .select_from(
            jl.join(je, and_(je.c.tenant_id == jl.c.tenant_id, je.c.entry_id == jl.c.entry_id))
            .outerjoin(inv, and_(inv.c.tenant_id == jl.c.tenant_id, inv.c.invoice_id == jl.c.invoice_id))
            .outerjoin(pay, and_(pay.c.tenant_id == jl.c.tenant_id, pay.c.payment_id == jl.c.payment_id))
        )
        .where(
            jl.c.tenant_id == store.tenant_id,
            jl.c.account.in_(accounts),
            or_(inv.c.issue_date.is_(None), inv.c.issue_date <= iso),
            or_(pay.c.value_date.is_(None), pay.c.value_date <= iso),
            or_(je.c.kind.in_(DATED_KINDS), je.c.create_us < cutoff_us(day)),
        )
    )


def bucket_case(date_column: Any, day: dt.date) -> ColumnElement[Any]:
    """The bucket of a date's age on `day`, as text "0".."5" (one type with the other cells)."""
    floors = bucket_floors(day)
    return case(
        *[(date_column >= floor, literal(str(i))) for i, floor in enumerate(floors)],
        else_=literal(str(len(floors))),
    )


def aging_cells(store: StoreBase, day: dt.date, by_issue_date: bool, customer_id: str | None) -> Select[Any]:
    """(customer_id, currency, column, amount) sums, zero sums left out. `column` is the bucket
    index 0..5 for receivables, or UNAPPLIED / ON_ACCOUNT_CASH / OPEN_CREDITS."""
    lines = lines_as_of(store, day, NET_RECEIVABLE_ACCOUNTS).subquery()
    aged = lines.c.issue_date if by_issue_date else lines.c.due_date
    column = case(
        (lines.c.account == "AR", bucket_case(aged, day)),
        (lines.c.account == "ON_ACCOUNT", literal("OPEN_CREDITS")),
        (lines.c.on_account.is_(True), literal("ON_ACCOUNT_CASH")),
        else_=literal("UNAPPLIED"),
    ).label("cell")
    query = select(
        lines.c.customer_id, lines.c.currency, column, func.sum(lines.c.amount_minor).label("amount")
    )
    if customer_id is not None:
        query = query.where(lines.c.customer_id == customer_id)
    return query.group_by(lines.c.customer_id, lines.c.currency, column).having(
        func.sum(lines.c.amount_minor) != 0
    )


def aging_customer_page(store: StoreBase, cells: Select[Any], after: str | None, size: int) -> list[str]:
    """Up to `size` customer ids with a non-zero cell, after `after`, in order."""
    sub = cells.subquery()
    query = select(sub.c.customer_id).distinct()
    if after is not None:
        query = query.where(sub.c.customer_id > after)
    return list(store.conn.execute(query.order_by(sub.c.customer_id).limit(size)).scalars())


def aging_rows(store: StoreBase, cells: Select[Any], customer_ids: Sequence[str] | None) -> list[Row[Any]]:
    """The cells of the given customers, or summed over all customers (customer_id "")."""
    sub = cells.subquery()
    if customer_ids is None:
        query = select(
            literal("").label("customer_id"),
            sub.c.currency,
            sub.c.cell,
            func.sum(sub.c.amount).label("amount"),
        ).group_by(sub.c.currency, sub.c.cell)
    else:
        query = select(sub).where(sub.c.customer_id.in_(list(customer_ids)))
    return list(store.conn.execute(query))


def _unapplied_per_payment(store: StoreBase, day: dt.date, customer_id: str | None) -> Any:
    """Per payment with unapplied cash on `day`: id, customer, currency, value date, on_account
    and the unapplied amount (> 0), as a subquery."""
    lines = lines_as_of(store, day, ("UNAPPLIED_CASH",)).subquery()
    # UNAPPLIED_CASH is a liability: its balance is a credit (negative), the cash held positive.
    keys = (lines.c.payment_id, lines.c.customer_id, lines.c.currency, lines.c.value_date, lines.c.on_account)
    query = select(*keys, (-func.sum(lines.c.amount_minor)).label("unapplied_minor")).where(
        lines.c.payment_id.is_not(None)
    )
    if customer_id is not None:
        query = query.where(lines.c.customer_id == customer_id)
    return query.group_by(*keys).having(func.sum(lines.c.amount_minor) < 0).subquery()


def unapplied_page(
    store: StoreBase, day: dt.date, customer_id: str | None, after: str | None, size: int
) -> list[Row[Any]]:
    """Up to `size` payments with unapplied cash on `day` after `after`, in payment_id order."""
    sub = _unapplied_per_payment(store, day, customer_id)
    query = select(sub)
    if after is not None:
        query = query.where(sub.c.payment_id > after)
    return list(store.conn.execute(query.order_by(sub.c.payment_id).limit(size)))


def unapplied_totals(store: StoreBase, day: dt.date, customer_id: str | None) -> list[Row[Any]]:
    """(currency, bucket of value-date age, amount, payment count) over every unapplied payment."""
    sub = _unapplied_per_payment(store, day, customer_id)
    bucket = bucket_case(sub.c.value_date, day).label("bucket")
    query = select(
        sub.c.currency,
        bucket,
        func.sum(sub.c.unapplied_minor).label("amount"),
        func.count().label("payments"),
    ).group_by(sub.c.currency, bucket)
    return list(store.conn.execute(query))


def account_balances(
    store: StoreBase, day: dt.date, currency: str, accounts: Sequence[str]
) -> dict[str, int]:
    """The balance of each account in `currency` as of `day`."""
    lines = lines_as_of(store, day, accounts).where(jl.c.currency == currency).subquery()
    query = select(lines.c.account, func.sum(lines.c.amount_minor)).group_by(lines.c.account)
    return {account: int(total) for account, total in store.conn.execute(query)}


def current_receivables(store: StoreBase, day: dt.date, currency: str) -> int:
    """The AR balance in `currency` as of `day` of invoices not yet due on `day`."""
    lines = lines_as_of(store, day, ("AR",)).where(
        jl.c.currency == currency, inv.c.due_date >= day.isoformat()
    )
    sub = lines.subquery()
    return int(store.conn.execute(select(func.coalesce(func.sum(sub.c.amount_minor), 0))).scalar_one())


def customer_lines(store: StoreBase, customer_id: str, day: dt.date) -> list[Row[Any]]:
    """Every net-receivable and adjustment line of one customer counting as of `day`, with its
    entry, in posting order."""
    accounts = (*NET_RECEIVABLE_ACCOUNTS, *ADJUSTMENT_ACCOUNTS)
    lines = lines_as_of(store, day, accounts).add_columns(jl.c.entry_id, jl.c.line_no)
    sub = lines.subquery()
    query = select(sub).where(sub.c.customer_id == customer_id)
    return list(store.conn.execute(query.order_by(sub.c.create_us, sub.c.entry_id, sub.c.line_no)))


# Match rates ---------------------------------------------------------------------------------

dec, app, exc = t.decisions, t.applications, t.match_exceptions


def decided_payments(store: StoreBase, start_us: int, end_us: int) -> tuple[int, int]:
    """(payments with a decision in [start_us, end_us), those of them with an AUTO_APPLIED one)."""
    in_range = and_(dec.c.tenant_id == store.tenant_id, dec.c.create_us >= start_us, dec.c.create_us < end_us)
    auto = case((dec.c.outcome == "AUTO_APPLIED", dec.c.payment_id))
    query = select(func.count(dec.c.payment_id.distinct()), func.count(auto.distinct())).where(in_range)
    decided, auto_applied = store.conn.execute(query).one()
    return int(decided), int(auto_applied)


def straight_through_payments(store: StoreBase, start_us: int, end_us: int) -> int:
    """Payments auto-applied in the range with no application by a person and no reversal ever."""
    touched = select(app.c.payment_id).where(
        app.c.tenant_id == store.tenant_id,
        or_(app.c.source != "AUTO", app.c.reverses_application_id.is_not(None)),
    )
    query = select(func.count(dec.c.payment_id.distinct())).where(
        dec.c.tenant_id == store.tenant_id,
        dec.c.create_us >= start_us,
        dec.c.create_us < end_us,
        dec.c.outcome == "AUTO_APPLIED",
        dec.c.payment_id.not_in(touched),
    )
    return int(store.conn.execute(query).scalar_one())


def settled_invoices(store: StoreBase, start_us: int, end_us: int) -> tuple[int, int]:
    """(invoices settled by automatic applications in the range, by any application in it)."""
    auto = case((app.c.source == "AUTO", app.c.invoice_id))
    query = select(func.count(auto.distinct()), func.count(app.c.invoice_id.distinct())).where(
        app.c.tenant_id == store.tenant_id,
        app.c.create_us >= start_us,
        app.c.create_us < end_us,
        app.c.reverses_application_id.is_(None),
    )
    auto_count, total = store.conn.execute(query).one()
    return int(auto_count), int(total)


def reversed_auto_payments(store: StoreBase, start_us: int, end_us: int) -> tuple[int, int]:
    """(payments whose automatic application made in the range was later reversed, payments
    with an automatic application made in the range)."""
    reversal = app.alias("reversal")
    joined = app.outerjoin(
        reversal,
        and_(
            reversal.c.tenant_id == app.c.tenant_id,
            reversal.c.reverses_application_id == app.c.application_id,
        ),
    )
    reversed_payment = case((reversal.c.application_id.is_not(None), app.c.payment_id))
    query = (
        select(func.count(reversed_payment.distinct()), func.count(app.c.payment_id.distinct()))
        .select_from(joined)
        .where(
            app.c.tenant_id == store.tenant_id,
            app.c.source == "AUTO",
            app.c.reverses_application_id.is_(None),
            app.c.create_us >= start_us,
            app.c.create_us < end_us,
        )
    )
    reversed_count, total = store.conn.execute(query).one()
    return int(reversed_count), int(total)


def resolved_exceptions(store: StoreBase, start_us: int, end_us: int) -> list[Row[Any]]:
    """Exceptions RESOLVED in the range: id, payment, suggestions (JSON), opened and resolved."""
    query = select(
        exc.c.exception_id, exc.c.payment_id, exc.c.suggestions, exc.c.create_us, exc.c.resolve_us
    ).where(
        exc.c.tenant_id == store.tenant_id,
        exc.c.state == "RESOLVED",
        exc.c.resolve_us >= start_us,
        exc.c.resolve_us < end_us,
    )
    return list(store.conn.execute(query.order_by(exc.c.exception_id)))


def resolution_traces(store: StoreBase, payment_ids: Sequence[str]) -> tuple[list[Row[Any]], list[Row[Any]]]:
    """The payments' exception-resolution applications (payment, invoice, time) and their
    PUT_ON_ACCOUNT decisions (payment, time): what a person did to resolve their exceptions."""
    ids = list(payment_ids)
    apps = select(app.c.payment_id, app.c.invoice_id, app.c.create_us).where(
        app.c.tenant_id == store.tenant_id,
        app.c.payment_id.in_(ids),
        app.c.source == "EXCEPTION_RESOLUTION",
        app.c.reverses_application_id.is_(None),
    )
    on_account = select(dec.c.payment_id, dec.c.create_us).where(
        dec.c.tenant_id == store.tenant_id, dec.c.payment_id.in_(ids), dec.c.reason == "PUT_ON_ACCOUNT"
    )
    return list(store.conn.execute(apps)), list(store.conn.execute(on_account))


def cash_receipts(store: StoreBase, start: dt.date, end: dt.date) -> list[Row[Any]]:
    """(currency, value_date, payments, received, returned) per currency and value date in
    [start, end], ordered by currency and date; value dates are ISO strings, so the range is a
    string comparison that means the same on both databases."""
    query = (
        select(
            pay.c.currency,
            pay.c.value_date,
            func.count(),
            func.sum(pay.c.amount_minor),
            func.sum(pay.c.returned_minor),
        )
        .where(
            pay.c.tenant_id == store.tenant_id,
            pay.c.value_date >= start.isoformat(),
            pay.c.value_date <= end.isoformat(),
        )
        .group_by(pay.c.currency, pay.c.value_date)
        .order_by(pay.c.currency, pay.c.value_date)
    )
    return list(store.conn.execute(query).all())
