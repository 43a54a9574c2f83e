"""X12 remittance segments (RMR, ADX, REF, NTE) -> RemittanceLines: shared by the EDI 820 reader
and the NACHA reader (CTX addenda carry the same segments; CCD+ may carry an RMR or a REF).

X12 signs amounts from the payer's side: RMR04 is what was paid on a document (negative for a credit
memo netted against the payment), ADX01 is how much the payment changes because of an adjustment
(negative when the payer took a deduction). The payment is the sum of the RMR04 amounts plus the
ADX amounts that belong to no document (an ADX loop directly under ENT); an ADX after an RMR
explains why that document was paid short and is already inside its RMR04.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from stdnum import iso11649

from engine.ingest.records import Adjustment, RemittanceLine
from engine.ingest.x12_segments import Segment, decimal_minor
from engine.money import Money

# RMR01 qualifiers of documents that reduce the payment: CM (credit memo, as retail 820 guides
# use it) and CR (credit memo number in many payers' guides). A negative RMR04 is a credit too.
CREDIT_QUALIFIERS = frozenset({"CM", "CR"})
# What an RF creditor reference looks like; only a valid one (ISO 11649) is kept as such.
_RF_REFERENCE = re.compile(r"RF[0-9]{2}[0-9A-Z]{1,21}")
# Segments that end the remittance of one transaction.
_ENDS = frozenset({"SE"})


@dataclass(slots=True)
class _OpenLine:
    """An RMR being read: its adjustments follow it."""

    reference: str
    kind: str
    paid_minor: int | None
    invoiced_minor: int | None
    discount_minor: int
    adjustments: list[Adjustment] = field(default_factory=list)
    # How the text names a line without a document reference: money on account, or an RF
    # reference that failed its check.
    label: str = "on account"


@dataclass(slots=True)
class Remittance:
    """What a run of X12 segments says the payment is for."""

    lines: list[RemittanceLine] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # REF/NTE text, document-less adjustments
    warnings: list[str] = field(default_factory=list)
    rmr_count: int = 0
    # Signed, as X12 sums it: the RMR04 amounts plus the document-less ADX01 amounts.
    payment_sum_minor: int = 0
    has_amounts: bool = False  # any RMR04 or document-less ADX01 (else there is nothing to check)
    payer_name: str = ""  # N1*PR, which CTX addenda carry in full where a NACHA batch cuts at 16


def read_remittance(segments: Iterable[Segment], currency: str, exponent: int) -> Remittance:
    """The remittance lines, texts and X12 payment sum of `segments` (one transaction)."""
    out = Remittance()
    line: _OpenLine | None = None
    for segment in segments:
        sid = segment.id
        if sid == "RMR":
            _close(out, line, currency)
            line = _open(out, segment, currency, exponent)
        elif sid == "ADX":
            _adjustment(out, line, segment, currency, exponent)
        elif sid in ("ENT", "NM1") or sid in _ENDS:
            # A new entity: ADX loops after it belong to no document until its next RMR.
            _close(out, line, currency)
            line = None
        elif sid == "REF" and line is not None:
            detail = " ".join(e for e in segment.elements[1:4] if e)
            if detail:
                out.texts.append(f"{line.reference or 'remittance'}: {detail}")
        elif sid == "N1" and segment.get(1) == "PR" and not out.payer_name:
            out.payer_name = segment.get(2)
        elif sid == "NTE" and segment.get(2):
            out.texts.append(segment.get(2))
    _close(out, line, currency)
    return out


def _open(out: Remittance, rmr: Segment, currency: str, exponent: int) -> _OpenLine:
    out.rmr_count += 1
    present = len(rmr.elements)  # most RMRs stop at RMR04 or RMR05: skip what is not there
    paid = decimal_minor(rmr, 4, exponent)
    if paid is not None:
        out.payment_sum_minor += paid
        out.has_amounts = True
    invoiced = decimal_minor(rmr, 5, exponent) if present > 5 else None
    discount = (decimal_minor(rmr, 6, exponent) or 0) if present > 6 else 0
    reference = rmr.get(2)
    kind = "CREDIT_NOTE" if rmr.get(1) in CREDIT_QUALIFIERS or (paid is not None and paid < 0) else "INVOICE"
    compact = reference.replace(" ", "").upper()
    label = "on account"
    if _RF_REFERENCE.fullmatch(compact):
        if iso11649.is_valid(compact):
            kind, reference = "CREDITOR_REFERENCE", compact
        else:
            out.warnings.append(f"{rmr.where(2)}: {reference!r} fails the ISO 11649 check; kept as text")
            label, reference = reference, ""
    line = _OpenLine(
        reference=reference,
        kind=kind,
        # A credit note's amounts are what it nets against the payment: its size, not its sign.
        paid_minor=abs(paid) if paid is not None and kind == "CREDIT_NOTE" else paid,
        invoiced_minor=abs(invoiced) if invoiced is not None and kind == "CREDIT_NOTE" else invoiced,
        discount_minor=abs(discount) if kind == "CREDIT_NOTE" else discount,
        label=label,
    )
    # RMR07/RMR08: an adjustment on the line itself (late interest paid, say): X12 sign as ADX01.
    extra = decimal_minor(rmr, 8, exponent) if present > 8 else None
    if extra:
        line.adjustments.append(Adjustment(-extra, rmr.get(7)))
    return line


def _adjustment(out: Remittance, line: _OpenLine | None, adx: Segment, currency: str, exponent: int) -> None:
    amount = decimal_minor(adx, 1, exponent, required=True)
    assert amount is not None  # required=True raises instead
    reason = adx.get(2)
    text = " ".join(e for e in (adx.get(3), adx.get(4)) if e)
    if line is not None:
        # Adjustment.amount_minor is how much less was paid: the opposite of ADX01's sign.
        line.adjustments.append(Adjustment(-amount, reason, text))
        return
    # An adjustment of no document: part of the payment sum, kept as text (RemittanceLine has no
    # document-less kind, and a line with an empty reference would look like an unknown invoice).
    out.payment_sum_minor += amount
    out.has_amounts = True
    described = f"adjustment {reason or 'without reason'}: {Money(amount, currency).format()}"
    out.texts.append(f"{described} {text}".strip())


def _close(out: Remittance, line: _OpenLine | None, currency: str) -> None:
    if line is None:
        return
    if not line.reference:
        # No document named: only the payment sum and the text keep it.
        if line.paid_minor is not None:
            out.texts.append(f"{line.label}: {Money(line.paid_minor, currency).format()}")
        elif line.label != "on account":
            out.texts.append(line.label)
        return
    out.lines.append(
        RemittanceLine(
            reference=line.reference,
            paid_minor=line.paid_minor,
            invoiced_minor=line.invoiced_minor,
            discount_minor=line.discount_minor,
            adjustments=tuple(line.adjustments),
            kind=line.kind,
        )
    )
