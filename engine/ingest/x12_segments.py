"""X12 segments: the tokenizer the EDI 820 reader and the NACHA CTX / CCD+ addenda share.

Why a tokenizer of our own: pyx12 4.0 (the maintained X12 package on PyPI) is HIPAA-oriented and
refuses interchange versions other than 00401/00501 and any byte outside ASCII, which rules out 5 of
the 7 public 820 samples (versions 00040, 00410, 00406, 00101, a UTF-8 byte order mark); badx12
0.2.2 does not import on Python 3.10+ (it imports Iterable from collections). What a cash
application needs of X12 is small: the delimiters the ISA header declares, and segments split into
elements. Loops are interpreted by the readers, which know which segments they care about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.ingest.records import IngestError
from engine.money import MAX_AMOUNT_MINOR

# ISA is fixed: "ISA", then 16 elements; ISA16 (the component separator) is one character and the
# segment terminator is the character after it.
ISA_ELEMENTS = 16
# A segment id is 2 or 3 upper-case letters or digits, starting with a letter.
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
# X12 limits an R element to 18 characters (5010); longer is not an amount.
MAX_DECIMAL_LENGTH = 18
# Whitespace between segments (one segment per line, indented pretty-prints) is not content.
_BETWEEN_SEGMENTS = " \t\r\n"


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str
    component: str
    segment: str


class Segment:
    """One segment: elements[0] is its id, elements[n] its n-th element (X12 counts from 1).

    A plain slotted class rather than a frozen dataclass: a large 820 has millions of segments,
    and a frozen dataclass's __init__ costs several times as much."""

    __slots__ = ("elements", "id", "number", "prefix")

    def __init__(self, prefix: str, number: int, elements: tuple[str, ...]) -> None:
        self.prefix = prefix  # "segment", or "line 12 addenda segment" inside NACHA addenda
        self.number = number
        self.elements = elements
        self.id = elements[0]

    @property
    def place(self) -> str:
        return f"{self.prefix} {self.number}"

    def get(self, n: int) -> str:
        """Element n (1-based), "" when the segment is shorter."""
        return self.elements[n] if n < len(self.elements) else ""

    def where(self, n: int | None = None) -> str:
        """The location for a message: "segment 4 (BPR02)"."""
        return f"{self.place} ({self.id}{n:02d})" if n is not None else f"{self.place} ({self.id})"


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (5010 allows it) without a byte order mark, else Latin-1, which
    reads every byte, so that garbage is refused by the segment grammar with a location."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def isa_delimiters(text: str, start: int) -> Delimiters:
    """The delimiters the ISA segment at `start` declares: its 4th character separates elements,
    ISA16 is the component separator and the character after it ends segments."""
    if not text.startswith("ISA", start) or len(text) < start + 4:
        raise IngestError("segment 1", "an X12 interchange starts with an ISA segment")
    element = text[start + 3]
    if element.isalnum() or element in _BETWEEN_SEGMENTS:
        raise IngestError("segment 1 (ISA)", f"{element!r} cannot be the element separator")
    position = start + 3
    for _ in range(ISA_ELEMENTS - 1):
        position = text.find(element, position + 1)
        if position < 0:
            raise IngestError("segment 1 (ISA)", "the ISA segment is truncated (it has 16 elements)")
    if position + 2 >= len(text):
        raise IngestError("segment 1 (ISA16)", "the ISA segment is truncated (no segment terminator)")
    component, segment = text[position + 1], text[position + 2]
    if segment.isalnum() or segment == element or component == element:
        raise IngestError("segment 1 (ISA16)", "the ISA segment declares no usable segment terminator")
    return Delimiters(element, component, segment)


def split_segments(
    text: str, delimiters: Delimiters, place: str = "segment", first: int = 1
) -> list[Segment]:
    """Every segment of `text`, numbered from `first`; whitespace around segments is dropped and
    so are empty ones (a terminator at the very end, a blank line)."""
    out: list[Segment] = []
    number = first
    element = delimiters.element
    known: set[str] = set()  # ids already checked against the grammar
    for raw in text.split(delimiters.segment):
        raw = raw.strip(_BETWEEN_SEGMENTS)
        if not raw:
            continue
        parts = raw.split(element)
        if " " in raw or "\t" in raw:
            parts = [p.strip() for p in parts]
        sid = parts[0]
        if sid not in known:
            if _SEGMENT_ID.fullmatch(sid) is None:
                raise IngestError(f"{place} {number}", f"{sid[:20]!r} is not an X12 segment id")
            known.add(sid)
        out.append(Segment(place, number, tuple(parts)))
        number += 1
    return out


def decimal_minor(segment: Segment, n: int, exponent: int, *, required: bool = False) -> int | None:
    """Element n as an exact signed amount in minor units of a currency with `exponent` decimals;
    None when empty (and not required). Precision finer than the currency is refused.

    X12 type R: an optional minus, digits, an optional decimal point ("236.00", "-350", ".5").
    Checked with str methods rather than a regular expression: a large 820 has millions."""
    elements = segment.elements
    text = elements[n] if n < len(elements) else ""
    if not text:
        if required:
            raise IngestError(segment.where(n), "the amount is missing")
        return None
    negative = text[0] == "-"
    body = text[1:] if negative else text
    digits = body.replace(".", "", 1)
    if len(text) > MAX_DECIMAL_LENGTH or not (digits.isdigit() and digits.isascii()):
        raise IngestError(segment.where(n), f"{text[:30]!r} is not an amount")
    whole, _, fraction = body.partition(".")
    if fraction[exponent:].strip("0"):
        raise IngestError(segment.where(n), f"{text!r} has more than {exponent} decimal places")
    scale: int = 10**exponent
    minor = int(whole or "0") * scale + int(fraction[:exponent].ljust(exponent, "0") or "0")
    if minor > MAX_AMOUNT_MINOR:
        raise IngestError(segment.where(n), f"{text!r} exceeds the largest amount cashapp accepts")
    return -minor if negative else minor
