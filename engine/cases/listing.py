"""Reading cases (by id, or a filtered page) and the tenant's case limits."""

from __future__ import annotations

from dataclasses import dataclass

from engine import model as m
from engine import validate as v
from engine.cases.case import Case, CaseSettings, Kind, State
from engine.errors import InvalidArgument
from engine.money import MAX_AMOUNT_MINOR
from engine.storage import tables as t
from engine.storage.store import Store, now_us


@dataclass(frozen=True, slots=True)
class CaseFilter:
    state: State | None = None
    kind: Kind | None = None
    customer_id: str = ""
    invoice_id: str = ""


def list_cases(store: Store, f: CaseFilter, page_size: int, page_token: str) -> m.Page[Case]:
    k = t.cases.c
    where = []
    if f.state is not None:
        where.append(k.state == f.state.value)
    if f.kind is not None:
        where.append(k.kind == f.kind.value)
    if f.customer_id:
        where.append(k.customer_id == v.require_id(f.customer_id, "customer_id"))
    if f.invoice_id:
        where.append(k.invoice_id == v.require_id(f.invoice_id, "invoice_id"))
    filters = (f.state and f.state.value, f.kind and f.kind.value, f.customer_id, f.invoice_id)
    items, token = store.list_cases(where, page_size, page_token, filters)
    return m.Page(items, token)


def update_settings(
    store: Store, approval_limit_minor: int | None, write_off_limit_minor: int
) -> CaseSettings:
    for value, field in (
        (approval_limit_minor, "approval_limit_minor"),
        (write_off_limit_minor, "write_off_limit_minor"),
    ):
        if value is not None and not 0 <= value <= MAX_AMOUNT_MINOR:
            raise InvalidArgument("INVALID_LIMIT", f"{field} must be 0..{MAX_AMOUNT_MINOR}", field)
    settings = CaseSettings(approval_limit_minor, write_off_limit_minor, now_us())
    store.save_case_settings(settings)
    return settings
