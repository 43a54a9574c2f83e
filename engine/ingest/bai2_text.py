"""What a BAI2 16 record's text (and its 88 continuations) says, split at the banks' tags.

Banks put the wire's parties and references into the text as tagged fields: Fedwire-style
"ORG:" (originator), "BNF:" (beneficiary), "OBI:" (originator to beneficiary information),
"REF:", "/RFB/" (reference for beneficiary), "/URI/" (unique remittance identifier); Goldman Sachs
style "EREF:", "DBNM:" (debtor name), "CRNM:", "DACT:" (debtor account), "REMI:"; Citi UK
Faster Payments "BO:" (by order of: the payer's account) and "BO1:" (its name). The whole text
stays the entry's remittance_text; the tags give the payer and the end-to-end id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TAGS = "OBI|BNF|ORG|REF|RFB|URI|B/O|BO1|BO|EREF|CREF|REMI|DBNM|CRNM|DACT|CACT|DABA|CABA|DBIC|CBIC|IDNM|CHKN"
# A tag is a known word followed by ":" or "=" (banks write both: "ORG:" and "ORG=/123 ACME"), not
# inside another word, or a known word between slashes.
_TAG = re.compile(rf"(?<![A-Za-z0-9])(?:({_TAGS})[:=]|/({_TAGS})/)", re.IGNORECASE)
# The tags whose values are remittance information, and those naming a party.
REMITTANCE_TAGS = ("OBI", "URI", "RFB", "REMI", "REF")
PARTY_TAGS = frozenset(
    {"ORG", "BNF", "B/O", "BO", "BO1", "DBNM", "CRNM", "DACT", "CACT", "DABA", "CABA", "DBIC", "CBIC", "IDNM"}
)
_REASON = re.compile(r"\bREASON:\s*\"?([A-Z0-9]{2,4})\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class TextFields:
    text: str  # the whole text, whitespace-normalized
    tags: dict[str, str]  # upper-case tag -> its first value
    rest: str  # the text without the party tags and their values

    def remittance(self) -> str:
        """What the payer wrote for the beneficiary (OBI, URI, RFB, REMI, REF), in that order,
        when the bank tags it; else the text without its party fields (ORG, BNF, B/O, BO, BO1,
        DBNM, DACT ...), which name the parties, not invoices. Untagged text (a lockbox item's
        invoice list, a bank's own "PY:" reference) stays as it is."""
        said = [self.tags[name] for name in REMITTANCE_TAGS if self.tags.get(name)]
        return " ".join(said) if said else self.rest

    def first(self, *names: str) -> str:
        for name in names:
            if self.tags.get(name):
                return self.tags[name]
        return ""


def normalize(text: str) -> str:
    return " ".join(text.split())


def read_text(lines: list[str]) -> TextFields:
    """The text lines of one 16 record (its own text, then each 88) with their tags."""
    text = normalize(" ".join(lines))
    tags: dict[str, str] = {}
    # Over the joined text: an 88 continues the field, and a name cut at the end of the 16 record
    # ("ORG=/123 Harper Hardware" + "88,GmbH OBI=...") is one value.
    found = list(_TAG.finditer(text))
    kept: list[str] = [text[: found[0].start()]] if found else [text]
    for index, match in enumerate(found):
        end = found[index + 1].start() if index + 1 < len(found) else len(text)
        name = (match.group(1) or match.group(2)).upper()
        value = normalize(text[match.end() : end]).strip(" ,;").rstrip("/ ")
        tags.setdefault(name, value)
        if name not in PARTY_TAGS:
            kept.append(text[match.start() : end])
    return TextFields(text, tags, normalize(" ".join(kept)))


def party(value: str) -> tuple[str, str]:
    """An ORG/BNF value as (name, account): Fedwire writes "/account name" or "name"."""
    if value.startswith("/"):
        account, _, name = value[1:].partition(" ")
        return name.strip(), account
    return value, ""


def return_reason(text: str) -> str:
    """The return reason code a text names ('Reason: "R02"'), or ""."""
    found = _REASON.search(text)
    return found.group(1).upper() if found else ""
