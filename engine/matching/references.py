"""Invoice references in remittance: exact, normalized (case, separators, OCR look-alikes), and
ISO 11649 RF creditor references.

Normalization maps letters that OCR and typists confuse with digits (O/0, I/1, L/1, S/5, B/8) to
the digit on BOTH sides, so "INV-1OO1" in a bank memo and invoice "inv 1001" meet at one key.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from stdnum import iso11649

# Scores of a reference hit, 0..100 (the solver's reference_score scale).
SCORE_EXACT = 100
SCORE_CREDITOR_REFERENCE = 100
SCORE_NORMALIZED = 80
# Keys shorter than this are too likely to be a day, an amount or a house number.
MIN_KEY_LENGTH = 3
MAX_TOKENS_PER_PAYMENT = 200

_OCR = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2"})
_SEPARATORS = re.compile(r"[^0-9A-Z]")
_TOKEN_SPLIT = re.compile(r"[\s,;:()\[\]{}'\"]+")


def reference_key(value: str) -> str:
    """The normalized matching key of an invoice number or a remittance token."""
    return _SEPARATORS.sub("", value.upper()).translate(_OCR)


@dataclass(frozen=True, slots=True)
class Token:
    """A piece of remittance that might name an invoice, and how strongly it would."""

    raw: str
    key: str
    score: int
    how: str  # EXACT | NORMALIZED | CREDITOR_REFERENCE


def remittance_tokens(structured: tuple[str, ...], free_text: str) -> list[Token]:
    """Candidate tokens, structured references first, each with the score of an exact-id hit.

    The caller compares `raw` with invoice ids for exact hits and `key` with invoice keys for
    normalized hits; a token that is a valid RF reference contributes its payload.
    """
    tokens: list[Token] = []
    words = [w.strip(".") for w in _TOKEN_SPLIT.split(free_text) if w.strip(".")]
    # Adjacent word pairs catch numbers split by a space ("INV 1001").
    pairs = [a + b for a, b in itertools.pairwise(words)]
    for raw in [*structured, *words, *pairs]:
        compact = raw.replace(" ", "").upper()
        if compact.startswith("RF") and iso11649.is_valid(compact):
            payload = compact[4:]
            tokens.append(
                Token(payload, reference_key(payload), SCORE_CREDITOR_REFERENCE, "CREDITOR_REFERENCE")
            )
            continue
        key = reference_key(raw)
        if len(key) >= MIN_KEY_LENGTH:
            tokens.append(Token(raw, key, SCORE_EXACT, "EXACT"))
    unique: dict[tuple[str, str], Token] = {}
    for token in tokens:
        unique.setdefault((token.raw, token.key), token)
    return list(unique.values())[:MAX_TOKENS_PER_PAYMENT]
