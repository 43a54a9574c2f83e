"""X12 EDI 820 (payment order / remittance advice) -> ParsedFile of ADVICE entries.

An 820 tells what a payment that arrives through the bank is for: one ST..SE transaction per
payment, its BPR giving the amount and date, its TRN02 the reassociation trace that the bank
payment (an ACH CCD+/CTX trace, a wire reference) carries too, and RMR lines naming the documents.
So each transaction becomes Entry(kind=ADVICE, bank_reference=TRN02); the importer links it to the
payment with that trace and holds it until the payment arrives. A debit (BPR03 D) and a
prenotification (BPR01 P) move no money to us: skipped.

Envelopes are checked, never trusted: SE01 (segments), GE01 (transactions), IEA01 (groups) and
BPR02 against the RMR lines become ControlTotals, a mismatch a warning.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from engine.ingest.records import ControlTotal, Entry, EntryKind, IngestError, ParsedFile, Skipped, end_to_end
from engine.ingest.x12_remittance import read_remittance
from engine.ingest.x12_segments import (
    ISA_ELEMENTS,
    Segment,
    decimal_minor,
    decode,
    isa_delimiters,
    split_segments,
)
from engine.money import CURRENCY_EXPONENTS, Money

FORMAT = "edi820"
# The 820 is a US standard: without a CUR segment the amounts are US dollars.
DEFAULT_CURRENCY = "USD"
# Entity codes (N101) of the party paying: payer, then remitter; else any party but the payee.
_PAYER_CODES = ("PR", "RM")
_PAYEE_CODE = "PE"
# Two-digit years (YYMMDD in ISA09 and pre-4010 GS04) pivot here, as the X12 guides suggest.
_CENTURY_PIVOT = 70
# Segments that open or close an envelope; every other segment belongs to a transaction.
_ENVELOPE = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA"})
# BPR14 is an account number qualifier (code list 569: DA, SG, 03 ...), never longer than this.
_ACCOUNT_QUALIFIER_LENGTH = 3


@dataclass(slots=True)
class _Envelope:
    """One open ISA or GS: its header segment and what was counted inside it."""

    header: Segment
    counted: int = 0
    summed_minor: int = 0


@dataclass(slots=True)
class _State:
    out: ParsedFile
    interchange: _Envelope | None = None
    group: _Envelope | None = None
    transaction: list[Segment] = field(default_factory=list)


def parse(data: bytes) -> ParsedFile:
    """Every 820 transaction of every interchange in `data`."""
    text = decode(data)
    start = len(text) - len(text.lstrip(" \t\r\n"))
    delimiters = isa_delimiters(text, start)
    state = _State(ParsedFile(format=FORMAT))
    for segment in split_segments(text[start:], delimiters):
        _step(state, segment)
    _close_group(state, None)
    _close_interchange(state, None)
    return state.out


def _step(state: _State, segment: Segment) -> None:
    sid = segment.id
    if state.transaction and sid not in _ENVELOPE:
        state.transaction.append(segment)
    elif sid == "ISA":
        _open_interchange(state, segment)
    elif sid == "GS":
        _open_group(state, segment)
    elif sid == "ST":
        _open_transaction(state, segment)
    elif sid == "SE":
        if not state.transaction:
            raise IngestError(segment.where(), "an SE trailer without an ST header")
        state.transaction.append(segment)
        _transaction(state, state.transaction, segment)
        state.transaction = []
    elif sid == "GE":
        _close_group(state, segment)
    elif sid == "IEA":
        _close_interchange(state, segment)
    else:
        raise IngestError(segment.where(), f"a {sid} segment outside a transaction (no ST before it)")


def _open_interchange(state: _State, isa: Segment) -> None:
    if state.interchange is not None:
        _close_interchange(state, None)
    if len(isa.elements) != 1 + ISA_ELEMENTS:
        # Also what an interchange with other delimiters than the first one's looks like.
        raise IngestError(
            isa.where(), f"an ISA segment has {ISA_ELEMENTS} elements, this one {len(isa.elements) - 1}"
        )
    state.interchange = _Envelope(isa)


def _open_group(state: _State, gs: Segment) -> None:
    if state.interchange is None:
        raise IngestError(gs.where(), "a GS group outside an interchange (no ISA before it)")
    if state.group is not None:
        _close_group(state, None)
    state.group = _Envelope(gs)
    state.interchange.counted += 1


def _open_transaction(state: _State, st: Segment) -> None:
    if state.group is None:
        raise IngestError(st.where(), "an ST transaction outside a group (no GS before it)")
    if st.get(1) != "820":
        raise IngestError(st.where(1), f"transaction set {st.get(1)!r}: cashapp reads only 820 (remittance)")
    _close_open_transaction(state)
    state.transaction = [st]
    state.group.counted += 1


def _close_open_transaction(state: _State) -> None:
    """A header or the end of the file while a transaction is open: that transaction lost its SE
    (it is read all the same, with a warning, as the format's trailers are only checks)."""
    if state.transaction:
        st = state.transaction[0]
        state.out.warnings.append(f"{st.where()}: transaction {st.get(2)} has no SE trailer")
        _transaction(state, state.transaction, None)
        state.transaction = []


def _close_group(state: _State, ge: Segment | None) -> None:
    group = state.group
    if group is None:
        if ge is not None:
            raise IngestError(ge.where(), "a GE trailer without a GS header")
        return
    _close_open_transaction(state)
    control = group.header.get(6)
    declared = _count(ge, 1) if ge is not None else None
    if ge is None:
        state.out.warnings.append(f"{group.header.where()}: group {control} has no GE trailer")
    elif ge.get(2).lstrip("0") != control.lstrip("0"):
        state.out.warnings.append(f"{ge.where(2)}: GE02 {ge.get(2)!r} does not match GS06 {control!r}")
    _control(state, ControlTotal(f"group {control}", group.counted, group.summed_minor, declared))
    state.group = None


def _close_interchange(state: _State, iea: Segment | None) -> None:
    interchange = state.interchange
    if interchange is None:
        if iea is not None:
            raise IngestError(iea.where(), "an IEA trailer without an ISA header")
        return
    _close_group(state, None)
    control = interchange.header.get(13)
    declared = _count(iea, 1) if iea is not None else None
    if iea is None:
        state.out.warnings.append(f"{interchange.header.where()}: interchange {control} has no IEA trailer")
    elif iea.get(2).lstrip("0") != control.lstrip("0"):
        state.out.warnings.append(f"{iea.where(2)}: IEA02 {iea.get(2)!r} does not match ISA13 {control!r}")
    _control(state, ControlTotal(f"interchange {control}", interchange.counted, 0, declared))
    state.interchange = None


def _count(segment: Segment, n: int) -> int:
    value = segment.get(n)
    if not (value.isascii() and value.isdigit()):
        raise IngestError(segment.where(n), f"{value!r} is not a count")
    return int(value)


def _control(state: _State, control: ControlTotal) -> None:
    state.out.controls.append(control)
    if not control.agrees:
        state.out.warnings.append(
            f"{control.scope}: the file declares {control.declared_count}, cashapp counted {control.counted}"
        )


def _transaction(state: _State, segments: list[Segment], se: Segment | None) -> None:
    """One ST..SE: checks its segment count, then reads it as an advice."""
    st = segments[0]
    control_number = st.get(2)
    if se is not None:
        if se.get(2).lstrip("0") != control_number.lstrip("0"):
            state.out.warnings.append(
                f"{se.where(2)}: SE02 {se.get(2)!r} does not match ST02 {control_number!r}"
            )
        declared = _count(se, 1)
        _control(state, ControlTotal(f"transaction {control_number} segments", len(segments), 0, declared))
    fallbacks = [(state.group.header, 4)] if state.group is not None else []
    fallbacks += [(state.interchange.header, 9)] if state.interchange is not None else []
    entry = _advice(state.out, segments, fallbacks)
    if state.group is not None and isinstance(entry, Entry):
        state.group.summed_minor += entry.amount_minor


def _advice(
    out: ParsedFile, segments: list[Segment], fallbacks: list[tuple[Segment, int]]
) -> Entry | Skipped:
    st = segments[0]
    where = f"{st.place} (transaction {st.get(2)})"
    heading = _header(segments)  # BPR, TRN, CUR, DTM and the N1 parties stand there
    bpr = _first(heading, "BPR")
    if bpr is None:
        raise IngestError(st.where(), "an 820 transaction without a BPR segment in its heading")
    currency = _currency(heading)
    exponent = CURRENCY_EXPONENTS[currency]
    amount = _amount(bpr, exponent)
    skipped = _skip_reason(bpr, amount)
    if skipped:
        out.skipped.append(Skipped(where, skipped, amount, currency))
        return out.skipped[-1]
    remittance = read_remittance(segments, currency, exponent)
    out.warnings.extend(remittance.warnings)
    if remittance.has_amounts:
        control = ControlTotal(
            f"transaction {st.get(2)}", remittance.rmr_count, remittance.payment_sum_minor, None, amount
        )
        out.controls.append(control)
        if not control.agrees:
            out.warnings.append(
                f"{where}: BPR02 says {Money(amount, currency).format()} but the RMR lines and "
                f"adjustments sum to {Money(remittance.payment_sum_minor, currency).format()}"
            )
    trn = _first(heading, "TRN")
    trace = trn.get(2) if trn is not None else ""
    if not trace:
        out.warnings.append(f"{where}: no TRN02 trace number: the advice can be linked by amount only")
    entry = Entry(
        kind=EntryKind.ADVICE,
        currency=currency,
        amount_minor=amount,
        value_date=_value_date(bpr, heading, fallbacks),
        location=where,
        account=_receiving_account(bpr),
        payer_name=_payer_name(heading),
        payer_account=bpr.get(9),
        end_to_end_id=end_to_end(trace),
        bank_reference=trace,
        remittance_text=" ".join(" ".join(remittance.texts).split()),
        remittance=tuple(remittance.lines),
        type_code="/".join(e for e in (bpr.get(1), bpr.get(4), bpr.get(5)) if e),
    )
    out.entries.append(entry)
    return entry


def _receiving_account(bpr: Segment) -> str:
    """BPR15, the payee's account, when BPR14 qualifies it (DA, SG ...): some senders leave
    elements out, and then BPR15 is not an account."""
    return bpr.get(15) if 0 < len(bpr.get(14)) <= _ACCOUNT_QUALIFIER_LENGTH else ""


def _skip_reason(bpr: Segment, amount: int) -> str:
    if bpr.get(3) == "D":
        return "debit (BPR03 D): the payee is debited"
    if bpr.get(1) == "P":
        return "prenotification (BPR01 P): no money moves"
    if amount == 0:
        return "zero amount"
    return ""


def _amount(bpr: Segment, exponent: int) -> int:
    amount = decimal_minor(bpr, 2, exponent, required=True)
    assert amount is not None  # required=True raises instead
    if amount < 0:
        raise IngestError(bpr.where(2), "the payment amount cannot be negative (BPR03 gives the direction)")
    return amount


def _currency(heading: list[Segment]) -> str:
    cur = _first(heading, "CUR")
    if cur is None or not cur.get(2):
        return DEFAULT_CURRENCY
    code = cur.get(2).upper()
    if code not in CURRENCY_EXPONENTS:
        raise IngestError(cur.where(2), f"unknown ISO 4217 currency code {code!r}")
    return code


def _payer_name(heading: list[Segment]) -> str:
    parties = [s for s in heading if s.id == "N1"]
    for code in _PAYER_CODES:
        for n1 in parties:
            if n1.get(1) == code and n1.get(2):
                return n1.get(2)
    return next((n1.get(2) for n1 in parties if n1.get(1) != _PAYEE_CODE and n1.get(2)), "")


def _value_date(bpr: Segment, heading: list[Segment], fallbacks: list[tuple[Segment, int]]) -> dt.date:
    """BPR16 (the effective entry date); without it the heading's DTM, else the date the group
    (GS04) or the interchange (ISA09) was made: the advice is about a payment of about then."""
    dtm = next((s for s in heading if s.id == "DTM" and s.get(2)), None)
    for segment, n in [(bpr, 16), *([(dtm, 2)] if dtm is not None else []), *fallbacks]:
        if segment.get(n):
            return _date(segment, n)
    raise IngestError(bpr.where(16), "the transaction has no date (BPR16, DTM, GS04 or ISA09)")


def _date(segment: Segment, n: int) -> dt.date:
    text = segment.get(n)
    try:
        if len(text) == 8 and text.isdigit():
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        if len(text) == 6 and text.isdigit():
            year = int(text[:2])
            century = 1900 if year >= _CENTURY_PIVOT else 2000
            return dt.date(century + year, int(text[2:4]), int(text[4:]))
    except ValueError:
        pass
    raise IngestError(segment.where(n), f"{text[:20]!r} is not a date (CCYYMMDD)")


def _first(segments: list[Segment], sid: str) -> Segment | None:
    for segment in segments:
        if segment.id == sid:
            return segment
    return None


def _header(segments: list[Segment]) -> list[Segment]:
    """The transaction's heading: the segments before the first ENT or RMR loop."""
    for i, segment in enumerate(segments):
        if segment.id in ("ENT", "RMR"):
            return segments[:i]
    return segments
