"""engine.matching.legal_forms gives cleanco.basename's answer for every name: each of cleanco's
terms alone and after or before another, the same term twice, and random names of company words,
legal forms in every spelling cleanco knows, punctuation, accents and other scripts."""

from __future__ import annotations

from cleanco import basename as cleanco_basename
from cleanco.clean import get_unique_terms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.matching.legal_forms import strip_legal_form

TERMS = sorted(get_unique_terms())  # as cleanco's data spells them: "GmbH & Co. KG", "S.A.", ...
COMMON = ["Ltd", "Ltd.", "GmbH", "GmbH & Co. KG", "Co.", "Inc", "B.V.", "S.A.", "AG", "LLC", "plc", "Oy"]
# Cyrillic "Roga" and an en dash, written as escapes: they look like Latin letters and a hyphen.
WORDS = [
    "Acme",
    "Beta",
    "Logistik",
    "Müller",
    "Søren",
    "Ñandú",
    "Société",
    "Ωmega",
    "\u0420\u043e\u0433\u0430",
    "東京",
    "X",
]
PUNCTUATION = ["&", "-", ".", ",", "/", "'", "(", ")", "...", "\u2013"]


def test_every_term_alone_after_a_name_and_around_the_common_forms() -> None:
    names = [f"Acme {term}" for term in TERMS] + [term for term in TERMS]
    names += [f"Beta {term} {common}" for term in TERMS for common in COMMON]
    names += [f"Beta {common} {term}" for term in TERMS for common in COMMON]
    names += [f"Acme {term} {term}" for term in TERMS]
    names += [f"Acme, {term}." for term in TERMS] + [f"Acme {term.upper()}" for term in TERMS]
    for name in names:
        assert strip_legal_form(name) == cleanco_basename(name), name


def _cased(word: str, how: int) -> str:
    return (word, word.upper(), word.lower(), word.title())[how]


piece = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(PUNCTUATION),
    st.builds(_cased, st.sampled_from(TERMS), st.integers(0, 3)),
    st.text(min_size=1, max_size=6),
)
separator = st.sampled_from([" ", "  ", ", ", " - ", "\t", ". "])


@st.composite
def company_names(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(piece, max_size=7))
    out = ""
    for p in pieces:
        out += (draw(separator) if out else "") + p
    return out + draw(st.sampled_from(["", " ", ".", ",", " !", "\n"]))


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(company_names())
def test_any_name_gets_cleancos_answer(name: str) -> None:
    assert strip_legal_form(name) == cleanco_basename(name)


@settings(max_examples=1000, deadline=None)
@given(st.text(max_size=40))
def test_any_text_gets_cleancos_answer(text: str) -> None:
    assert strip_legal_form(text) == cleanco_basename(text)
