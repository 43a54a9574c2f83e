"""Money: integer minor units with an ISO 4217 code. The only rounding and allocation helpers.

Amounts are Python ints in minor units (cents for EUR, yen for JPY, fils for KWD). Floats and
Decimals never enter the engine: conversions from a caller's scale happen once, exactly, in
`from_scaled`, and everything after is integer arithmetic.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from engine.errors import InvalidArgument

# Pinned ISO 4217 minor-unit exponents (ISO 4217 amendment 178). Codes not listed are refused.
_EXPONENT_0 = [
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "ISK",
    "JPY",
    "KMF",
    "KRW",
    "PYG",
    "RWF",
    "UGX",
    "UYI",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
]
_EXPONENT_3 = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]
_EXPONENT_4 = ["CLF", "UYW"]
_EXPONENT_2 = [
    "AED",
    "AFN",
    "ALL",
    "AMD",
    "ANG",
    "AOA",
    "ARS",
    "AUD",
    "AWG",
    "AZN",
    "BAM",
    "BBD",
    "BDT",
    "BGN",
    "BMD",
    "BND",
    "BOB",
    "BRL",
    "BSD",
    "BTN",
    "BWP",
    "BYN",
    "BZD",
    "CAD",
    "CDF",
    "CHF",
    "CNY",
    "COP",
    "CRC",
    "CUP",
    "CVE",
    "CZK",
    "DKK",
    "DOP",
    "DZD",
    "EGP",
    "ERN",
    "ETB",
    "EUR",
    "FJD",
    "FKP",
    "GBP",
    "GEL",
    "GHS",
    "GIP",
    "GMD",
    "GTQ",
    "GYD",
    "HKD",
    "HNL",
    "HTG",
    "HUF",
    "IDR",
    "ILS",
    "INR",
    "IRR",
    "JMD",
    "KES",
    "KGS",
    "KHR",
    "KPW",
    "KYD",
    "KZT",
    "LAK",
    "LBP",
    "LKR",
    "LRD",
    "LSL",
    "MAD",
    "MDL",
    "MGA",
    "MKD",
    "MMK",
    "MNT",
    "MOP",
    "MRU",
    "MUR",
    "MVR",
    "MWK",
    "MXN",
    "MYR",
    "MZN",
    "NAD",
    "NGN",
    "NIO",
    "NOK",
    "NPR",
    "NZD",
    "PAB",
    "PEN",
    "PGK",
    "PHP",
    "PKR",
    "PLN",
    "QAR",
    "RON",
    "RSD",
    "RUB",
    "SAR",
    "SBD",
    "SCR",
    "SDG",
    "SEK",
    "SGD",
    "SHP",
    "SLE",
    "SOS",
    "SRD",
    "SSP",
    "STN",
    "SVC",
    "SYP",
    "SZL",
    "THB",
    "TJS",
    "TMT",
    "TOP",
    "TRY",
    "TTD",
    "TWD",
    "TZS",
    "UAH",
    "USD",
    "UYU",
    "UZS",
    "VES",
    "WST",
    "XCD",
    "XCG",
    "YER",
    "ZAR",
    "ZMW",
    "ZWG",
]

CURRENCY_EXPONENTS: dict[str, int] = {
    **{code: 0 for code in _EXPONENT_0},
    **{code: 2 for code in _EXPONENT_2},
    **{code: 3 for code in _EXPONENT_3},
    **{code: 4 for code in _EXPONENT_4},
}

# Largest amount the engine accepts for one invoice or payment, in minor units (10^15 cents is
# ten trillion euros). Keeps every sum of up to ~9,000 items far inside int64.
MAX_AMOUNT_MINOR = 10**15
# Largest scale a caller may send amounts in.
MAX_SCALE = 9


class RoundingMode(enum.Enum):
    """How a fractional minor unit is resolved. Recorded with every computed split."""

    HALF_EVEN = "HALF_EVEN"
    HALF_UP = "HALF_UP"
    DOWN = "DOWN"
    UP = "UP"


def currency_exponent(currency_code: str, field: str = "currency_code") -> int:
    """The minor-unit exponent of an ISO 4217 currency; INVALID_ARGUMENT when unknown."""
    try:
        return CURRENCY_EXPONENTS[currency_code]
    except KeyError:
        raise InvalidArgument(
            "UNKNOWN_CURRENCY", f"unknown ISO 4217 currency code {currency_code!r}", field
        ) from None


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units of one currency."""

    amount_minor: int
    currency: str

    def format(self) -> str:
        """Human-readable, e.g. 'EUR 1,234.50'."""
        exponent = CURRENCY_EXPONENTS.get(self.currency, 2)
        sign = "-" if self.amount_minor < 0 else ""
        whole, frac = divmod(abs(self.amount_minor), 10**exponent)
        text = f"{whole:,}" + (f".{frac:0{exponent}d}" if exponent else "")
        return f"{self.currency} {sign}{text}"


