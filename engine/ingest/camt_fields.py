"""Reading the small parts of a camt entry: amounts, dates, parties, references, remittance.

Every function walks an element's children by local name through a `Names` table (the full
"{namespace}Tag" to "Tag" map of one file), because per-entry `findtext` calls with namespace maps
cost several times more than one pass over the children; the reader must keep up with 100,000
entries a second. Element paths differ between message versions (Sts text or Sts/Cd, Dbtr/Nm or
Dbtr/Pty/Nm, Dt or DtTm); each function accepts every shape from .001.02 to .001.13.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree
from stdnum import iso11649

from engine.ingest.records import Adjustment, IngestError, RemittanceLine
from engine.money import CURRENCY_EXPONENTS, MAX_AMOUNT_MINOR

Element = etree._Element

# ISO 20022 amounts: up to 18 digits, a dot, fraction digits; no sign, no exponent, no comma.
_AMOUNT = re.compile(r"(\d{1,18})(?:\.(\d{1,18}))?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_POWERS: list[int] = [10**k for k in range(19)]  # 10 ** exponent, without int ** int's Any


class Names(dict[object, str]):
    """Full tag -> local name for one namespace, filled as tags are met (comments map to "")."""

    def __init__(self, namespace: str) -> None:
        super().__init__()
        self.prefix = "{" + namespace + "}"
        self.dt_tags = (self.prefix + "Dt", self.prefix + "DtTm")
        self.code_tags = (self.prefix + "Cd", self.prefix + "SubFmlyCd")

    def __missing__(self, tag: object) -> str:
        local = tag[len(self.prefix) :] if isinstance(tag, str) and tag.startswith(self.prefix) else ""
        self[tag] = local
        return local


def where(location: str, element: Element) -> str:
    """An element's location with the line it starts on, for error messages."""
    return f"{location} (line {element.sourceline})"


def text_of(element: Element) -> str:
    return (element.text or "").strip()


def normalized(text: str) -> str:
    """Whitespace runs (line breaks included) become one space."""
    return " ".join(text.split())


