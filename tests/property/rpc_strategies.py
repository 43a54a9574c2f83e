"""Hypothesis strategies for arbitrary cashapp.v1 requests, built by walking the message
descriptors: any request of any method, with no hand-written list of fields to keep up to date.

Every field gets hostile values (strings with NUL, huge or unusual unicode text, integers at
their extremes, unknown enum numbers, junk field-mask paths, forged page tokens) mixed with
plausible ones (ids that exist, valid dates, known currencies, amounts), so that requests get
past shallow validation into the engine.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import strategies as st

from engine.storage.pagination import encode_token

MAX_DEPTH = 4  # nesting of messages (a request holds at most Request > Invoice > Money)
MAX_REPEATED = 4  # items of a repeated field (the limits of 100/1000 are tested elsewhere)
HUGE_TEXT_CHARS = 70_000  # beyond every text limit, well within the message size
INT_RANGES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
}
DATE_FIELDS = {"issue_date", "due_date", "value_date", "due_before", "as_of_date", "start_date", "end_date"}
CURRENCIES = ["EUR", "USD", "JPY", "KWD", "CHF"]
IBAN = "DE89370400440532013000"
ODD_DATES = [
    *("9999-12-31", "9999-12-25", "0001-01-01", "1899-12-31", "2999-12-31", "1900-01-01"),
    *("20261101", "2026-W45-1", "2026-02-30", "2026-11-20T00:00:00", "2026-11-20\n"),
    "\uff12\uff10\uff12\uff16-11-20",  # full-width digits
]
ACCOUNTS = [IBAN, "DE89370400440532013001", "NL91ABNA0417164300", "ACCT-777"]


@dataclass
class Pools:
    """Ids that exist on the server, by the field names that refer to them."""

    ids: dict[str, list[str]] = field(default_factory=dict)

    def for_field(self, name: str) -> list[str]:
        key = name.removesuffix("s") if name.endswith("_ids") else name
        return self.ids.get(key, [])


def _text() -> st.SearchStrategy[str]:
    hostile = st.text(
        alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Z", "Cc", "Cf"]),
        max_size=40,
    )
    odd = st.sampled_from(["", " ", "\x00", "a\x00b", "\u202e", "\ufeff", "😀" * 3, "\n", "INV-1 "])
    # Repeated branches weigh the choice: huge text is rare, so requests stay cheap.
    return st.one_of(hostile, hostile, hostile, odd, odd, st.just("x" * HUGE_TEXT_CHARS), st.just("é" * 600))


def _plausible_text() -> st.SearchStrategy[str]:
    return st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij -.0123456789", min_size=1, max_size=20)


def _mostly(plausible: st.SearchStrategy[Any], hostile: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Three draws in four plausible: a request of many fields still often gets past validation."""
    return st.one_of(plausible, plausible, plausible, hostile)


def _fresh_id() -> st.SearchStrategy[str]:
    return st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=10).map(
        lambda s: f"Z-{s}"
    )


def _dates() -> st.SearchStrategy[str]:
    valid = st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2027, 12, 31))
    odd = st.sampled_from(ODD_DATES)
    return _mostly(valid.map(lambda d: d.isoformat()), st.one_of(odd, _text()))


def _page_tokens() -> st.SearchStrategy[str]:
    forged_key = st.one_of(st.text(max_size=12), st.just("9" * 30 + ":x"), st.just("\x00"))
    filters = st.sampled_from([{}, {"k": ""}, {"p": "", "order": "newest"}])
    forged = st.builds(encode_token, forged_key, filters)
    json_junk = st.recursive(
        st.none() | st.integers() | st.text(max_size=5), lambda c: st.lists(c, max_size=3)
    )
    b64 = json_junk.map(lambda v: base64.urlsafe_b64encode(json.dumps(v).encode()).decode())
    return st.one_of(st.just(""), forged, b64, _text())


