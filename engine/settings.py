"""A tenant's settings: the default write-off and matching tolerances (customers may override
each). A change re-opens every unapplied payment of the tenant for a new decision."""

from __future__ import annotations

import dataclasses

from engine import model as m
from engine.errors import InvalidArgument
from engine.money import MAX_AMOUNT_MINOR
from engine.storage.store import Store, now_us

UPDATABLE_FIELDS = ("write_off_tolerance_minor", "matching_tolerance_minor")


def get_settings(store: Store) -> m.TenantSettings:
    return store.tenant_settings()


def update_settings(store: Store, patch: m.TenantSettings, mask: list[str]) -> m.TenantSettings:
    """Replaces the fields named in `mask`; an empty mask changes nothing (the server turns an
    empty wire mask into the populated fields, AIP-134)."""
    unknown = [path for path in mask if path not in UPDATABLE_FIELDS]
    if unknown:
        raise InvalidArgument("INVALID_UPDATE_MASK", f"cannot update {unknown[0]!r}", "update_mask.paths")
    fields = set(mask)
    for name in sorted(fields):
        value = getattr(patch, name)
        if not 0 <= value <= MAX_AMOUNT_MINOR:
            raise InvalidArgument(
                "INVALID_TOLERANCE", f"{name} must be 0..{MAX_AMOUNT_MINOR}", f"settings.{name}"
            )
    current = store.tenant_settings()
    updated = dataclasses.replace(current, **{name: getattr(patch, name) for name in fields})
    if dataclasses.replace(updated, update_us=0) == dataclasses.replace(current, update_us=0):
        return current  # nothing changed: no payment needs a new decision
    updated = dataclasses.replace(updated, update_us=now_us())
    store.save_tenant_settings(updated)
    store.mark_needs_decision(every_payment=True)
    return updated
