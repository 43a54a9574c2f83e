"""engine.iban_check gives python-stdnum's iban.is_valid answer: for IBANs of every country in
the registry built with valid check digits, for each of them with one character changed, one
dropped or one added, for national check digits that fail (Belgium, Spain, Montenegro, Norway),
and for any compact text."""

from __future__ import annotations

import random
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import iban as stdnum_iban
from stdnum import numdb

from engine.iban_check import is_valid_iban

ALPHABET = {"n": "0123456789", "a": "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "c": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
# Valid IBANs of the countries whose national checks stdnum adds (its own doctest examples).
NATIONAL = ["BE32123456789002", "ES7712341234161234567890", "ME25510000000006234133", "NO9386011117947"]


def _countries() -> dict[str, str]:
    """Each registry country's BBAN structure ("8!n10!n")."""
    found: dict[str, str] = {}
    for code in (a + b for a in ALPHABET["a"] for b in ALPHABET["a"]):
        (_prefix, properties), *_ = numdb.get("iban").info(code)
        if properties:
            found[code] = properties.get("bban", "")
    return found


def _with_check_digits(country: str, bban: str) -> str:
    return country + stdnum_iban.calc_check_digits(country + "00" + bban) + bban


def _random_bban(structure: str, rng: random.Random) -> str:
    parts = re.findall(r"(\d+)!([nac])", structure)
    return "".join(rng.choice(ALPHABET[kind]) for size, kind in parts for _ in range(int(size)))


def _variants(iban: str, rng: random.Random) -> list[str]:
    at = rng.randrange(len(iban))
    other = rng.choice(ALPHABET["c"].replace(iban[at], ""))
    return [
        iban,
        iban[:at] + other + iban[at + 1 :],
        iban[:at] + iban[at + 1 :],
        iban[:at] + other + iban[at:],
        _with_check_digits(iban[:2], iban[4:] + other),  # one BBAN character too many, check digits right
    ]


def test_every_country_valid_and_broken() -> None:
    rng = random.Random(20261203)
    countries = _countries()
    assert len(countries) > 80, "the registry lists every IBAN country"
    for country, structure in countries.items():
        for _ in range(20):
            for candidate in _variants(_with_check_digits(country, _random_bban(structure, rng)), rng):
                assert is_valid_iban(candidate) == stdnum_iban.is_valid(candidate), candidate


def test_national_check_digits_are_stdnums() -> None:
    rng = random.Random(7)
    for iban in NATIONAL:
        assert stdnum_iban.is_valid(iban), f"fixture {iban} must be valid"
        for candidate in _variants(iban, rng):
            assert is_valid_iban(candidate) == stdnum_iban.is_valid(candidate), candidate
        # Right IBAN check digits over a BBAN whose national check digits are wrong.
        last = str((int(iban[-1]) + 1) % 10)
        broken = _with_check_digits(iban[:2], iban[4:-1] + last)
        assert is_valid_iban(broken) == stdnum_iban.is_valid(broken), broken


@settings(max_examples=3000, deadline=None)
@given(st.from_regex(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{0,30}", fullmatch=True))
def test_any_compact_text_gets_stdnums_answer(text: str) -> None:
    assert is_valid_iban(text) == stdnum_iban.is_valid(text)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_any_text_at_all_gets_stdnums_answer(text: str) -> None:
    assert is_valid_iban(text) == stdnum_iban.is_valid(text)
