"""A company name without its legal-form suffixes ("Ltd", "GmbH & Co. KG", "B.V."): cleanco's
`basename`, with cleanco's own terms and normalization, found faster.

cleanco compares the name's last words with every one of its ~320 terms, in its fixed order, for
each name (about 110 µs a name here); the names of a tenant's customers are normalized each time a
process builds its payer-name index (100,000 customers: ~20 s of one core before the first payer
name is matched) and every new payer name once. Here the terms are indexed by their last word, so
a name meets only the few terms that could end it. The answer is cleanco's to the character
(tests/property/test_legal_forms.py compares the two): the terms are tried in cleanco's order, and
after one is stripped the search goes on from the next term in that order, as cleanco's loop does.
"""

from __future__ import annotations

from cleanco.clean import normalized, prepare_default_terms, strip_punct, strip_tail
from cleanco.non_nfkd_map import NON_NFKD_MAP

# A term: its position in cleanco's order, its number of words, its normalized words.
_Term = tuple[int, int, list[str]]


def _by_last_word(terms: list[tuple[int, list[str]]]) -> dict[str, list[_Term]]:
    index: dict[str, list[_Term]] = {}
    for order, (size, words) in enumerate(terms):
        index.setdefault(words[-1], []).append((order, size, words))
    return index


# What the shortcuts below rest on, true of cleanco 2.3 (pinned below 2.4 in pyproject.toml): a
# release that broke it fails here, at import, rather than answering other than cleanco.
if any(size == 0 for size, _words in prepare_default_terms()):
    raise ImportError("cleanco has a legal-form term without words: engine.matching.legal_forms needs review")
if any(letter.isascii() for letter in NON_NFKD_MAP):
    raise ImportError("cleanco maps an ASCII letter in normalizing: engine.matching.legal_forms needs review")

_INDEX = _by_last_word(prepare_default_terms())


def _normalized(name: str) -> str:
    """cleanco's normalization (NFKD, combining marks dropped, its map of the letters NFKD keeps):
    for an ASCII name, whose letters its map never holds, a casefold (most names, a third of the
    cost)."""
    return name.casefold() if name.isascii() else str(normalized(name))


def strip_legal_form(name: str) -> str:
    """cleanco.basename(name): the legal-form suffixes removed, trailing punctuation stripped."""
    name = strip_tail(name)
    words = name.split()
    normal = [strip_punct(word) for word in _normalized(name).split()]
    next_term = 0  # cleanco's loop never goes back to a term it has passed
    while normal:
        for order, size, term in _INDEX.get(normal[-1], ()):
            if order >= next_term and normal[-size:] == term:
                del normal[-size:]
                del words[-size:]
                next_term = order + 1
                break
        else:
            break
    return str(strip_tail(" ".join(words)))
