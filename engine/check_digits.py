"""ISO 7064 mod 97-10, the check of IBANs (ISO 13616) and RF creditor references (ISO 11649):
move the first four characters (letters, check digits) to the end, read each letter as its
base-36 value's decimal digits, and the number must leave 1 divided by 97.

python-stdnum computes it one character at a time (its iban and iso11649 modules); for codes
already compact (ASCII digits and capitals) one str.translate and one int() do it at a tenth of
the cost, which mattered where every payment of a bank file is checked.
"""

from __future__ import annotations

import string

_BASE36_DIGITS = str.maketrans({c: str(int(c, 36)) for c in string.digits + string.ascii_uppercase})


def is_compact(code: str) -> bool:
    """ASCII digits and capital letters only (at least one letter): what mod_97_10_holds reads."""
    return code.isascii() and code.isalnum() and code.isupper()


def mod_97_10_holds(code: str) -> bool:
    """The check of a compact code (is_compact) whose check digits are its third and fourth."""
    return int((code[4:] + code[:4]).translate(_BASE36_DIGITS)) % 97 == 1
