"""Payer accounts: IBANs with a valid ISO 13616 checksum (and national check where one exists),
and US account numbers. Computed here because `schwifty` is not installed in this environment.
Countries whose BBAN carries a national check the server verifies (BE, FR, ES) are left out."""

from __future__ import annotations

import random

# BBAN layout per country: 'n' = digit, 'a' = upper-case letter.
_BBAN_LAYOUT: dict[str, str] = {
    "DE": "n" * 18,
    "AT": "n" * 16,
    "NL": "aaaa" + "n" * 10,
    "GB": "aaaa" + "n" * 14,
}
_NL_BANKS = ("ABNA", "RABO", "INGB", "TRIO", "SNSB")
_GB_BANKS = ("BARC", "HBUK", "LOYD", "NWBK", "MIDL")


def _iban_check_digits(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    number = int("".join(str(int(ch, 36)) for ch in rearranged))
    return f"{98 - number % 97:02d}"


def iban_is_valid(iban: str) -> bool:
    """The ISO 13616 mod-97 test."""
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def _bban(rng: random.Random, country: str) -> str:
    if country == "NL":
        return rng.choice(_NL_BANKS) + "".join(rng.choice("0123456789") for _ in range(10))
    if country == "GB":
        return rng.choice(_GB_BANKS) + "".join(rng.choice("0123456789") for _ in range(14))
    return "".join(rng.choice("0123456789") for _ in range(len(_BBAN_LAYOUT[country])))


def payer_account(rng: random.Random, country: str) -> str:
    """An IBAN for European countries, a routing-and-account number for the US."""
    if country == "US":
        routing = rng.choice(("021000021", "026009593", "121000248", "111000025"))
        return f"{routing}{rng.randrange(10**9, 10**10)}"
    bban = _bban(rng, country)
    return f"{country}{_iban_check_digits(country, bban)}{bban}"
