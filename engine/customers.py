"""Customers: payment terms, payer accounts, aliases, tolerance overrides.

A new or changed customer can identify payments matching could not place (a payer account, a
name), and changes what its own payments are matched against: both mark those payments as
needing a decision.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from engine import model as m
from engine import validate as v
from engine.alerts import detectors, raising
from engine.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from engine.money import MAX_AMOUNT_MINOR
from engine.storage.store import Store, now_us

UPDATABLE_FIELDS = frozenset(
    {
        "display_name",
        "name_aliases",
        "payer_accounts",
        "payment_terms",
        "tolerance_minor",
        "matching_tolerance_minor",
    }
)
MAX_BATCH_CUSTOMERS = 1000


def _validated(c: m.Customer, field: str, id_field: str = "customer_id") -> tuple[m.Customer, dict[str, str]]:
    """Checks every field; returns the customer and its payer accounts (normalized key -> as given)."""
    v.require_id(c.customer_id, id_field)
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
    for name in ("tolerance_minor", "matching_tolerance_minor"):
        value = getattr(c, name)
        if value is not None and not 0 <= value <= MAX_AMOUNT_MINOR:
            raise InvalidArgument(
                "INVALID_TOLERANCE", f"{name} must be 0..{MAX_AMOUNT_MINOR}", f"{field}.{name}"
            )
    return c, keys


def _same_content(a: m.Customer, b: m.Customer) -> bool:
    strip = {"create_us": 0, "update_us": 0, "payer_accounts": ()}
    return (
        dataclasses.replace(a, **strip) == dataclasses.replace(b, **strip)  # type: ignore[arg-type]
        and sorted(a.payer_accounts) == sorted(b.payer_accounts)
    )


def _claim_accounts(store: Store, customer_id: str, keys: dict[str, str], field: str) -> None:
    _claim_keys(store.payer_account_owners(keys), customer_id, keys, field)


def _claim_keys(owners: dict[str, str], customer_id: str, keys: dict[str, str], field: str) -> None:
    """Refuses payer accounts already registered to another customer (owners: key -> owner)."""
    for key in keys:
        owner = owners.get(key)
        if owner is not None and owner != customer_id:
            index = list(keys).index(key)
            raise FailedPrecondition(
                "PAYER_ACCOUNT_BELONGS_TO_ANOTHER_CUSTOMER",
                f"payer account {keys[key]!r} is registered to customer {owner!r}",
                f"{field}.payer_accounts[{index}]",
            )


def create_customer(store: Store, customer: m.Customer) -> m.Customer:
    return create_customers(store, [customer])[0]


def create_customers(
    store: Store, customers: Sequence[m.Customer], *, batch_field: str = ""
) -> list[m.Customer]:
    """Creates customers atomically (set-based inserts); identical re-creates return the stored
    one, different content is ALREADY_EXISTS. With `batch_field`, item i is named
    `requests[i].customer` in errors, as BatchCreateInvoices does."""
    if batch_field and not 1 <= len(customers) <= MAX_BATCH_CUSTOMERS:
        raise InvalidArgument(
            "INVALID_BATCH_SIZE", f"a batch holds 1..{MAX_BATCH_CUSTOMERS} customers", batch_field
        )
    fields = [f"{batch_field}[{i}].customer" if batch_field else "customer" for i in range(len(customers))]
    id_fields = [f"{f}.customer_id" if batch_field else "customer_id" for f in fields]
    checked = [_validated(c, f, i) for c, f, i in zip(customers, fields, id_fields, strict=True)]
    seen: set[str] = set()
    for (c, _), id_field in zip(checked, id_fields, strict=True):
        if c.customer_id in seen:
            raise InvalidArgument("DUPLICATE_ID", "customer_id repeats within the batch", id_field)
        seen.add(c.customer_id)
    existing = store.get_customers(seen)
    owners = store.payer_account_owners({k for _, keys in checked for k in keys})
    now = now_us()
    results: list[m.Customer] = []
    fresh: list[tuple[m.Customer, dict[str, str]]] = []
    for (c, keys), field, id_field in zip(checked, fields, id_fields, strict=True):
        stored = existing.get(c.customer_id)
        if stored is not None:
            if not _same_content(stored, c):
                raise AlreadyExists(
                    "CUSTOMER_ALREADY_EXISTS",
                    f"customer {c.customer_id!r} exists with different content",
                    id_field,
                )
            results.append(stored)
            continue
        _claim_keys(owners, c.customer_id, keys, field)
        owners.update(dict.fromkeys(keys, c.customer_id))  # a later item may not claim them again
        created = dataclasses.replace(c, payer_accounts=tuple(keys.values()), create_us=now, update_us=now)
        fresh.append((created, keys))
        results.append(created)
    store.insert_customers(fresh)
    if fresh:
        # A new payer account or name can identify payments no customer was found for.
        store.mark_needs_decision(unidentified=True, account_keys=[k for _, keys in fresh for k in keys])
    return results


def get_customer(store: Store, customer_id: str, field: str = "customer_id") -> m.Customer:
    v.require_id(customer_id, field)
    customer = store.get_customer(customer_id)
    if customer is None:
        raise NotFound("CUSTOMER_NOT_FOUND", f"customer {customer_id!r} does not exist", field)
    return customer


def update_customer(store: Store, patch: m.Customer, mask: list[str]) -> m.Customer:
    """Replaces the fields named in `mask`; an empty mask changes nothing (the server turns an
    empty wire mask into the populated fields, AIP-134)."""
    unknown = [path for path in mask if path not in UPDATABLE_FIELDS]
    if unknown:
        raise InvalidArgument("INVALID_UPDATE_MASK", f"cannot update {unknown[0]!r}", "update_mask.paths")
    current = get_customer(store, patch.customer_id, "customer.customer_id")
    fields = set(mask)
    if not fields:
        return current
    updated = dataclasses.replace(
        current,
        **{name: getattr(patch, name) for name in fields},
        update_us=now_us(),
    )
    updated, keys = _validated(updated, "customer")
    _claim_accounts(store, updated.customer_id, keys, "customer")
    updated = dataclasses.replace(updated, payer_accounts=tuple(keys.values()))
    store.save_customer(updated, keys, new=False)
    raising.record(store, detectors.after_terms_change(store, current, updated, updated.update_us))
    # Its own payments are matched against what changed (tolerances, terms, accounts, names);
    # payments nobody was found for may now be identified by a new account or alias.
    store.mark_needs_decision(customer_ids=[updated.customer_id], unidentified=True, account_keys=keys)
    return updated
