"""What an MT940 :86: field says, in the three ways banks write it.

- German structured (DFÜ-Abkommen, Deutsche Bank, Sparkassen, Commerzbank, mBank and other Polish
  banks): a three-digit business transaction code (GVC), then subfields "?00" booking text,
  "?20".."?29" and "?60".."?63" purpose lines, "?30" bank code and "?31" account of the payer,
  "?32"/"?33" its name, "?38" its IBAN; inside the purpose, SEPA keywords "EREF+", "KREF+",
  "MREF+", "SVWZ+" (the remittance text) ...
- Dutch structured (ABN AMRO, ING, Rabobank, SNS): "/TAG/value" pairs such as /EREF/, /REMI/,
  /NAME/, /IBAN/, /ORDP/ (ordering party), /BENM/, /CNTP/ (counterparty: account/BIC/name/city),
  /RTRN/ (return reason).
- Plain text: everything else, kept whole as the remittance text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum import iban as stdnum_iban
from stdnum import iso11649

from engine.ingest.mt940_lines import Tag
from engine.ingest.records import RemittanceLine

GERMAN_SUBFIELD_WIDTH = 27
_GERMAN = re.compile(r"^\s*(\d{3})([?@|#])\d\d")
_SEPA_KEYWORDS = "EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC|COAM|OAMT"
_SEPA = re.compile(rf"(?<![A-Z])({_SEPA_KEYWORDS})\+")
_DUTCH_TAGS = (
    "EREF|REMI|NAME|IBAN|ORDP|BENM|CNTP|ADDR|ISDT|MARF|CSID|RTRN|TRCD|PREF|BIC|PURP|ULTC|ULTD|"
    "ULTB|BUSP|IREF|OCMT|ATOS|CHGS|EXCH|SVCL|TRTP|SUM|CDTRREFTP|CDTRREF|CD|ISSR|USTD|STRD|CUR"
)
_DUTCH = re.compile(rf"/({_DUTCH_TAGS})/")
_IBAN_SHAPE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")


@dataclass(frozen=True, slots=True)
class Details:
    remittance_text: str = ""
    payer_name: str = ""
    payer_account: str = ""
    end_to_end_id: str = ""
    return_reason: str = ""
    type_code: str = ""  # the GVC of German :86:, else ""
    remittance: tuple[RemittanceLine, ...] = ()
    warnings: tuple[str, ...] = ()


def is_iban(value: str) -> bool:
    """A valid IBAN (checksum and country format)."""
    return bool(_IBAN_SHAPE.match(value)) and stdnum_iban.is_valid(value)


def looks_like_iban(value: str) -> bool:
    """Shaped like an IBAN: enough to tell an account from a reference in a field that holds
    either; the account is kept as given, checked or not (test files use made-up ones)."""
    return bool(_IBAN_SHAPE.match(value))


def read(tag: Tag | None) -> Details:
    """The :86: of one statement line (None when the line has none)."""
    if tag is None:
        return Details()
    joined = "".join(part.strip("\r") for part in tag.lines)  # structured fields wrap blindly
    german = _GERMAN.match(joined)
    if german:
        return _german(joined, german.group(1), german.group(2))
    if _DUTCH.search(joined) and joined.lstrip().startswith("/"):
        return _dutch(joined, tag.location)
    return Details(remittance_text=tag.text)


# -- German structured --------------------------------------------------------------------------


def _german(joined: str, gvc: str, separator: str) -> Details:
    fields: dict[str, str] = {}
    purpose: list[str] = []
    for piece in joined.split(separator)[1:]:
        key, value = piece[:2], piece[2:]
        if key.isdigit() and (20 <= int(key) <= 29 or 60 <= int(key) <= 63):
            purpose.append(value)
        elif key.isdigit():
            fields.setdefault(key, value)
    text = _join_subfields(purpose)
    keywords = _sepa_keywords(text)
    remittance = keywords.get("SVWZ", "" if keywords else text)
    account = fields.get("38") or "/".join(
        part for part in (fields.get("30", ""), fields.get("31", "")) if part
    )
    return Details(
        remittance_text=" ".join(remittance.split()),
        payer_name=" ".join(_join_subfields([fields.get("32", ""), fields.get("33", "")]).split()),
        payer_account=account,
        end_to_end_id=keywords.get("EREF", ""),
        type_code=gvc,
    )


def _join_subfields(parts: list[str]) -> str:
    """Subfields of at most 27 characters holding one text: a full one was cut there (perhaps
    inside a word) and goes on without a blank; a shorter one ended a phrase."""
    out, previous = "", ""
    for part in parts:
        if out and len(previous) < GERMAN_SUBFIELD_WIDTH:
            out += " "
        out += part
        previous = part
    return out.strip()


def _sepa_keywords(text: str) -> dict[str, str]:
    found = list(_SEPA.finditer(text))
    out: dict[str, str] = {}
    for index, match in enumerate(found):
        end = found[index + 1].start() if index + 1 < len(found) else len(text)
        out.setdefault(match.group(1), " ".join(text[match.end() : end].split()))
    return out


# -- Dutch structured ---------------------------------------------------------------------------


def _dutch(joined: str, location: str) -> Details:
    pairs = _dutch_pairs(joined)
    name = pairs.get("NAME", "")
    account = pairs.get("IBAN", "")
    counterparty = pairs.get("CNTP", "")
    if counterparty:  # account/BIC/name/city
        parts = counterparty.split("/")
        account = account or parts[0]
        name = name or (parts[2] if len(parts) > 2 else "")
    remittance, lines, warnings = _dutch_remittance(pairs.get("REMI", ""), location)
    return Details(
        remittance_text=remittance,
        payer_name=" ".join(name.split()),
        payer_account=account.strip(),
        end_to_end_id=pairs.get("EREF", ""),
        return_reason=pairs.get("RTRN", "").strip("/"),
        remittance=lines,
        warnings=warnings,
    )


def _dutch_pairs(joined: str) -> dict[str, str]:
    """/TAG/value pairs; REMI keeps its sub-tags (USTD, STRD/CUR) for _dutch_remittance."""
    found = [m for m in _DUTCH.finditer(joined)]
    pairs: dict[str, str] = {}
    index = 0
    while index < len(found):
        match = found[index]
        name = match.group(1)
        nxt = index + 1
        if name == "REMI":  # its value runs to the next top-level tag
            while nxt < len(found) and found[nxt].group(1) in (
                "USTD",
                "STRD",
                "CUR",
                "CDTRREFTP",
                "CD",
                "ISSR",
            ):
                nxt += 1
        if name in ("ORDP", "BENM"):  # "/ORDP//NAME/..": the party's own tags follow
            index += 1
            continue
        end = found[nxt].start() if nxt < len(found) else len(joined)
        value = joined[match.end() : end]
        pairs.setdefault(name, value.strip().removesuffix("/").removesuffix("/").strip())
        index = nxt
    return pairs


def _dutch_remittance(value: str, location: str) -> tuple[str, tuple[RemittanceLine, ...], tuple[str, ...]]:
    """REMI as (text, structured lines, warnings): "USTD//text", "STRD/CUR/reference" (a Dutch
    payment reference, or an RF creditor reference when it is one), or plain text."""
    value = value.strip()
    if value.startswith("USTD//") or value.startswith("USTD/"):
        return " ".join(value.split("/", 2)[-1].split()).strip(" /"), (), ()
    if value.startswith("STRD/"):
        reference = value.rsplit("/", 1)[-1].strip() or value.split("/")[-2].strip()
        if reference.upper().startswith("RF"):
            compact = reference.replace(" ", "").upper()
            if iso11649.is_valid(compact):
                return "", (RemittanceLine(compact, kind="CREDITOR_REFERENCE"),), ()
            warning = f"{location}: {reference!r} is not a valid RF creditor reference (ISO 11649)"
            return reference, (), (warning,)
        return "", (RemittanceLine(reference),), ()
    return " ".join(value.split()), (), ()
