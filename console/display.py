"""How amounts and times look on the page. Formatting only: the figures come from the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from google.protobuf.timestamp_pb2 import Timestamp

from cashapp_client import Money
from cashapp_client._proto.cashapp.v1 import case_service_pb2, resources_pb2
from engine.money import currency_exponent


def amount_text(amount_minor: int, currency_code: str) -> str:
    """1234, "EUR" -> "12.34" (the pinned ISO 4217 exponent, never a float)."""
    exponent = currency_exponent(currency_code)
    return f"{Decimal(amount_minor).scaleb(-exponent):.{exponent}f}"


def money_text(m: Money) -> str:
    if not m.currency_code:
        return ""
    return f"{amount_text(m.amount_minor, m.currency_code)} {m.currency_code}"


def to_minor(text: str, currency_code: str) -> int:
    """The clerk's "12.34" in minor units of the currency; ValueError when it has more decimals
    than the currency or is not a number."""
    try:
        value = Decimal(text.strip().replace(",", ""))
    except ArithmeticError:
        raise ValueError(f"{text!r} is not an amount") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not an amount")
    scaled = value.scaleb(currency_exponent(currency_code))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{text!r} has more decimals than {currency_code} allows")
    return int(scaled)


def timestamp_of(ts: Timestamp) -> dt.datetime | None:
    if ts.seconds == 0 and ts.nanos == 0:
        return None
    return ts.ToDatetime(tzinfo=dt.UTC)


def time_text(ts: Timestamp) -> str:
    when = timestamp_of(ts)
    return "" if when is None else when.strftime("%Y-%m-%d %H:%M UTC")


def age_days(ts: Timestamp, today: dt.date) -> int:
    when = timestamp_of(ts)
    return 0 if when is None else max((today - when.date()).days, 0)


def enum_text(value: int, enum_name: str) -> str:
    """InvoiceState 2, "InvoiceState" -> "PARTIALLY_PAID" (the proto's own name, prefix dropped)."""
    for module in (resources_pb2, case_service_pb2):
        enum = module.DESCRIPTOR.enum_types_by_name.get(enum_name)
        if enum is not None:
            number = enum.values_by_number.get(value)
            if number is None:
                return str(value)
            prefix = "".join("_" + c if c.isupper() else c.upper() for c in enum_name).lstrip("_") + "_"
            return str(number.name).removeprefix(prefix)
    return str(value)
