"""Amounts written as text in bank files, turned into integer minor units exactly.

Two spellings occur in the formats read here: implied decimals (BAI2 "1234500" is 12,345.00 in a
two-decimal currency) and a decimal comma (MT940 "1234,5" is 1,234.50). Both are read digit by
digit, never through float or Decimal, and any other character is an error naming where it is.
"""

from __future__ import annotations

from engine.ingest.records import IngestError

# A 15-digit MT940 amount or an 18-digit BAI2 total is the longest real files write; anything
# longer is garbage, and refusing it keeps int() away from megabyte-long digit strings.
MAX_AMOUNT_DIGITS = 20


def implied_decimals(text: str, location: str, *, signed: bool = False) -> int:
    """An amount in minor units already ("+000123" is 123): digits, a sign only when `signed`."""
    digits = text.strip()
    negative = False
    if signed and digits[:1] in ("+", "-"):
        negative = digits[0] == "-"
        digits = digits[1:]
    if not digits or not digits.isascii() or not digits.isdigit() or len(digits) > MAX_AMOUNT_DIGITS:
        kind = "a signed whole number" if signed else "digits only"
        raise IngestError(location, f"amount {text.strip()[:40]!r} is not {kind} (implied decimals)")
    return -int(digits) if negative else int(digits)


def decimal_comma(text: str, exponent: int, location: str) -> int:
    """An MT940 amount ("1234,56", "12,", "0,5") in minor units of a currency with `exponent`
    decimals; more decimals than the currency has is an error, never a rounding."""
    whole, comma, fraction = text.partition(",")
    if (
        not comma
        or "," in fraction
        or not (whole + fraction).isascii()
        or not whole.isdigit()
        or (fraction and not fraction.isdigit())
        or len(whole) + len(fraction) > MAX_AMOUNT_DIGITS
    ):
        raise IngestError(location, f"amount {text[:40]!r} is not digits with one decimal comma")
    significant = fraction.rstrip("0")
    if len(significant) > exponent:
        raise IngestError(location, f"amount {text!r} has more decimals than its currency ({exponent})")
    minor: int = int(whole) * 10**exponent + int(significant.ljust(exponent, "0") or "0")
    return minor
