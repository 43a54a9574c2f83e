"""Repository over one transaction: every read and write the engine does, scoped to one tenant.

Hot paths are set-based: bulk inserts with one executemany, candidate invoices of many customers
in one query. Balance changes are guarded updates whose row count is checked, so two writers can
never take the same cents even where row locks are not available.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, func, insert, or_, select, true, update
from sqlalchemy.sql.elements import ColumnElement

from engine import model as m
from engine import validate as v
from engine.errors import InvalidArgument
from engine.ledger import JournalEntry
from engine.matching.references import reference_key, remittance_tokens
from engine.storage import tables as t
from engine.storage.pagination import decode_token, encode_token, page_size_or_default


def now_us() -> int:
    return time.time_ns() // 1000


def payer_account_key_of(raw: str) -> str:
    """The payer account normalized as payer_accounts.account_key; "" when absent or malformed
    (a malformed payer account identifies nobody)."""
    try:
        return v.account_key(raw, "payer_account") if raw else ""
    except InvalidArgument:
        return ""


def reference_keys_of(references: tuple[str, ...], remittance_info: str) -> list[str]:
    """The distinct reference keys of a payment's remittance, as matching computes them. A key
    longer than any invoice id can name no invoice and is not stored."""
    keys = {token.key for token in remittance_tokens(references, remittance_info)}
    return sorted(k for k in keys if len(k) <= t.ID)


class ConcurrentChange(Exception):
    """A guarded update matched no row: another transaction changed the balance first."""


class Store:
    """The tenant's data as seen from one transaction."""

    def __init__(self, conn: Connection, tenant_id: str) -> None:
        self.conn = conn
        self.tenant_id = tenant_id

    def _tenant(self, table: Any) -> ColumnElement[bool]:
        return table.c.tenant_id == self.tenant_id  # type: ignore[no-any-return]

    # --- customers -------------------------------------------------------------------------

    def get_customer(self, customer_id: str) -> m.Customer | None:
        return self.get_customers([customer_id]).get(customer_id)

    def get_customers(self, ids: Iterable[str]) -> dict[str, m.Customer]:
        ids = sorted(set(ids))
        if not ids:
            return {}
        rows = self.conn.execute(
            select(t.customers).where(self._tenant(t.customers), t.customers.c.customer_id.in_(ids))
        ).all()
        return {c.customer_id: c for c in self._customers_from_rows(rows)}

    def _customers_from_rows(self, rows: Sequence[Row[Any]]) -> list[m.Customer]:
        ids = [r.customer_id for r in rows]
        accounts: dict[str, list[str]] = {i: [] for i in ids}
        if ids:
            for acc in self.conn.execute(
                select(t.payer_accounts.c.customer_id, t.payer_accounts.c.account_display)
                .where(self._tenant(t.payer_accounts), t.payer_accounts.c.customer_id.in_(ids))
                .order_by(t.payer_accounts.c.account_key)
            ):
                accounts[acc.customer_id].append(acc.account_display)
        return [
            m.Customer(
                customer_id=r.customer_id,
                display_name=r.display_name,
                name_aliases=tuple(json.loads(r.name_aliases)),
                payer_accounts=tuple(accounts[r.customer_id]),
                payment_terms=m.PaymentTerms(r.net_days, r.discount_days, r.discount_basis_points),
                tolerance_minor=r.tolerance_minor,
                create_us=r.create_us,
                update_us=r.update_us,
                matching_tolerance_minor=r.matching_tolerance_minor,
            )
            for r in rows
        ]

    def all_customers(self) -> list[m.Customer]:
        rows = self.conn.execute(
            select(t.customers).where(self._tenant(t.customers)).order_by(t.customers.c.customer_id)
        ).all()
        return self._customers_from_rows(rows)

    def customer_names(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(customer_id, display_name, name_aliases) of every customer: what payer-name matching
        needs, without the payer accounts."""
        c = t.customers.c
        rows = self.conn.execute(
            select(c.customer_id, c.display_name, c.name_aliases)
            .where(self._tenant(t.customers))
            .order_by(c.customer_id)
        )
        return [(r.customer_id, r.display_name, tuple(json.loads(r.name_aliases))) for r in rows]

    def list_customers(self, page_size: int, page_token: str) -> m.Page[m.Customer]:
        rows, token = self._page(t.customers, t.customers.c.customer_id, [], page_size, page_token, {})
        return m.Page(self._customers_from_rows(rows), token)

    @staticmethod
    def _customer_values(customer: m.Customer) -> dict[str, Any]:
        return {
            "display_name": customer.display_name,
            "name_aliases": json.dumps(list(customer.name_aliases)),
            "net_days": customer.payment_terms.net_days,
            "discount_days": customer.payment_terms.discount_days,
            "discount_basis_points": customer.payment_terms.discount_basis_points,
            "tolerance_minor": customer.tolerance_minor,
            "matching_tolerance_minor": customer.matching_tolerance_minor,
            "update_us": customer.update_us,
        }

    def insert_customers(self, rows: Sequence[tuple[m.Customer, dict[str, str]]]) -> None:
        """Inserts customers and their payer accounts (key -> display form): two executemany."""
        if not rows:
            return
        self.conn.execute(
            insert(t.customers),
            [
                {
                    "tenant_id": self.tenant_id,
                    "customer_id": c.customer_id,
                    "create_us": c.create_us,
                    "input_version": 0,
                    **self._customer_values(c),
                }
                for c, _ in rows
            ],
        )
        accounts = [
            {
                "tenant_id": self.tenant_id,
                "account_key": key,
                "customer_id": c.customer_id,
                "account_display": d,
            }
            for c, keys in rows
            for key, d in keys.items()
        ]
        if accounts:
            self.conn.execute(insert(t.payer_accounts), accounts)

    def save_customer(self, customer: m.Customer, account_keys: dict[str, str], *, new: bool) -> None:
        """Inserts or replaces a customer and its payer accounts (key -> display form)."""
        if new:
            self.insert_customers([(customer, account_keys)])
            return
        self.conn.execute(
            update(t.customers)
            .where(self._tenant(t.customers), t.customers.c.customer_id == customer.customer_id)
            .values(**self._customer_values(customer))
        )
        self.conn.execute(
            t.payer_accounts.delete().where(
                self._tenant(t.payer_accounts), t.payer_accounts.c.customer_id == customer.customer_id
            )
        )
        if account_keys:
            self.conn.execute(
                insert(t.payer_accounts),
                [
                    {
                        "tenant_id": self.tenant_id,
                        "account_key": key,
                        "customer_id": customer.customer_id,
                        "account_display": display,
                    }
                    for key, display in account_keys.items()
                ],
            )

    def payer_account_owners(self, keys: Iterable[str]) -> dict[str, str]:
        """Normalized account key -> customer_id, for the keys that are known."""
        keys = list(keys)
        if not keys:
            return {}
        rows = self.conn.execute(
            select(t.payer_accounts.c.account_key, t.payer_accounts.c.customer_id).where(
                self._tenant(t.payer_accounts), t.payer_accounts.c.account_key.in_(keys)
            )
        )
        return {r.account_key: r.customer_id for r in rows}

    def existing_customer_ids(self, ids: Iterable[str]) -> set[str]:
        ids = list(set(ids))
        if not ids:
            return set()
        rows = self.conn.execute(
            select(t.customers.c.customer_id).where(
                self._tenant(t.customers), t.customers.c.customer_id.in_(ids)
            )
        )
        return {r.customer_id for r in rows}

    # --- invoices --------------------------------------------------------------------------

    @staticmethod
    def _invoice(r: Row[Any]) -> m.Invoice:
        return m.Invoice(
            invoice_id=r.invoice_id,
            customer_id=r.customer_id,
            currency=r.currency,
            amount_minor=r.amount_minor,
            open_minor=r.open_minor,
            issue_date=dt.date.fromisoformat(r.issue_date),
            due_date=dt.date.fromisoformat(r.due_date),
            payment_terms=m.PaymentTerms(r.net_days, r.discount_days, r.discount_basis_points),
            voided=r.voided,
            create_us=r.create_us,
        )

    def get_invoices(self, ids: Iterable[str], *, lock: bool = False) -> dict[str, m.Invoice]:
        """The named invoices that exist; with `lock`, row-locked in id order (PostgreSQL)."""
        ids = sorted(set(ids))
        if not ids:
            return {}
        query = (
            select(t.invoices)
            .where(self._tenant(t.invoices), t.invoices.c.invoice_id.in_(ids))
            .order_by(t.invoices.c.invoice_id)
        )
        if lock:
            query = query.with_for_update()
        return {r.invoice_id: self._invoice(r) for r in self.conn.execute(query)}

    def get_invoice(self, invoice_id: str, *, lock: bool = False) -> m.Invoice | None:
        return self.get_invoices([invoice_id], lock=lock).get(invoice_id)

    def insert_invoices(self, invoices: Sequence[m.Invoice]) -> None:
        self.conn.execute(
            insert(t.invoices),
            [
                {
                    "tenant_id": self.tenant_id,
                    "invoice_id": i.invoice_id,
                    "invoice_key": reference_key(i.invoice_id),
                    "customer_id": i.customer_id,
                    "currency": i.currency,
                    "amount_minor": i.amount_minor,
                    "open_minor": i.open_minor,
                    "issue_date": i.issue_date.isoformat(),
                    "due_date": i.due_date.isoformat(),
                    "net_days": i.payment_terms.net_days,
                    "discount_days": i.payment_terms.discount_days,
                    "discount_basis_points": i.payment_terms.discount_basis_points,
                    "voided": i.voided,
                    "create_us": i.create_us,
                }
                for i in invoices
            ],
        )

    def list_invoices(
        self,
        page_size: int,
        page_token: str,
        *,
        customer_id: str = "",
        state: m.InvoiceState | None = None,
        due_before: dt.date | None = None,
    ) -> m.Page[m.Invoice]:
        c = t.invoices.c
        where: list[ColumnElement[bool]] = []
        if customer_id:
            where.append(c.customer_id == customer_id)
        if due_before is not None:
            where.append(c.due_date < due_before.isoformat())
        if state is not None:
            where.append(_invoice_state_filter(state))
        filters = {"c": customer_id, "s": state.value if state else "", "d": str(due_before or "")}
        rows, token = self._page(t.invoices, c.invoice_id, where, page_size, page_token, filters)
        return m.Page([self._invoice(r) for r in rows], token)

    def invoices_by_reference(self, raw_ids: Iterable[str], keys: Iterable[str]) -> list[m.Invoice]:
        """Invoices whose id equals a raw token or whose normalized key equals a key, in one query."""
        raw_ids, keys = sorted(set(raw_ids)), sorted(set(keys))
        if not raw_ids and not keys:
            return []
        c = t.invoices.c
        rows = self.conn.execute(
            select(t.invoices).where(
                self._tenant(t.invoices), or_(c.invoice_id.in_(raw_ids), c.invoice_key.in_(keys))
            )
        )
        return [self._invoice(r) for r in rows]

    def open_invoices_of(self, customer_ids: Iterable[str]) -> list[m.Invoice]:
        """Every open, non-voided invoice of the given customers, in one query."""
        ids = sorted(set(customer_ids))
        if not ids:
            return []
        c = t.invoices.c
        rows = self.conn.execute(
            select(t.invoices)
            .where(self._tenant(t.invoices), c.customer_id.in_(ids), c.open_minor > 0, c.voided.is_(False))
            .order_by(c.due_date, c.invoice_id)
        )
        return [self._invoice(r) for r in rows]

    def change_invoices_open(self, deltas: dict[str, int]) -> None:
        """open_minor += delta for each invoice in one executemany, guarded so every open amount
        stays within [0, amount] on a live invoice; the summed row count is checked."""
        if not deltas:
            return
        c = t.invoices.c
        statement = (
            update(t.invoices)
            .where(
                self._tenant(t.invoices),
                c.invoice_id == bindparam("key"),
                c.voided.is_(False),
                c.open_minor + bindparam("delta") >= 0,
                c.open_minor + bindparam("delta") <= c.amount_minor,
            )
            .values(open_minor=c.open_minor + bindparam("delta"))
        )
        rows = [{"key": key, "delta": delta} for key, delta in sorted(deltas.items())]
        if self.conn.execute(statement, rows).rowcount != len(rows):
            raise ConcurrentChange(f"an open amount of invoices {sorted(deltas)} changed concurrently")

    def void_invoice(self, invoice_id: str, open_minor: int) -> None:
        c = t.invoices.c
        result = self.conn.execute(
            update(t.invoices)
            .where(
                self._tenant(t.invoices),
                c.invoice_id == invoice_id,
                c.voided.is_(False),
                c.open_minor == open_minor,
            )
            .values(voided=True, open_minor=0)
        )
        if result.rowcount != 1:
            raise ConcurrentChange(f"invoice {invoice_id} changed concurrently")

    # --- payments --------------------------------------------------------------------------

    @staticmethod
    def _payment(r: Row[Any], applications: tuple[m.Application, ...] = ()) -> m.Payment:
        return m.Payment(
            payment_id=r.payment_id,
            currency=r.currency,
            amount_minor=r.amount_minor,
            unapplied_minor=r.unapplied_minor,
            returned_minor=r.returned_minor,
            value_date=dt.date.fromisoformat(r.value_date),
            customer_id=r.customer_id,
            payer_account=r.payer_account,
            payer_name=r.payer_name,
            remittance_info=r.remittance_info,
            references=tuple(json.loads(r.references)),
            on_account=r.on_account,
            applications=applications,
            create_us=r.create_us,
            given_customer_id=r.given_customer_id,
        )

    def get_payments(
        self, ids: Iterable[str], *, lock: bool = False, with_applications: bool = True
    ) -> dict[str, m.Payment]:
        ids = sorted(set(ids))
        if not ids:
            return {}
        query = (
            select(t.payments)
            .where(self._tenant(t.payments), t.payments.c.payment_id.in_(ids))
            .order_by(t.payments.c.payment_id)
        )
        if lock:
            query = query.with_for_update()
        rows = self.conn.execute(query).all()
        apps = self.applications_of_payments(ids) if with_applications else {}
        return {r.payment_id: self._payment(r, tuple(apps.get(r.payment_id, ()))) for r in rows}

    def get_payment(self, payment_id: str, *, lock: bool = False) -> m.Payment | None:
        return self.get_payments([payment_id], lock=lock).get(payment_id)

    def nearby_payments(
        self,
        customer_ids: Iterable[str],
        invoice_keys: Iterable[str],
        first: dt.date,
        last: dt.date,
        *,
        amounts: Iterable[int] | None = None,
        limit: int,
    ) -> list[m.Payment]:
        """Payments with value dates in [first, last] that are the customers' (identified, or
        from one of their payer accounts) or whose remittance holds one of the invoice keys,
        without applications, at most `limit`. With `amounts`: only payments of those amounts
        that carry applications (what a duplicate may repeat); without: only live ones
        (unapplied cash, not on account, not returned: what a split transfer may pair with; of
        the customers' own only those already decided). Three indexed look-ups."""
        ids, keys = sorted(set(customer_ids)), sorted(set(invoice_keys))
        c, a, r = t.payments.c, t.payer_accounts.c, t.payment_reference_keys.c
        where = [
            self._tenant(t.payments),
            c.value_date >= first.isoformat(),
            c.value_date <= last.isoformat(),
        ]
        if amounts is None:
            where += [c.unapplied_minor > 0, c.on_account.is_(False), c.returned_minor == 0]
        else:
            where += [
                c.amount_minor.in_(sorted(set(amounts))),
                c.unapplied_minor + c.returned_minor < c.amount_minor,
            ]
        accounts = select(a.account_key).where(self._tenant(t.payer_accounts), a.customer_id.in_(ids))
        naming = select(r.payment_id).where(self._tenant(t.payment_reference_keys), r.key.in_(keys))
        d = t.decision_marks.c
        # Live payments of the customers that still wait for their own decision are not needed:
        # when their turn comes, this batch's live payments are theirs. Those naming the batch's
        # invoices are, since a split transfer alone would be decided short.
        waiting = (
            select(d.payment_id)
            .where(d.tenant_id == c.tenant_id, d.payment_id == c.payment_id, d.needs_decision.is_(True))
            .exists()
        )
        decided = [~waiting] if amounts is None else []
        found: dict[str, Row[Any]] = {}
        for condition in (
            and_(c.customer_id.in_(ids), *decided) if ids else None,
            and_(c.payer_account_key.in_(accounts), *decided) if ids else None,
            c.payment_id.in_(naming) if keys else None,
        ):
            if condition is not None and len(found) < limit:
                for row in self.conn.execute(select(t.payments).where(*where, condition).limit(limit)):
                    found.setdefault(row.payment_id, row)
        rows = sorted(found.values(), key=lambda row: (row.value_date, row.payment_id))
        return [self._payment(row) for row in rows[:limit]]

    def insert_payments(self, payments: Sequence[m.Payment]) -> None:
        self.conn.execute(
            insert(t.payments),
            [
                {
                    "tenant_id": self.tenant_id,
                    "payment_id": p.payment_id,
                    "currency": p.currency,
                    "amount_minor": p.amount_minor,
                    "unapplied_minor": p.unapplied_minor,
                    "returned_minor": p.returned_minor,
                    "value_date": p.value_date.isoformat(),
                    "customer_id": p.customer_id,
                    "payer_account": p.payer_account,
                    "payer_name": p.payer_name,
                    "remittance_info": p.remittance_info,
                    "references": json.dumps(list(p.references)),
                    "on_account": p.on_account,
                    "create_us": p.create_us,
                    "given_customer_id": p.given_customer_id,
                    "payer_account_key": payer_account_key_of(p.payer_account),
                }
                for p in payments
            ],
        )
        self.conn.execute(
            insert(t.decision_marks),
            [
                # A new payment needs its first decision.
                {
                    "tenant_id": self.tenant_id,
                    "payment_id": p.payment_id,
                    "value_date": p.value_date.isoformat(),
                    "input_version": 1,
                    "needs_decision": True,
                }
                for p in payments
            ],
        )
        keys = [
            {"tenant_id": self.tenant_id, "key": key, "payment_id": p.payment_id}
            for p in payments
            for key in reference_keys_of(p.references, p.remittance_info)
        ]
        if keys:
            self.conn.execute(insert(t.payment_reference_keys), keys)

    def list_payments(
        self,
        page_size: int,
        page_token: str,
        *,
        customer_id: str = "",
        state: m.PaymentState | None = None,
    ) -> m.Page[m.Payment]:
        c = t.payments.c
        where: list[ColumnElement[bool]] = []
        if customer_id:
            where.append(c.customer_id == customer_id)
        if state is not None:
            where.append(_payment_state_filter(state))
        filters = {"c": customer_id, "s": state.value if state else ""}
        rows, token = self._page(t.payments, c.payment_id, where, page_size, page_token, filters)
        apps = self.applications_of_payments([r.payment_id for r in rows])
        return m.Page([self._payment(r, tuple(apps.get(r.payment_id, ()))) for r in rows], token)

    @staticmethod
    def _decidable() -> ColumnElement[bool]:
        """Payments matching may still explain: unapplied cash, not on account, not returned."""
        c = t.payments.c
        return and_(c.unapplied_minor > 0, c.returned_minor == 0, c.on_account.is_(False))

    def payments_needing_decision(
        self, *, customer_id: str = "", payment_ids: Sequence[str] = (), limit: int
    ) -> list[str]:
        """Decidable payments whose inputs changed since their last decision, oldest value date
        first (on ix_decision_marks_needed). A customer's scope includes payments not yet
        identified whose payer account is registered to the customer."""
        c, d, a = t.payments.c, t.decision_marks.c, t.payer_accounts.c
        query = (
            select(d.payment_id)
            .join(t.payments, and_(c.tenant_id == d.tenant_id, c.payment_id == d.payment_id))
            .where(self._tenant(t.decision_marks), d.needs_decision.is_(True), self._decidable())
        )
        if customer_id:
            accounts = select(a.account_key).where(
                self._tenant(t.payer_accounts), a.customer_id == customer_id
            )
            query = query.where(
                or_(
                    c.customer_id == customer_id,
                    and_(c.customer_id.is_(None), c.payer_account_key.in_(accounts)),
                )
            )
        if payment_ids:
            query = query.where(d.payment_id.in_(list(payment_ids)))
        rows = self.conn.execute(query.order_by(d.value_date, d.payment_id).limit(limit))
        return [r.payment_id for r in rows]

    def input_versions(self, payment_ids: Iterable[str]) -> dict[str, int]:
        ids = sorted(set(payment_ids))
        if not ids:
            return {}
        d = t.decision_marks.c
        rows = self.conn.execute(
            select(d.payment_id, d.input_version).where(self._tenant(t.decision_marks), d.payment_id.in_(ids))
        )
        return {r.payment_id: r.input_version for r in rows}

    def mark_needs_decision(
        self,
        *,
        payment_ids: Iterable[str] = (),
        customer_ids: Iterable[str] = (),
        account_keys: Iterable[str] = (),
        reference_keys: Iterable[str] = (),
        unidentified: bool = False,
        every_payment: bool = False,
        except_payment_ids: Iterable[str] = (),
    ) -> int:
        """Marks the decidable payments selected by any of the criteria as needing a decision
        (one UPDATE): bumps their input_version, so a plan that read the old version cannot
        clear the mark. Returns how many payments were marked."""
        c, d, k, a = t.payments.c, t.decision_marks.c, t.payment_reference_keys.c, t.payer_accounts.c
        pids, cids = sorted(set(payment_ids)), sorted(set(customer_ids))
        # First, so that a commit that read the old version either sees the new one or has
        # committed before the payments below are selected (it holds the row lock meanwhile).
        self.bump_customer_versions(cids)
        akeys, rkeys = sorted(set(account_keys) - {""}), sorted(set(reference_keys))
        criteria: list[ColumnElement[bool]] = [true()] if every_payment else []
        if pids:
            criteria.append(c.payment_id.in_(pids))
        if cids:
            # The customers' payments, and those not yet identified paid from their accounts.
            accounts = select(a.account_key).where(self._tenant(t.payer_accounts), a.customer_id.in_(cids))
            criteria.append(c.customer_id.in_(cids))
            criteria.append(and_(c.customer_id.is_(None), c.payer_account_key.in_(accounts)))
        if akeys:
            criteria.append(c.payer_account_key.in_(akeys))
        if rkeys:
            named = select(k.payment_id).where(self._tenant(t.payment_reference_keys), k.key.in_(rkeys))
            criteria.append(c.payment_id.in_(named))
        if unidentified:
            criteria.append(c.customer_id.is_(None))
        if not criteria:
            return 0
        selected = select(c.payment_id).where(self._tenant(t.payments), self._decidable(), or_(*criteria))
        excluded = sorted(set(except_payment_ids))
        if excluded:
            selected = selected.where(c.payment_id.not_in(excluded))
        result = self.conn.execute(
            update(t.decision_marks)
            .where(self._tenant(t.decision_marks), d.payment_id.in_(selected))
            .values(input_version=d.input_version + 1, needs_decision=True)
        )
        return int(result.rowcount)

    def bump_customer_versions(self, customer_ids: Sequence[str]) -> None:
        """input_version += 1 for each customer, in id order (one executemany)."""
        if not customer_ids:
            return
        c = t.customers.c
        self.conn.execute(
            update(t.customers)
            .where(self._tenant(t.customers), c.customer_id == bindparam("cid"))
            .values(input_version=c.input_version + 1),
            [{"cid": cid} for cid in sorted(customer_ids)],
        )

    def customer_versions(self, customer_ids: Iterable[str], *, lock: bool = False) -> dict[str, int]:
        """Each customer's input_version; with `lock`, row-locked in id order (PostgreSQL)."""
        ids = sorted(set(customer_ids))
        if not ids:
            return {}
        c = t.customers.c
        query = (
            select(c.customer_id, c.input_version)
            .where(self._tenant(t.customers), c.customer_id.in_(ids))
            .order_by(c.customer_id)
        )
        if lock:
            query = query.with_for_update()
        return {r.customer_id: r.input_version for r in self.conn.execute(query)}

    def mark_decided(self, versions: Mapping[str, int]) -> None:
        """Clears the mark of each payment whose input_version still equals the version its
        decision was planned with; a payment changed since keeps its mark (one executemany)."""
        if not versions:
            return
        d = t.decision_marks.c
        statement = (
            update(t.decision_marks)
            .where(
                self._tenant(t.decision_marks),
                d.payment_id == bindparam("pid"),
                d.input_version == bindparam("seen_version"),
            )
            .values(needs_decision=False)
        )
        self.conn.execute(statement, [{"pid": p, "seen_version": n} for p, n in sorted(versions.items())])

    def clear_undecidable_marks(self, payment_ids: Iterable[str]) -> None:
        """Clears the mark of the named payments that left the decidable set (applied in full,
        returned, put on account), so they never clutter the selection's index range. Called
        where a payment may leave it, for that payment: never a sweep of the whole backlog."""
        ids = sorted(set(payment_ids))
        if not ids:
            return
        c, d = t.payments.c, t.decision_marks.c
        gone = select(c.payment_id).where(
            self._tenant(t.payments),
            c.payment_id.in_(ids),
            or_(c.unapplied_minor <= 0, c.returned_minor != 0, c.on_account.is_(True)),
        )
        self.conn.execute(
            update(t.decision_marks)
            .where(self._tenant(t.decision_marks), d.needs_decision.is_(True), d.payment_id.in_(gone))
            .values(needs_decision=False)
        )

    def change_payments_unapplied(self, deltas: dict[str, int]) -> None:
        """unapplied_minor += delta for each live payment in one executemany, guarded to stay
        within [0, amount]; the summed row count is checked."""
        if not deltas:
            return
        c = t.payments.c
        statement = (
            update(t.payments)
            .where(
                self._tenant(t.payments),
                c.payment_id == bindparam("key"),
                c.returned_minor == 0,
                c.unapplied_minor + bindparam("delta") >= 0,
                c.unapplied_minor + bindparam("delta") <= c.amount_minor,
            )
            .values(unapplied_minor=c.unapplied_minor + bindparam("delta"))
        )
        rows = [{"key": key, "delta": delta} for key, delta in sorted(deltas.items())]
        if self.conn.execute(statement, rows).rowcount != len(rows):
            raise ConcurrentChange(f"an unapplied amount of payments {sorted(deltas)} changed concurrently")

    def set_payments_customer(self, rows: Sequence[tuple[str, str, bool]]) -> None:
        """(payment_id, customer_id, on_account) for each payment, in one executemany."""
        if not rows:
            return
        c = t.payments.c
        statement = (
            update(t.payments)
            .where(self._tenant(t.payments), c.payment_id == bindparam("key"))
            .values(customer_id=bindparam("customer"), on_account=bindparam("on_account"))
        )
        self.conn.execute(statement, [{"key": p, "customer": cust, "on_account": oa} for p, cust, oa in rows])

    def set_payment_customer(self, payment_id: str, customer_id: str, *, on_account: bool) -> None:
        self.set_payments_customer([(payment_id, customer_id, on_account)])

    def mark_payment_returned(self, payment_id: str, unapplied_minor: int) -> None:
        c = t.payments.c
        result = self.conn.execute(
            update(t.payments)
            .where(
                self._tenant(t.payments),
                c.payment_id == payment_id,
                c.returned_minor == 0,
                c.unapplied_minor == unapplied_minor,
            )
            .values(returned_minor=c.amount_minor, unapplied_minor=0, on_account=False)
        )
        if result.rowcount != 1:
            raise ConcurrentChange(f"payment {payment_id} changed concurrently")

    # --- applications ----------------------------------------------------------------------

    def applications_of_payments(self, payment_ids: Iterable[str]) -> dict[str, list[m.Application]]:
        return self._applications(t.applications.c.payment_id, payment_ids, key="payment_id")

    def applications_of_invoices(self, invoice_ids: Iterable[str]) -> dict[str, list[m.Application]]:
        return self._applications(t.applications.c.invoice_id, invoice_ids, key="invoice_id")

    def _applications(self, column: Any, ids: Iterable[str], *, key: str) -> dict[str, list[m.Application]]:
        ids = list(set(ids))
        if not ids:
            return {}
        rows = self.conn.execute(
            select(t.applications)
            .where(self._tenant(t.applications), column.in_(ids))
            .order_by(t.applications.c.create_us, t.applications.c.application_id)
        ).all()
        reversed_by = {r.reverses_application_id: r.application_id for r in rows if r.reverses_application_id}
        result: dict[str, list[m.Application]] = {}
        for r in rows:
            result.setdefault(getattr(r, key), []).append(
                m.Application(
                    application_id=r.application_id,
                    payment_id=r.payment_id,
                    invoice_id=r.invoice_id,
                    currency=r.currency,
                    amount_minor=r.amount_minor,
                    discount_minor=r.discount_minor,
                    write_off_minor=r.write_off_minor,
                    source=m.ApplicationSource(r.source),
                    deduction_minor=r.deduction_minor,
                    reverses_application_id=r.reverses_application_id,
                    reversed_by_application_id=reversed_by.get(r.application_id),
                    create_us=r.create_us,
                )
            )
        return result

    def insert_applications(self, apps: Sequence[tuple[m.Application, str]]) -> None:
        """Inserts (application, journal entry id) pairs."""
        self.conn.execute(
            insert(t.applications),
            [
                {
                    "tenant_id": self.tenant_id,
                    "application_id": a.application_id,
                    "payment_id": a.payment_id,
                    "invoice_id": a.invoice_id,
                    "currency": a.currency,
                    "amount_minor": a.amount_minor,
                    "discount_minor": a.discount_minor,
                    "write_off_minor": a.write_off_minor,
                    "deduction_minor": a.deduction_minor,
                    "source": a.source.value,
                    "reverses_application_id": a.reverses_application_id,
                    "entry_id": entry_id,
                    "create_us": a.create_us,
                }
                for a, entry_id in apps
            ],
        )

    # --- returns, decisions, exceptions ------------------------------------------------------

    @staticmethod
    def _return(r: Row[Any]) -> m.Return:
        return m.Return(
            return_id=r.return_id,
            kind=m.ReturnKind(r.kind),
            currency=r.currency,
            amount_minor=r.amount_minor,
            reason_code=r.reason_code,
            invoice_id=r.invoice_id,
            payment_id=r.payment_id,
            credited_minor=r.credited_minor,
            on_account_minor=r.on_account_minor,
            reopened_invoice_ids=tuple(json.loads(r.reopened_invoice_ids)),
            create_us=r.create_us,
        )

    def get_return(self, return_id: str) -> m.Return | None:
        row = self.conn.execute(
            select(t.returns).where(self._tenant(t.returns), t.returns.c.return_id == return_id)
        ).first()
        return self._return(row) if row else None

    def credit_memo_total(self, invoice_id: str) -> int:
        c = t.returns.c
        total = self.conn.execute(
            select(func.coalesce(func.sum(c.amount_minor), 0)).where(
                self._tenant(t.returns), c.invoice_id == invoice_id, c.kind == m.ReturnKind.GOODS.value
            )
        ).scalar_one()
        return int(total)

    def insert_return(self, ret: m.Return) -> None:
        self.conn.execute(
            insert(t.returns).values(
                tenant_id=self.tenant_id,
                return_id=ret.return_id,
                kind=ret.kind.value,
                currency=ret.currency,
                amount_minor=ret.amount_minor,
                reason_code=ret.reason_code,
                invoice_id=ret.invoice_id,
                payment_id=ret.payment_id,
                credited_minor=ret.credited_minor,
                on_account_minor=ret.on_account_minor,
                reopened_invoice_ids=json.dumps(list(ret.reopened_invoice_ids)),
                create_us=ret.create_us,
            )
        )

    def list_returns(self, page_size: int, page_token: str, kind: m.ReturnKind | None) -> m.Page[m.Return]:
        where = [t.returns.c.kind == kind.value] if kind else []
        rows, token = self._page(
            t.returns, t.returns.c.return_id, where, page_size, page_token, {"k": kind.value if kind else ""}
        )
        return m.Page([self._return(r) for r in rows], token)

    def insert_decisions(self, rows: Sequence[tuple[m.Decision, str]]) -> None:
        """(decision, its explanation as JSON) pairs, in one executemany."""
        if not rows:
            return
        self.conn.execute(
            insert(t.decisions),
            [
                {
                    "tenant_id": self.tenant_id,
                    "decision_id": d.decision_id,
                    "payment_id": d.payment_id,
                    "customer_id": d.customer_id,
                    "outcome": d.outcome.value,
                    "reason": d.reason,
                    "explanation": explanation_json,
                    "create_us": d.create_us,
                }
                for d, explanation_json in rows
            ],
        )

    def list_decision_rows(
        self, page_size: int, page_token: str, payment_id: str
    ) -> tuple[list[Row[Any]], str]:
        """Newest first (create time, then id, both descending), keyset-paged on that pair."""
        d = t.decisions.c
        size = page_size_or_default(page_size)
        filters = {"p": payment_id, "order": "newest"}
        after = decode_token(page_token, filters)
        query = select(t.decisions).where(self._tenant(t.decisions))
        if payment_id:
            query = query.where(d.payment_id == payment_id)
        if after is not None:
            create_us, _, decision_id = after.partition(":")
            if not create_us.isdigit() or not decision_id:
                raise InvalidArgument("INVALID_PAGE_TOKEN", "page_token is malformed", "page_token")
            query = query.where(
                or_(
                    d.create_us < int(create_us),
                    and_(d.create_us == int(create_us), d.decision_id < decision_id),
                )
            )
        rows = self.conn.execute(
            query.order_by(d.create_us.desc(), d.decision_id.desc()).limit(size + 1)
        ).all()
        if len(rows) <= size:
            return list(rows), ""
        last = rows[size - 1]
        return list(rows[:size]), encode_token(f"{last.create_us}:{last.decision_id}", filters)

    def latest_decisions(self, payment_ids: Iterable[str]) -> dict[str, Row[Any]]:
        """The newest stored decision row of each payment that has one, in one query."""
        ids = sorted(set(payment_ids))
        if not ids:
            return {}
        d = t.decisions.c
        rank = func.row_number().over(
            partition_by=d.payment_id, order_by=(d.create_us.desc(), d.decision_id.desc())
        )
        ranked = (
            select(t.decisions, rank.label("newest"))
            .where(self._tenant(t.decisions), d.payment_id.in_(ids))
            .subquery()
        )
        rows = self.conn.execute(select(ranked).where(ranked.c.newest == 1))
        return {r.payment_id: r for r in rows}

    def open_exception_rows(self, payment_ids: Iterable[str]) -> dict[str, Row[Any]]:
        """The open exception of each payment that has one, in one query."""
        ids = sorted(set(payment_ids))
        if not ids:
            return {}
        x = t.match_exceptions.c
        rows = self.conn.execute(
            select(t.match_exceptions).where(
                self._tenant(t.match_exceptions),
                x.payment_id.in_(ids),
                x.state == m.ExceptionState.OPEN.value,
            )
        )
        return {r.payment_id: r for r in rows}

    def insert_exceptions(self, rows: Sequence[tuple[m.MatchException, str]]) -> None:
        """(exception, its suggestions as JSON) pairs, in one executemany."""
        if not rows:
            return
        self.conn.execute(
            insert(t.match_exceptions),
            [
                {
                    "tenant_id": self.tenant_id,
                    "exception_id": x.exception_id,
                    "payment_id": x.payment_id,
                    "customer_id": x.customer_id,
                    "state": x.state.value,
                    "reason": x.reason,
                    "suggestions": suggestions_json,
                    "decision_id": x.decision_id,
                    "create_us": x.create_us,
                    "resolve_us": 0,
                }
                for x, suggestions_json in rows
            ],
        )

    def exception_rows(self, exception_id: str) -> Row[Any] | None:
        return self.conn.execute(
            select(t.match_exceptions).where(
                self._tenant(t.match_exceptions), t.match_exceptions.c.exception_id == exception_id
            )
        ).first()

    def list_exception_rows(
        self, page_size: int, page_token: str, state: m.ExceptionState
    ) -> tuple[list[Row[Any]], str]:
        return self._page(
            t.match_exceptions,
            t.match_exceptions.c.exception_id,
            [t.match_exceptions.c.state == state.value],
            page_size,
            page_token,
            {"s": state.value},
        )

    def resolve_open_exceptions(
        self, payment_ids: Iterable[str], resolve_us: int, state: m.ExceptionState = m.ExceptionState.RESOLVED
    ) -> int:
        """Closes every open exception of the payments, as RESOLVED (they were settled) or
        SUPERSEDED (a newer doubt replaces it); returns how many."""
        ids = sorted(set(payment_ids))
        if not ids:
            return 0
        c = t.match_exceptions.c
        result = self.conn.execute(
            update(t.match_exceptions)
            .where(self._tenant(t.match_exceptions), c.payment_id.in_(ids), c.state == "OPEN")
            .values(state=state.value, resolve_us=resolve_us)
        )
        return int(result.rowcount)

    # --- settings --------------------------------------------------------------------------

    def tenant_settings(self) -> m.TenantSettings:
        """The tenant's defaults; all zero until the tenant saves some."""
        row = self.conn.execute(select(t.tenant_settings).where(self._tenant(t.tenant_settings))).first()
        if row is None:
            return m.TenantSettings()
        return m.TenantSettings(row.write_off_tolerance_minor, row.matching_tolerance_minor, row.update_us)

    def save_tenant_settings(self, settings: m.TenantSettings) -> None:
        values = {
            "write_off_tolerance_minor": settings.write_off_tolerance_minor,
            "matching_tolerance_minor": settings.matching_tolerance_minor,
            "update_us": settings.update_us,
        }
        updated = self.conn.execute(
            update(t.tenant_settings).where(self._tenant(t.tenant_settings)).values(**values)
        )
        if updated.rowcount == 0:
            # A concurrent first save fails this insert on the primary key; the transaction is
            # re-run (Database.transact) and then takes the update path.
            self.conn.execute(insert(t.tenant_settings).values(tenant_id=self.tenant_id, **values))

    # --- journal ---------------------------------------------------------------------------

    def insert_journal(self, entries: Sequence[JournalEntry]) -> None:
        """Inserts journal entries and their lines (two executemany calls)."""
        if not entries:
            return
        self.conn.execute(
            insert(t.journal_entries),
            [
                {
                    "tenant_id": self.tenant_id,
                    "entry_id": e.entry_id,
                    "kind": e.kind,
                    "reverses_entry_id": e.reverses_entry_id,
                    "memo": e.memo[:512],
                    "create_us": e.create_us,
                }
                for e in entries
            ],
        )
        self.conn.execute(
            insert(t.journal_lines),
            [
                {
                    "tenant_id": self.tenant_id,
                    "entry_id": e.entry_id,
                    "line_no": n,
                    "account": line.account.value,
                    "currency": line.currency,
                    "amount_minor": line.amount_minor,
                    "customer_id": line.customer_id,
                    "invoice_id": line.invoice_id,
                    "payment_id": line.payment_id,
                }
                for e in entries
                for n, line in enumerate(e.lines)
            ],
        )

    # --- idempotency -----------------------------------------------------------------------

    def idempotency_record(self, request_id: str) -> Row[Any] | None:
        return self.conn.execute(
            select(t.idempotency_keys).where(
                self._tenant(t.idempotency_keys), t.idempotency_keys.c.request_id == request_id
            )
        ).first()

    def insert_idempotency_record(
        self, request_id: str, method: str, fingerprint: str, response: bytes
    ) -> None:
        self.conn.execute(
            insert(t.idempotency_keys).values(
                tenant_id=self.tenant_id,
                request_id=request_id,
                method=method,
                fingerprint=fingerprint,
                response=response,
                create_us=now_us(),
            )
        )

    def set_idempotency_response(self, request_id: str, response: bytes) -> None:
        self.conn.execute(
            update(t.idempotency_keys)
            .where(self._tenant(t.idempotency_keys), t.idempotency_keys.c.request_id == request_id)
            .values(response=response)
        )

    # --- shared ----------------------------------------------------------------------------

    def _page(
        self,
        table: Any,
        key: Any,
        where: list[ColumnElement[bool]],
        page_size: int,
        page_token: str,
        filters: object,
    ) -> tuple[list[Row[Any]], str]:
        size = page_size_or_default(page_size)
        after = decode_token(page_token, filters)
        query = select(table).where(self._tenant(table), *where)
        if after is not None:
            query = query.where(key > after)
        rows = self.conn.execute(query.order_by(key).limit(size + 1)).all()
        if len(rows) <= size:
            return list(rows), ""
        rows = rows[:size]
        return list(rows), encode_token(getattr(rows[-1], key.name), filters)


def _invoice_state_filter(state: m.InvoiceState) -> ColumnElement[bool]:
    c = t.invoices.c
    if state is m.InvoiceState.VOIDED:
        return c.voided.is_(True)
    live = c.voided.is_(False)
    if state is m.InvoiceState.PAID:
        return and_(live, c.open_minor == 0)
    if state is m.InvoiceState.OPEN:
        return and_(live, c.open_minor == c.amount_minor)
    return and_(live, c.open_minor > 0, c.open_minor < c.amount_minor)


def _payment_state_filter(state: m.PaymentState) -> ColumnElement[bool]:
    c = t.payments.c
    if state is m.PaymentState.RETURNED:
        return c.returned_minor > 0
    live = c.returned_minor == 0
    if state is m.PaymentState.APPLIED:
        return and_(live, c.unapplied_minor == 0)
    if state is m.PaymentState.ON_ACCOUNT:
        return and_(live, c.unapplied_minor > 0, c.on_account.is_(True))
    if state is m.PaymentState.UNAPPLIED:
        return and_(live, c.on_account.is_(False), c.unapplied_minor == c.amount_minor)
    return and_(live, c.on_account.is_(False), c.unapplied_minor > 0, c.unapplied_minor < c.amount_minor)
