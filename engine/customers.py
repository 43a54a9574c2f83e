"""Customers: payment terms, payer accounts, aliases, tolerance overrides."""

from __future__ import annotations

import dataclasses

from engine import model as m
from engine import validate as v
from engine.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from engine.money import MAX_AMOUNT_MINOR
from engine.storage.store import Store, now_us

UPDATABLE_FIELDS = frozenset(
    {"display_name", "name_aliases", "payer_accounts", "payment_terms", "tolerance_minor"}
)


def _validated(c: m.Customer, field: str) -> tuple[m.Customer, dict[str, str]]:
    """Checks every field; returns the customer and its payer accounts (normalized key -> as given)."""
    v.require_id(c.customer_id, "customer_id")
    if not c.display_name.strip():
        raise InvalidArgument("MISSING_NAME", "display_name is required", f"{field}.display_name")
    v.text(c.display_name, f"{field}.display_name", v.MAX_NAME_LENGTH)
    v.list_length(c.name_aliases, f"{field}.name_aliases")
    for i, alias in enumerate(c.name_aliases):
        v.text(alias, f"{field}.name_aliases[{i}]", v.MAX_NAME_LENGTH)
    v.list_length(c.payer_accounts, f"{field}.payer_accounts")
    keys: dict[str, str] = {}
    for i, account in enumerate(c.payer_accounts):
        key = v.account_key(account, f"{field}.payer_accounts[{i}]")
        keys.setdefault(key, account)
    v.terms(c.payment_terms, f"{field}.payment_terms")
    if c.tolerance_minor is not None and not 0 <= c.tolerance_minor <= MAX_AMOUNT_MINOR:
        raise InvalidArgument("INVALID_TOLERANCE", "tolerance_minor must be >= 0", f"{field}.tolerance_minor")
    return c, keys


def _same_content(a: m.Customer, b: m.Customer) -> bool:
    strip = {"create_us": 0, "update_us": 0, "payer_accounts": ()}
    return (
        dataclasses.replace(a, **strip) == dataclasses.replace(b, **strip)  # type: ignore[arg-type]
        and sorted(a.payer_accounts) == sorted(b.payer_accounts)
    )


def _claim_accounts(store: Store, customer_id: str, keys: dict[str, str], field: str) -> None:
    for key, owner in store.payer_account_owners(keys).items():
        if owner != customer_id:
            index = list(keys).index(key)
            raise FailedPrecondition(
                "PAYER_ACCOUNT_BELONGS_TO_ANOTHER_CUSTOMER",
                f"payer account {keys[key]!r} is registered to customer {owner!r}",
                f"{field}.payer_accounts[{index}]",
            )


def create_customer(store: Store, customer: m.Customer) -> m.Customer:
    customer, keys = _validated(customer, "customer")
    existing = store.get_customer(customer.customer_id)
    if existing is not None:
        if _same_content(existing, customer):
            return existing
        raise AlreadyExists(
            "CUSTOMER_ALREADY_EXISTS",
            f"customer {customer.customer_id!r} exists with different content",
            "customer_id",
        )
    _claim_accounts(store, customer.customer_id, keys, "customer")
    now = now_us()
    created = dataclasses.replace(customer, payer_accounts=tuple(keys.values()), create_us=now, update_us=now)
    store.save_customer(created, keys, new=True)
    return created


def get_customer(store: Store, customer_id: str, field: str = "customer_id") -> m.Customer:
    v.require_id(customer_id, field)
    customer = store.get_customer(customer_id)
    if customer is None:
        raise NotFound("CUSTOMER_NOT_FOUND", f"customer {customer_id!r} does not exist", field)
    return customer


def update_customer(store: Store, patch: m.Customer, mask: list[str]) -> m.Customer:
    """Replaces the fields named in `mask` (all updatable fields when empty)."""
    unknown = [path for path in mask if path not in UPDATABLE_FIELDS]
    if unknown:
        raise InvalidArgument("INVALID_UPDATE_MASK", f"cannot update {unknown[0]!r}", "update_mask.paths")
    current = get_customer(store, patch.customer_id, "customer.customer_id")
    fields = set(mask) or UPDATABLE_FIELDS
    updated = dataclasses.replace(
        current,
        **{name: getattr(patch, name) for name in fields},
        update_us=now_us(),
    )
    updated, keys = _validated(updated, "customer")
    _claim_accounts(store, updated.customer_id, keys, "customer")
    updated = dataclasses.replace(updated, payer_accounts=tuple(keys.values()))
    store.save_customer(updated, keys, new=False)
    return updated
