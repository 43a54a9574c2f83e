"""The one place the client turns human amounts into wire `Money`.

The client does not know currency exponents (the server owns the ISO 4217 table), so a decimal
amount travels as `amount_minor` written in `scale` decimal places and the server converts it
exactly, refusing precision finer than the currency. An `int` is already in minor units.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from cashapp_client._proto.cashapp.v1 import resources_pb2

# Money.amount_minor is an int64 on the wire.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# Money.scale is an int32; no real book keeps more decimals than this.
MAX_SCALE_DIGITS = 18


def money(amount: str | int | Decimal, currency_code: str) -> resources_pb2.Money:
    """Builds a wire `Money` without ever going through a float.

    - ``money("12.34", "EUR")`` -> amount_minor=1234, scale=2
    - ``money(Decimal("12.345"), "KWD")`` -> amount_minor=12345, scale=3
    - ``money(1234, "EUR")`` -> amount_minor=1234 (minor units; scale unset)

    Raises TypeError for floats and bools, ValueError for text that is not a finite decimal or an
    amount that does not fit the wire format.
    """
    if isinstance(amount, bool) or not isinstance(amount, str | int | Decimal):
        raise TypeError(
            f"amount must be str, int (minor units) or Decimal, not {type(amount).__name__}"
            " (floats cannot represent money exactly)"
        )
    if isinstance(amount, int):
        return resources_pb2.Money(currency_code=currency_code, amount_minor=_checked_int64(amount, amount))
    decimal = _parse_decimal(amount)
    exponent = decimal.as_tuple().exponent
    assert isinstance(exponent, int)  # _parse_decimal refused NaN and infinities
    scale = max(-exponent, 0)
    if scale > MAX_SCALE_DIGITS:
        raise ValueError(f"amount {amount!r} has more than {MAX_SCALE_DIGITS} decimal places")
    amount_minor = int(decimal.scaleb(scale))
    assert Decimal(amount_minor).scaleb(-scale) == decimal, "conversion must be exact"
    return resources_pb2.Money(
        currency_code=currency_code,
        amount_minor=_checked_int64(amount_minor, amount),
        scale=scale,
    )


def _parse_decimal(amount: str | Decimal) -> Decimal:
    if isinstance(amount, Decimal):
        decimal = amount
    else:
        try:
            decimal = Decimal(amount.strip())
        except InvalidOperation:
            raise ValueError(f"amount {amount!r} is not a decimal number") from None
    if not decimal.is_finite():
        raise ValueError(f"amount {amount!r} is not a finite number")
    return decimal


def _checked_int64(amount_minor: int, original: object) -> int:
    if not INT64_MIN <= amount_minor <= INT64_MAX:
        raise ValueError(f"amount {original!r} does not fit in a 64-bit amount_minor")
    return amount_minor
