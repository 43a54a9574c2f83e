"""Company names, and the many ways a bank writes the same payer's name.

A bank statement rarely carries the name as the ERP has it: legal forms are spelled out or
abbreviated, punctuation is dropped, everything is upper-cased, "&" becomes "and". These variants
are what identifying a payer by name has to survive.
"""

from __future__ import annotations

import random

# Each legal form with the spellings banks and payers actually use for it.
LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    "GmbH": ("GmbH", "Gesellschaft mbH", "G.m.b.H.", "Gmbh", "GMBH"),
    "AG": ("AG", "A.G.", "Aktiengesellschaft"),
    "B.V.": ("B.V.", "BV", "B V"),
    "Inc.": ("Inc.", "Inc", "Incorporated", "INC"),
    "LLC": ("LLC", "L.L.C.", "Llc"),
    "Ltd": ("Ltd", "Limited", "Ltd.", "LTD"),
    "plc": ("plc", "PLC", "P.L.C.", "Public Limited Company"),
    "S.A.": ("S.A.", "SA", "S A"),
    "Co.": ("Co.", "Company", "Co"),
}

# Legal forms by country (the country also gives the currency and the IBAN format).
FORMS_BY_COUNTRY: dict[str, tuple[str, ...]] = {
    "DE": ("GmbH", "GmbH", "GmbH", "AG"),
    "AT": ("GmbH", "AG"),
    "NL": ("B.V.", "B.V.", "S.A.", "Co."),
    "GB": ("Ltd", "Ltd", "plc", "Co."),
    "US": ("Inc.", "Inc.", "LLC", "Co."),
}

_FIRST = (
    "Nord",
    "Sued",
    "Alpen",
    "Rhein",
    "Elbe",
    "Atlas",
    "Delta",
    "Orion",
    "Polar",
    "Vega",
    "Kessler",
    "Brandt",
    "Meyer",
    "Hoffmann",
    "Van Dijk",
    "De Vries",
    "Janssen",
    "Peeters",
    "Smith",
    "Walker",
    "Harper",
    "Baxter",
    "Keller",
    "Summit",
    "Pioneer",
    "Granite",
    "Blue River",
    "Red Oak",
    "Silver",
    "Falcon",
    "Lindner",
    "Vogel",
    "Berger",
    "Fischer",
    "Stone",
    "Bright",
    "Evergreen",
    "Northwind",
)
_SECOND = (
    "Logistik",
    "Maschinenbau",
    "Handel",
    "Technik",
    "Foods",
    "Trading",
    "Systems",
    "Industries",
    "Pharma",
    "Textil",
    "Metall",
    "Bau",
    "Elektro",
    "Solutions",
    "Supplies",
    "Holdings",
    "Retail",
    "Packaging",
    "Chemicals",
    "Media",
    "Transport",
    "Components",
    "Hardware",
    "Services",
)


def company_name(rng: random.Random, country: str) -> str:
    """A legal name such as "Brandt & Vogel Logistik GmbH" (sometimes with an ampersand)."""
    first = rng.choice(_FIRST)
    if rng.random() < 0.2:
        first = f"{first} & {rng.choice(_FIRST)}"
    form = rng.choice(FORMS_BY_COUNTRY[country])
    return f"{first} {rng.choice(_SECOND)} {form}"


def _split_form(name: str) -> tuple[str, str]:
    for form in LEGAL_FORMS:
        if name.endswith(" " + form):
            return name[: -len(form) - 1], form
    return name, ""


def bank_variant(rng: random.Random, name: str) -> str:
    """The name as a bank statement might carry it: same company, different spelling."""
    stem, form = _split_form(name)
    if form:
        form = rng.choice(LEGAL_FORMS[form])
    if "&" in stem and rng.random() < 0.5:
        stem = stem.replace("&", "and")
    text = f"{stem} {form}".strip()
    roll = rng.random()
    if roll < 0.35:
        text = text.upper()
    if rng.random() < 0.3:
        text = text.replace(".", "").replace(",", "")
    if rng.random() < 0.15:
        text = " ".join(text.split()).replace(" & ", " ")
    return text


def unknown_name(rng: random.Random) -> str:
    """A payer nobody on the books resembles (a private person or an unrelated firm)."""
    given = ("Jan", "Maria", "Lukas", "Sophie", "Tom", "Anna", "Pieter", "Emma", "Oliver", "Lea")
    family = ("Zimmermann", "Okonkwo", "Nakamura", "Rossi", "Kowalski", "Haddad", "Lindqvist", "Moreau")
    return f"{rng.choice(given)} {rng.choice(family)}"
