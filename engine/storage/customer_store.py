"""Customers, their names and their payer accounts."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from engine import model as m
from engine.storage import tables as t
from engine.storage.store_base import (
    StoreBase,
)


class CustomerStore(StoreBase):
    """Customers, their names and their payer accounts."""

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
            # Sorted here, not by ORDER BY account_key: that order made SQLite walk the tenant's
            # whole primary key instead of ix_payer_accounts_customer (a scan per call).
            pa = t.payer_accounts.c
            found = self.conn.execute(
                select(pa.customer_id, pa.account_key, pa.account_display).where(
                    self._tenant(t.payer_accounts), pa.customer_id.in_(ids)
                )
            )
            for acc in sorted(found, key=lambda a: a.account_key):
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

    def customer_terms(self, ids: Iterable[str]) -> dict[str, m.PaymentTerms]:
        """Each existing customer's payment terms: all that creating its invoices needs, without
        the payer accounts and the whole Customer that get_customers builds."""
        ids = sorted(set(ids))
        if not ids:
            return {}
        c = t.customers.c
        rows = self.conn.execute(
            select(c.customer_id, c.net_days, c.discount_days, c.discount_basis_points).where(
                self._tenant(t.customers), c.customer_id.in_(ids)
            )
        ).tuples()
        return {cid: m.PaymentTerms(net, days, bp) for cid, net, days, bp in rows}

    def customer_names(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(customer_id, display_name, name_aliases) of every customer: what payer-name matching
        needs, without the payer accounts."""
        c = t.customers.c
        rows = self.conn.execute(
            select(c.customer_id, c.display_name, c.name_aliases)
            .where(self._tenant(t.customers))
            .order_by(c.customer_id)
        ).tuples()
        # Most customers have no alias: their "[]" needs no JSON parser (a third of the read at
        # 100,000 customers).
        return [
            (cid, name, () if aliases == "[]" else tuple(json.loads(aliases))) for cid, name, aliases in rows
        ]

    def customer_names_stamp(self) -> str:
        """The tenant's customer-name stamp: a token that changes whenever a customer is created
        or updated (engine/matching/name_cache.py keeps name indexes by it); "" before any."""
        s = t.customer_name_stamps.c
        found = self.conn.execute(select(s.stamp).where(self._tenant(t.customer_name_stamps))).scalar()
        return found or ""

    def _restamp_customer_names(self) -> None:
        """Replaces the stamp with a fresh token. Called before the customer rows are written:
        on PostgreSQL the upsert row-locks the stamp, so writers of a tenant's customers queue
        on it first and never hold a customer row while they wait for it (no lock cycle)."""
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        token = secrets.token_hex(16)
        self.conn.execute(
            dialect.insert(t.customer_name_stamps)
            .values(tenant_id=self.tenant_id, stamp=token)
            .on_conflict_do_update(index_elements=["tenant_id"], set_={"stamp": token})
        )

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
        self._restamp_customer_names()
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
        self._restamp_customer_names()
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