def exponent_of(currency: str, location: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise IngestError(location, f"unknown ISO 4217 currency code {currency!r} (Ccy)") from None


def minor_units(text: str | None, exponent: int, currency: str, location: str) -> int:
    """An ISO 20022 decimal amount as exact integer minor units of `currency`.

    Fraction digits past the currency's exponent are accepted only when they are zeros ("12.500"
    EUR is 1250 cents, exactly); "1.234" EUR cannot be booked and is refused, as engine.money does.
    """
    raw = (text or "").strip()
    found = _AMOUNT.fullmatch(raw)
    if found is None:
        raise IngestError(location, f"amount {raw!r} is not an ISO 20022 decimal (digits, '.')")
    whole, fraction = found.group(1), found.group(2) or ""
    if len(fraction) > exponent:
        if fraction[exponent:].strip("0"):
            raise IngestError(
                location, f"amount {raw} has more decimals than {currency}'s {exponent}", "INVALID_AMOUNT"
            )
        fraction = fraction[:exponent]
    amount = int(whole) * _POWERS[exponent] + int(fraction.ljust(exponent, "0") or "0")
    if amount > MAX_AMOUNT_MINOR:
        raise IngestError(
            location, f"amount {raw} exceeds the largest amount cashapp books", "INVALID_AMOUNT"
        )
    return amount


def amount_element(element: Element, location: str) -> tuple[str, int]:
    """(currency, minor units) of an <Amt Ccy="..."> (or any ActiveCurrencyAndAmount) element."""
    currency = element.get("Ccy") or ""
    exponent = CURRENCY_EXPONENTS.get(currency)
    text = element.text
    found = _AMOUNT.fullmatch(text) if exponent is not None and text else None
    if found is not None and exponent is not None:
        whole, fraction = found.group(1), found.group(2)
        if fraction is None:
            amount = int(whole) * _POWERS[exponent]
        elif len(fraction) <= exponent:
            amount = int(whole) * _POWERS[exponent] + int(fraction) * _POWERS[exponent - len(fraction)]
        else:
            amount = -1  # more decimals than the currency has: the careful path decides
        if 0 <= amount <= MAX_AMOUNT_MINOR:
            return currency, amount
    # The careful path, with the element's line in any message.
    at = where(location, element)
    if not currency:
        raise IngestError(at, "amount without a Ccy currency attribute")
    return currency, minor_units(text, exponent_of(currency, at), currency, at)


class DateCache(dict[str, dt.date]):
    """ISO date text -> date; a statement has few distinct dates, so each is parsed once."""

    def parse(self, text: str, location: str, element: Element | None = None) -> dt.date:
        cached = self.get(text)
        if cached is not None:
            return cached
        head = text[:10]
        try:
            if _DATE.fullmatch(head) is None:
                raise ValueError(text)
            value = dt.date.fromisoformat(head)
        except ValueError:
            at = where(location, element) if element is not None else location
            raise IngestError(at, f"{text!r} is not an ISO date (YYYY-MM-DD)") from None
        self[text] = value
        return value


def date_choice(element: Element, names: Names, dates: DateCache, location: str) -> dt.date | None:
    """A DateAndDateTimeChoice (BookgDt, ValDt, Bal/Dt): Dt or DtTm; a DtTm gives its own date.
    Read with itertext, which makes no Python object per child element."""
    for raw in element.itertext(names.dt_tags[0], names.dt_tags[1], with_tail=False):
        text = str(raw).strip()
        if text:
            return dates.get(text) or dates.parse(text, location, element)
    for child in element:  # an empty Dt is an error, not a missing date
        if names[child.tag] in ("Dt", "DtTm"):
            return dates.parse(text_of(child), location, child)
    return None


def code_or_text(element: Element, names: Names) -> str:
    """Sts as text (.02-.06) or Sts/Cd | Sts/Prtry (.07+); Rsn/Cd | Rsn/Prtry; Tp/CdOrPrtry/Cd."""
    own = text_of(element)
    if own:
        return own
    for child in element:
        name = names[child.tag]
        if name in ("Cd", "Prtry"):
            return text_of(child)
        if name == "CdOrPrtry":
            return code_or_text(child, names)
    return ""


def bank_transaction_code(element: Element, names: Names) -> str:
    """BkTxCd as "PMNT/RCDT/ESCT" (Domn/Cd, Fmly/Cd, SubFmlyCd), else its proprietary code."""
    proprietary = ""
    for child in element:
        name = names[child.tag]
        if name == "Domn":
            texts: Iterator[str] = child.itertext(names.code_tags[0], names.code_tags[1], with_tail=False)  # type: ignore[assignment]
            return "/".join(filter(None, map(str.strip, texts)))
        if name == "Prtry":
            proprietary = next((text_of(c) for c in child if names[c.tag] == "Cd"), "")
    return proprietary


def party_name(element: Element, names: Names) -> str:
    """Nm of a party: Dbtr/Nm (up to .07) or Dbtr/Pty/Nm (.08+)."""
    for child in element:
        name = names[child.tag]
        if name == "Nm":
            return normalized(child.text or "")
        if name == "Pty":
            return party_name(child, names)
    return ""


def account_id(element: Element, names: Names) -> str:
    """Acct/Id/IBAN or Acct/Id/Othr/Id of an account (Stmt/Acct, DbtrAcct)."""
    for child in element:
        if names[child.tag] != "Id":
            continue
        for choice in child:
            name = names[choice.tag]
            if name == "IBAN":
                return text_of(choice).replace(" ", "")
            if name == "Othr":
                return next((text_of(c) for c in choice if names[c.tag] == "Id"), "")
    return ""


@dataclass(slots=True)
class Remittance:
    """What one RmtInf says: structured lines, free text, and what could not be kept."""

    lines: list[RemittanceLine] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # Ustrd, in order
    extra: list[str] = field(default_factory=list)  # non-RF creditor references, AddtlRmtInf
    warnings: list[str] = field(default_factory=list)


def remittance(element: Element, names: Names, location: str) -> Remittance:
    """RmtInf: every Ustrd (joined later by a space) and every Strd block."""
    result = Remittance()
    for child in element:
        name = names[child.tag]
        if name == "Ustrd":
            text = normalized(child.text or "")
            if text:
                result.texts.append(text)
        elif name == "Strd":
            _structured(child, names, f"{location}/RmtInf/Strd", result)
    return result


# Referred-document type codes (DocumentType3Code / 5Code) that net against the payment.
_CREDIT_NOTE_CODES = frozenset({"CREN", "CRN"})


def _structured(element: Element, names: Names, location: str, result: Remittance) -> None:
    """One Strd block: its documents (RfrdDocInf) with the block's amounts (RfrdDocAmt), and
    its creditor reference (CdtrRefInf/Ref), kept as a line only when ISO 11649-valid."""
    documents: list[tuple[str, str]] = []  # (number, kind)
    amounts: dict[str, int] = {}
    adjustments: list[Adjustment] = []
    reference = ""
    notes: list[str] = []  # AddtlRmtInf: text after the block's reference
    for child in element:
        name = names[child.tag]
        if name == "RfrdDocInf":
            number, code = "", ""
            for part in child:
                part_name = names[part.tag]
                if part_name == "Nb":
                    number = normalized(part.text or "")
                elif part_name == "Tp":
                    code = code_or_text(part, names).upper()
            if number:
                documents.append((number, "CREDIT_NOTE" if code in _CREDIT_NOTE_CODES else "INVOICE"))
        elif name == "RfrdDocAmt":
            _document_amounts(child, names, f"{location}/RfrdDocAmt", amounts, adjustments)
        elif name == "CdtrRefInf":
            reference = next((normalized(c.text or "") for c in child if names[c.tag] == "Ref"), "")
        elif name == "AddtlRmtInf":
            notes.append(normalized(child.text or ""))
    # The block's amounts belong to its document only when it names exactly one.
    single = len(documents) == 1 or (not documents and bool(reference))
    paid = amounts.get("RmtdAmt") if single else None
    invoiced = (amounts.get("DuePyblAmt", amounts.get("CdtNoteAmt"))) if single else None
    discount = amounts.get("DscntApldAmt", 0) if single else 0
    kept_adjustments = tuple(adjustments) if single else ()
    for number, kind in documents:
        result.lines.append(RemittanceLine(number, paid, invoiced, discount, kept_adjustments, kind))
    if reference:
        # With documents named, the amounts are theirs and the reference stands alone.
        own = (None, None, 0, ()) if documents else (paid, invoiced, discount, kept_adjustments)
        _creditor_reference(reference, location, result, own)
    result.extra.extend(note for note in notes if note)


def _creditor_reference(
    reference: str,
    location: str,
    result: Remittance,
    amounts: tuple[int | None, int | None, int, tuple[Adjustment, ...]],
) -> None:
    compact = reference.replace(" ", "").upper()
    if not compact.startswith("RF"):
        # A national reference (Swiss QRR/ISR, Finnish, ...): not ISO 11649, still worth matching on.
        result.extra.append(reference)
    elif iso11649.is_valid(compact):
        paid, invoiced, discount, adjustments = amounts
        result.lines.append(
            RemittanceLine(compact, paid, invoiced, discount, adjustments, "CREDITOR_REFERENCE")
        )
    else:
        result.extra.append(reference)
        result.warnings.append(
            f"{location}/CdtrRefInf/Ref: {reference!r} fails the ISO 11649 check; kept as text"
        )


def _document_amounts(
    element: Element, names: Names, location: str, amounts: dict[str, int], adjustments: list[Adjustment]
) -> None:
    """RfrdDocAmt: RmtdAmt, DuePyblAmt, CdtNoteAmt, DscntApldAmt (an amount in .02, a list of
    {Tp, Amt} from .03 on, summed) and AdjstmntAmtAndRsn."""
    for child in element:
        name = names[child.tag]
        if name in ("RmtdAmt", "DuePyblAmt", "CdtNoteAmt"):
            amounts[name] = amount_element(child, f"{location}/{name}")[1]
        elif name == "DscntApldAmt":
            amounts[name] = amounts.get(name, 0) + _nested_amount(child, names, f"{location}/{name}")
        elif name == "AdjstmntAmtAndRsn":
            adjustments.append(_adjustment(child, names, f"{location}/AdjstmntAmtAndRsn"))


def _nested_amount(element: Element, names: Names, location: str) -> int:
    if element.get("Ccy") is not None:
        return amount_element(element, location)[1]
    for child in element:
        if names[child.tag] == "Amt":
            return amount_element(child, location + "/Amt")[1]
    raise IngestError(where(location, element), "no amount (Amt) given")


def _adjustment(element: Element, names: Names, location: str) -> Adjustment:
    """AdjstmntAmtAndRsn: Amt, CdtDbtInd, Rsn, AddtlInf. An adjustment is a deduction the payer
    took (paid less) unless it says DBIT, which charges the payer more (a negative deduction)."""
    amount: int | None = None
    sign, reason, text = 1, "", ""
    for child in element:
        name = names[child.tag]
        if name == "Amt":
            amount = amount_element(child, location + "/Amt")[1]
        elif name == "CdtDbtInd" and text_of(child) == "DBIT":
            sign = -1
        elif name == "Rsn":
            reason = code_or_text(child, names)
        elif name == "AddtlInf":
            text = normalized(child.text or "")
    if amount is None:
        raise IngestError(where(location, element), "an adjustment without an amount (Amt)")
    return Adjustment(sign * amount, reason, text)