def _string(fd: FieldDescriptor, pools: Pools) -> st.SearchStrategy[str]:
    name = fd.name
    known = pools.for_field(name)
    if name.endswith("_id") or name.endswith("_ids"):
        plausible = st.one_of(st.sampled_from(known), _fresh_id()) if known else _fresh_id()
        return _mostly(plausible, _text())
    if name in DATE_FIELDS:
        return _dates()
    if name == "currency_code":
        return _mostly(st.sampled_from(CURRENCIES), _text())
    if name == "page_token":
        return _page_tokens()
    if name == "request_id":
        return _mostly(st.uuids().map(str), st.one_of(st.sampled_from(["fuzz-1", "fuzz-2"]), _text()))
    if name == "payer_account" or name == "payer_accounts":
        return _mostly(st.sampled_from(ACCOUNTS), _text())
    if name == "references":
        invoices = pools.for_field("invoice_id")
        return _mostly(st.sampled_from(invoices) if invoices else _plausible_text(), _text())
    return _mostly(_plausible_text(), _text())


def _integer(fd: FieldDescriptor) -> st.SearchStrategy[int]:
    low, high = INT_RANGES[fd.type]
    edges = st.sampled_from([low, high, 0, 1, -1 if low < 0 else 2, 1000, 1001, 10**15, 10**15 + 1])
    edges = edges.filter(lambda v: low <= v <= high)
    plausible = st.integers(1, 100_000) if fd.name.endswith("_minor") else st.integers(0, 40)
    return _mostly(plausible, st.one_of(edges, st.integers(low, high)))


def _scalar(fd: FieldDescriptor, pools: Pools) -> st.SearchStrategy[Any]:
    if fd.type == FieldDescriptor.TYPE_STRING:
        return _string(fd, pools)
    if fd.type == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if fd.type == FieldDescriptor.TYPE_ENUM:
        numbers = [v.number for v in fd.enum_type.values]
        return _mostly(st.sampled_from(numbers), st.integers(-(2**31), 2**31 - 1))
    if fd.type in INT_RANGES:
        return _integer(fd)
    if fd.type == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=32)
    if fd.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return st.floats(allow_nan=True, width=32)
    raise AssertionError(f"no strategy for {fd.full_name} (type {fd.type})")


def _field_mask(resource: Descriptor | None) -> st.SearchStrategy[list[str]]:
    names = [f.name for f in resource.fields] if resource else []
    path = st.one_of(st.sampled_from(names), _text()) if names else _text()
    return st.lists(path, max_size=3)


def messages(
    desc: Descriptor, pools: Pools, depth: int = 0, resource: Descriptor | None = None
) -> st.SearchStrategy[Message]:
    """Any message of type `desc`: each field left unset or set to a drawn value. `resource`
    is the message a FieldMask beside it refers to."""
    cls = message_factory.GetMessageClass(desc)
    if desc.full_name == "google.protobuf.FieldMask":
        return _field_mask(resource).map(lambda paths: cls(paths=paths))
    inner = next((f.message_type for f in desc.fields if f.message_type and _ours(f.message_type)), None)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for fd in desc.fields:
        if fd.type == FieldDescriptor.TYPE_MESSAGE:
            if depth >= MAX_DEPTH:
                continue
            value: st.SearchStrategy[Any] = st.deferred(
                lambda fd=fd: messages(fd.message_type, pools, depth + 1, inner)  # type: ignore[misc]
            )
        else:
            value = _scalar(fd, pools)
        if fd.is_repeated:
            value = st.lists(value, max_size=MAX_REPEATED)
        fields[fd.name] = value
    return st.fixed_dictionaries({}, optional=fields).map(lambda values: _build(cls, values))


def _ours(desc: Descriptor) -> bool:
    return desc.full_name.startswith("cashapp.")


def _build(cls: Callable[..., Message], values: dict[str, Any]) -> Message:
    msg = cls()
    for name, value in values.items():
        fd = msg.DESCRIPTOR.fields_by_name[name]
        if fd.is_repeated:
            getattr(msg, name).extend(value)
        elif fd.type == FieldDescriptor.TYPE_MESSAGE:
            getattr(msg, name).CopyFrom(value)
        else:
            setattr(msg, name, value)
    return msg
