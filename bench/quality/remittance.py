"""Remittance texts as payers write them, OCR damage, and the 140-character cut of SEPA free text."""

from __future__ import annotations

import random
import re

# SEPA unstructured remittance information is cut by banks at 140 characters.
REMITTANCE_MAX_CHARS = 140

_SINGLE_FORMATS = (
    "{ref}",
    "Invoice {ref}",
    "Inv. {ref}",
    "RE {ref}",
    "Rechnung {ref}",
    "Factuur {ref}",
    "Payment {ref} thank you",
    "Kd-Nr {customer} RE {ref}",
    "INVOICE NO {ref}",
)
_MULTI_PREFIXES = ("", "Invoices ", "Payment of invoices ", "RE ", "Rechnungen ", "Inv ")
SEPARATORS = (" ", ", ", "; ", "/", " and ", "\n", ",", " + ")
_LOOKALIKES = {"0": "O", "1": "I", "5": "S", "8": "B"}


def single(rng: random.Random, ref: str, customer_id: str) -> str:
    return rng.choice(_SINGLE_FORMATS).format(ref=ref, customer=customer_id)


def _numeric_tail(ref: str) -> tuple[str, str]:
    match = re.match(r"^(.*?)(\d+)$", ref)
    if match is None:
        return ref, ""
    return match.group(1), match.group(2)


def glued(refs: list[str]) -> str:
    """ "INV-2026-004512/004513/004520": the first number in full, the rest by their digits only
    (when they share its prefix)."""
    head, _ = _numeric_tail(refs[0])
    parts = [refs[0]]
    for ref in refs[1:]:
        prefix, digits = _numeric_tail(ref)
        parts.append(digits if prefix == head and digits else ref)
    return "/".join(parts)


def multi(rng: random.Random, refs: list[str]) -> str:
    prefix = rng.choice(_MULTI_PREFIXES)
    if rng.random() < 0.15:
        return prefix + glued(refs)
    separator = rng.choice(SEPARATORS)
    if separator == " and " and len(refs) > 2:
        return prefix + ", ".join(refs[:-1]) + " and " + refs[-1]
    return prefix + separator.join(refs)


def truncated(rng: random.Random, refs: list[str]) -> tuple[str, int]:
    """A text of more than 140 characters naming `refs`, cut at 140, and how many refs are
    still complete. The caller gives enough refs; the last one straddles or follows the cut."""
    prefix = rng.choice(_MULTI_PREFIXES)
    separator = rng.choice((", ", " ", "; ", "/"))
    text = prefix
    complete = 0
    for index, ref in enumerate(refs):
        piece = (separator if index else "") + ref
        if len(text) + len(piece) <= REMITTANCE_MAX_CHARS:
            complete += 1
        text += piece
        if len(text) > REMITTANCE_MAX_CHARS:
            return text[:REMITTANCE_MAX_CHARS], complete
    raise ValueError("not enough references to pass the 140-character cut")


def lookalike(rng: random.Random, ref: str) -> str | None:
    """One digit written as its OCR look-alike (0->O, 1->I, 5->S, 8->B), or None if none fits."""
    positions = [i for i, ch in enumerate(ref) if ch in _LOOKALIKES]
    if not positions:
        return None
    i = rng.choice(positions)
    return ref[:i] + _LOOKALIKES[ref[i]] + ref[i + 1 :]


def digit_damage(rng: random.Random, ref: str) -> str | None:
    """A dropped, doubled or transposed digit in the number part, or None if none applies."""
    prefix, digits = _numeric_tail(ref)
    if len(digits) < 3:
        return None
    mode = rng.choice(("drop", "double", "transpose"))
    i = rng.randrange(len(digits))
    if mode == "drop":
        damaged = digits[:i] + digits[i + 1 :]
    elif mode == "double":
        damaged = digits[:i] + digits[i] + digits[i:]
    else:
        pairs = [j for j in range(len(digits) - 1) if digits[j] != digits[j + 1]]
        if not pairs:
            return None
        j = rng.choice(pairs)
        damaged = digits[:j] + digits[j + 1] + digits[j] + digits[j + 2 :]
    return prefix + damaged


def within_one_edit(a: str, b: str) -> bool:
    """Optimal-string-alignment distance <= 1: one insertion, deletion, substitution or swap."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        if len(diffs) != 2 or diffs[1] != diffs[0] + 1:
            return False
        return a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
