"""Dunning policies, contacts and holds as a person sets them up: checked, then stored."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from engine import model as m
from engine import validate as v
from engine.dunning.model import Contact, Hold, Level, Policy
from engine.errors import AlreadyExists, InvalidArgument, NotFound
from engine.money import check_amount, currency_exponent
from engine.storage.store import Store, now_us

MAX_LEVELS = 10
# A reminder more than a quarter before the due date, or a level more than ten years after it,
# is a typo, not a policy.
MIN_DAY_OFFSET = -90
MAX_DAY_OFFSET = 3650
# 100% a year: above it an "interest" figure is a typo too.
MAX_INTEREST_BASIS_POINTS = 10_000
MAX_NAME_LENGTH = 512
MAX_NOTE_LENGTH = 2000
MAX_ACTOR_LENGTH = 128
MAX_EMAIL_LENGTH = 320
MAX_ADDRESS_LENGTH = 2000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")  # E.164


def check_levels(levels: tuple[Level, ...]) -> tuple[Level, ...]:
    """Levels numbered 1..n in order, with strictly rising day offsets and at least one channel."""
    if not levels:
        raise InvalidArgument("MISSING_LEVELS", "a policy needs at least one level", "policy.levels")
    if len(levels) > MAX_LEVELS:
        raise InvalidArgument("TOO_MANY_LEVELS", f"a policy has at most {MAX_LEVELS} levels", "policy.levels")
    previous: int | None = None
    for index, level in enumerate(levels):
        where = f"policy.levels[{index}]"
        if not MIN_DAY_OFFSET <= level.day_offset <= MAX_DAY_OFFSET:
            raise InvalidArgument(
                "DAY_OFFSET_OUT_OF_RANGE",
                f"day_offset must lie within {MIN_DAY_OFFSET}..{MAX_DAY_OFFSET}",
                f"{where}.day_offset",
            )
        if previous is not None and level.day_offset <= previous:
            raise InvalidArgument(
                "LEVELS_OUT_OF_ORDER",
                "each level's day_offset must exceed the one before",
                f"{where}.day_offset",
            )
        previous = level.day_offset
        if not level.channels:
            raise InvalidArgument(
                "MISSING_CHANNELS", "a level needs at least one channel", f"{where}.channels"
            )
        if len(set(level.channels)) != len(level.channels):
            raise InvalidArgument("DUPLICATE_CHANNEL", "a channel is named twice", f"{where}.channels")
        check_amount(level.min_amount_minor, f"{where}.min_amount_minor", positive=False)
        check_amount(level.fee_minor, f"{where}.fee_minor", positive=False)
        if not 0 <= level.interest_basis_points <= MAX_INTEREST_BASIS_POINTS:
            raise InvalidArgument(
                "INTEREST_OUT_OF_RANGE",
                f"interest_basis_points must lie within 0..{MAX_INTEREST_BASIS_POINTS}",
                f"{where}.interest_basis_points",
            )
    return tuple(dataclasses.replace(level, level=i + 1) for i, level in enumerate(levels))


def create_policy(
    store: Store, policy_id: str, display_name: str, currency: str, levels: tuple[Level, ...]
) -> Policy:
    """AIP-133 with a client-chosen id: the same content again answers the stored policy.
    The levels' amounts were read in `currency` (server/convert.py checks them)."""
    v.require_id(policy_id, "policy_id")
    name = v.text(display_name, "policy.display_name", MAX_NAME_LENGTH)
    currency_exponent(currency, "policy.currency_code")
    policy = Policy(policy_id, name, currency, check_levels(levels), now_us())
    existing = store.get_dunning_policy(policy_id)
    if existing is not None:
        same = (existing.display_name, existing.currency, existing.levels)
        if same == (policy.display_name, policy.currency, policy.levels):
            return existing
        raise AlreadyExists(
            "DUNNING_POLICY_ALREADY_EXISTS",
            f"dunning policy {policy_id!r} exists with other content",
            "policy_id",
        )
    store.insert_dunning_policy(policy)
    return policy


def get_policy(store: Store, policy_id: str, *, lock: bool = False) -> Policy:
    v.require_id(policy_id, "policy_id")
    policy = store.get_dunning_policy(policy_id, lock=lock)
    if policy is None:
        raise NotFound(
            "DUNNING_POLICY_NOT_FOUND", f"dunning policy {policy_id!r} does not exist", "policy_id"
        )
    return policy


def list_policies(store: Store, page_size: int, page_token: str) -> m.Page[Policy]:
    return store.list_dunning_policies(page_size, page_token)


def _known_customer(store: Store, customer_id: str) -> None:
    v.require_id(customer_id, "customer_id")
    if store.get_customer(customer_id) is None:
        raise NotFound("CUSTOMER_NOT_FOUND", f"customer {customer_id!r} does not exist", "customer_id")


def set_contact(store: Store, customer_id: str, email: str, phone: str, postal_address: str) -> Contact:
    """Replaces where the customer's notices go; an empty field means that channel cannot reach
    them (its delivery fails and is listed)."""
    if email and (len(email) > MAX_EMAIL_LENGTH or not _EMAIL.match(email)):
        raise InvalidArgument("INVALID_EMAIL", "email must be an address like name@example.com", "email")
    if phone and not _PHONE.match(phone):
        raise InvalidArgument("INVALID_PHONE", "phone must be an E.164 number like +4930123456", "phone")
    v.text(postal_address, "postal_address", MAX_ADDRESS_LENGTH)
    _known_customer(store, customer_id)
    contact = Contact(customer_id, email, phone, postal_address.strip(), now_us())
    store.save_dunning_contact(contact)
    return contact


def _who(actor: str, note: str) -> tuple[str, str]:
    if not actor.strip():
        raise InvalidArgument("MISSING_ACTOR", "actor is required", "actor")
    if not note.strip():
        raise InvalidArgument("MISSING_NOTE", "a note saying why is required", "note")
    return v.text(actor, "actor", MAX_ACTOR_LENGTH), v.text(note, "note", MAX_NOTE_LENGTH)


def _currency(currency: str) -> str:
    if currency:
        currency_exponent(currency, "currency_code")
    return currency


def promise_to_pay(store: Store, customer_id: str, currency: str, until: str, actor: str, note: str) -> Hold:
    """The customer promised to pay by `until`: no notice in that currency ("" = any) until then."""
    who, why = _who(actor, note)
    day: dt.date = v.require_date(until, "promised_date")
    hold = Hold(customer_id, "PROMISE_TO_PAY", _currency(currency), day, why, who, now_us())
    _known_customer(store, customer_id)
    store.save_dunning_hold(hold)
    return hold


def exclude_customer(store: Store, customer_id: str, until: str, actor: str, note: str) -> Hold:
    """No notice to the customer at all, until `until` ("" = until excluded again with a date)."""
    who, why = _who(actor, note)
    day = v.require_date(until, "until_date") if until else None
    hold = Hold(customer_id, "EXCLUDED", "", day, why, who, now_us())
    _known_customer(store, customer_id)
    store.save_dunning_hold(hold)
    return hold
