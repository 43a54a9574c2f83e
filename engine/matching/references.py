"""Invoice references in remittance: exact, normalized (case, separators, OCR look-alikes), and
ISO 11649 RF creditor references.

Normalization maps letters that OCR and typists confuse with digits (O/0, I/1, L/1, S/5, B/8) to
the digit on BOTH sides, so "INV-1OO1" in a bank memo and invoice "inv 1001" meet at one key.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA
from stdnum import iso11649

from engine.check_digits import is_compact, mod_97_10_holds

# Scores of a reference hit, 0..100 (the solver's reference_score scale).
SCORE_EXACT = 100
SCORE_CREDITOR_REFERENCE = 100
SCORE_NORMALIZED = 80
# Keys shorter than this are too likely to be a day, an amount or a house number.
MIN_KEY_LENGTH = 3
MAX_TOKENS_PER_PAYMENT = 200

_OCR = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2"})
_SEPARATORS = re.compile(r"[^0-9A-Z]")
# Words: what lies between blanks, line breaks and list punctuation. "/" is not among them, since
# it belongs to many invoice numbers ("RE 2026/0045"); words are split on it again below.
_TOKEN_SPLIT = re.compile(r"[\s,;:()\[\]{}'\"]+")
# Inside a word, the separators payers put between invoice numbers ("1001/1002", "1001+1002").
_LIST_SPLIT = re.compile(r"[/&+|#*]+")
# An invoice-number-shaped run: letters then digits (with inner separators), or digits alone.
# Finds each number in glued forms such as "INV1001INV1002".
_NUMBER_RUN = re.compile(r"[A-Z]{1,8}[-_.]?\d{2,}(?:[-_.]\d+)*|\d{3,}(?:[-_.]\d+)*")
# "INV-2026-0451" = prefix "INV-2026-" + digits "0451": a later bare "0452" means "INV-2026-0452".
_PREFIXED = re.compile(r"^(.*?[^0-9])(\d+)$")
# Banks cut unstructured remittance at 140 characters (SEPA); text this long may end in a cut number.
CUT_TEXT_LENGTH = 135
MIN_PREFIX_LENGTH = 4  # a cut reference must keep this many characters of its key to count
MIN_NEAR_KEY_LENGTH = 5  # keys this long and with digits may match at edit distance 1
MIN_INHERITING_DIGITS = 2  # a bare number this long may take the prefix of the number before it
# Keys kept: matching compares every open invoice of a batch's customers with its tokens.
REFERENCE_KEY_CACHE_SIZE = 1 << 16


@functools.lru_cache(maxsize=REFERENCE_KEY_CACHE_SIZE)
def reference_key(value: str) -> str:
    """The normalized matching key of an invoice number or a remittance token."""
    return plain_key(value).translate(_OCR)


@dataclass(frozen=True, slots=True)
class Token:
    """A piece of remittance that might name an invoice, and how strongly it would."""

    raw: str
    key: str
    score: int
    how: str  # EXACT | NORMALIZED | CREDITOR_REFERENCE


def _pieces(word: str) -> list[str]:
    """A word, its list parts, and the number-shaped runs glued inside them."""
    parts = [p for p in _LIST_SPLIT.split(word) if p]
    runs = [r.group(0) for p in parts for r in _NUMBER_RUN.finditer(p.upper())]
    return [word, *parts, *runs]


def _inherited(pieces: list[str]) -> list[str]:
    """Bare numbers completed with the prefix of a prefixed number in the same text, so that
    "INV-1001/1002", "INV-1001, 02" and "inv 1001 and 1002" also name INV-1002. The prefix must
    hold a letter and the bare number two digits: "part 1/2" and "instalment 1 of 3" name nothing."""
    bare = sorted({p for p in pieces if p.isdigit() and len(p) >= MIN_INHERITING_DIGITS})
    out: list[str] = []
    if not bare:
        return out
    for piece in pieces:
        # A piece not ending in a digit cannot match (\d is a subset of str.isdigit): most words
        # are skipped without the regular expression.
        if not piece[-1:].isdigit():
            continue
        found = _PREFIXED.match(piece)
        if found is None or not any(c.isalpha() for c in found.group(1)):
            continue
        prefix, digits = found.group(1), found.group(2)
        out += [prefix + digits[: len(digits) - len(b)] + b for b in bare if len(b) <= len(digits)]
    return out


def plain_key(value: str) -> str:
    """Case and separators removed, no look-alike mapping: two texts with one plain key name
    the same invoice number as surely as an exact match."""
    return _SEPARATORS.sub("", value.upper())


def remittance_tokens(structured: tuple[str, ...], free_text: str) -> list[Token]:
    """Candidate tokens, structured references first, each with the score of an exact-id hit.

    The caller compares `raw` with invoice ids for exact hits and `key` with invoice keys for
    normalized hits; a token that is a valid RF reference contributes its payload.
    """
    return [
        Token(raw, key, SCORE_CREDITOR_REFERENCE, "CREDITOR_REFERENCE") if creditor_reference
        else Token(raw, key, SCORE_EXACT, "EXACT")
        for (raw, key), creditor_reference in itertools.islice(
            _candidates(structured, free_text).items(), MAX_TOKENS_PER_PAYMENT
        )
    ]  # fmt: skip


def remittance_keys(structured: tuple[str, ...], free_text: str) -> set[str]:
    """The keys of remittance_tokens(structured, free_text), without building its tokens: what
    storing a payment's reference keys needs (a bank file stores tens of thousands at once)."""
    return {key for _, key in itertools.islice(_candidates(structured, free_text), MAX_TOKENS_PER_PAYMENT)}