def from_scaled(
    amount: int, scale: int | None, currency_code: str, field: str, *, positive: bool = True
) -> Money:
    """Builds Money from a caller's integer at `scale` decimals, exactly or not at all.

    `scale=None` means the amount is already in the currency's minor units. Precision finer than
    the currency (e.g. 10.005 EUR) and amounts outside (0, MAX_AMOUNT_MINOR] are refused.
    """
    exponent = currency_exponent(currency_code, f"{field}.currency_code")
    if scale is not None and scale != exponent:
        if not 0 <= scale <= MAX_SCALE:
            raise InvalidArgument("INVALID_SCALE", f"scale must be in 0..{MAX_SCALE}", f"{field}.scale")
        if scale > exponent:
            quotient, remainder = divmod(amount, 10 ** (scale - exponent))
            if remainder:
                raise InvalidArgument(
                    "PRECISION_FINER_THAN_CURRENCY",
                    f"{currency_code} has {exponent} decimal places; the amount has more",
                    f"{field}.amount_minor",
                )
            amount = quotient
        else:
            amount = amount * 10 ** (exponent - scale)
    check_amount(amount, f"{field}.amount_minor", positive=positive)
    return Money(amount, currency_code)


def check_amount(amount_minor: int, field: str, *, positive: bool = True) -> None:
    """Refuses zero/negative (when `positive`) or out-of-range amounts, naming the field."""
    if positive and amount_minor <= 0:
        raise InvalidArgument("AMOUNT_MUST_BE_POSITIVE", "amount must be greater than zero", field)
    if amount_minor < 0:
        raise InvalidArgument("AMOUNT_MUST_NOT_BE_NEGATIVE", "amount must not be negative", field)
    if amount_minor > MAX_AMOUNT_MINOR:
        raise InvalidArgument(
            "AMOUNT_OUT_OF_RANGE", f"amount exceeds the maximum of {MAX_AMOUNT_MINOR} minor units", field
        )


def basis_points_of(
    amount_minor: int, basis_points: int, rounding: RoundingMode = RoundingMode.HALF_EVEN
) -> int:
    """amount * basis_points / 10,000 in integer arithmetic, rounded by `rounding`."""
    numerator = amount_minor * basis_points
    quotient, remainder = divmod(numerator, 10_000)
    if rounding is RoundingMode.DOWN or remainder == 0:
        return quotient
    if rounding is RoundingMode.UP:
        return quotient + 1
    twice = 2 * remainder
    if twice > 10_000 or (twice == 10_000 and (rounding is RoundingMode.HALF_UP or quotient % 2 == 1)):
        return quotient + 1
    return quotient


def allocate(total_minor: int, weights: list[int]) -> list[int]:
    """Splits `total_minor` in proportion to `weights`; the parts always sum to the total.

    Largest-remainder method: each part gets the floor of its share, and the leftover minor units
    go one each to the largest remainders (earlier index on ties), so the result is deterministic.
    """
    if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
        raise ValueError("allocate needs non-negative weights with a positive sum")
    weight_sum = sum(weights)
    parts = [total_minor * w // weight_sum for w in weights]
    remainders = [total_minor * w % weight_sum for w in weights]
    leftover = total_minor - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:leftover]:
        parts[i] += 1
    return parts