def _candidates(structured: tuple[str, ...], free_text: str) -> dict[tuple[str, str], bool]:
    """Each distinct (raw, key) of the remittance, in the order first found, mapped to whether
    it is the payload of a valid RF creditor reference (the first finding of a pair decides)."""
    found: dict[tuple[str, str], bool] = {}
    words = [w for w in (w.strip(".") for w in _TOKEN_SPLIT.split(free_text)) if w]
    # Adjacent word pairs catch numbers split by a space ("INV 1001").
    pairs = [a + b for a, b in itertools.pairwise(words)]
    pieces = [piece for w in [*structured, *words] for piece in _pieces(w)]
    # Each distinct raw once, in the order first found: a raw seen again maps to the same
    # (raw, key) and is a no-op of setdefault (a word is also its own list part: half the raws
    # of a text repeat).
    seen = dict.fromkeys([*pieces, *pairs])
    for raw in dict.fromkeys([*structured, *seen, *_inherited(list(seen))]):
        compact = raw.replace(" ", "").upper()
        if compact.startswith("RF") and _is_creditor_reference(compact):
            payload = compact[4:]
            found.setdefault((payload, reference_key(payload)), True)
            continue
        key = reference_key(raw)
        if len(key) >= MIN_KEY_LENGTH:
            found.setdefault((raw, key), False)
    return found


def _is_creditor_reference(compact: str) -> bool:
    """iso11649.is_valid(compact). RF and then ASCII digits and capitals (a bank file's case) are
    checked here: python-stdnum's clean-up changes none of them, and its per-character conversion
    cost a tenth of storing a payment's reference keys; any other text goes to python-stdnum."""
    if not (compact.startswith("RF") and is_compact(compact)):
        return bool(iso11649.is_valid(compact))
    return 5 <= len(compact) <= 25 and mod_97_10_holds(compact)


def cut_last_key(free_text: str) -> str | None:
    """The key of the last word of a remittance text long enough to have been cut by the bank."""
    if len(free_text) < CUT_TEXT_LENGTH:
        return None
    words = [w for w in _TOKEN_SPLIT.split(free_text) if w]
    if not words:
        return None
    runs = [r.group(0) for r in _NUMBER_RUN.finditer(words[-1].upper())]
    key = reference_key(runs[-1] if runs else words[-1])
    return key if len(key) >= MIN_PREFIX_LENGTH else None


# Keys hold only 0-9 and A-Z: their digit count is their length less that of the key without them
# (counting them one by one in Python cost a tenth of AutoApply's plan).
_DROP_DIGITS = str.maketrans("", "", "0123456789")


def near_keys(tokens: list[Token]) -> list[str]:
    """Token keys that may name an invoice with one digit dropped, doubled or transposed."""
    return sorted(
        {
            t.key
            for t in tokens
            if len(t.key) >= MIN_NEAR_KEY_LENGTH and len(t.key) - len(t.key.translate(_DROP_DIGITS)) >= 3
        }
    )


def near_indexes(token_keys: Sequence[str], invoice_keys: Sequence[str]) -> list[list[int]]:
    """For each token key, the positions of the invoice keys near it (is_near), all found in one
    rapidfuzz call (one call per pair cost a quarter of AutoApply's plan)."""
    if not token_keys or not invoice_keys:
        return [[] for _ in token_keys]
    distances = process.cdist(
        token_keys, invoice_keys, scorer=OSA.distance, processor=None, score_cutoff=1, dtype=np.uint8
    )
    return [np.flatnonzero(row == 1).tolist() for row in distances]


def is_near(token_key: str, invoice_key: str) -> bool:
    """Edit distance 1 with adjacent transpositions (a digit dropped, doubled, changed or two
    swapped), never equality: an exact key is an exact hit, not a near one."""
    return token_key != invoice_key and OSA.distance(token_key, invoice_key, score_cutoff=1) <= 1
