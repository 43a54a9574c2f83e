"""The BAI2 pre-pass: the logical records of a file as real banks write it.

The `bai2` library reads one record per line, each ending in "/", with 88 continuations on lines
of their own. Real files do more, and the library rejects or misreads it:
- several records on one physical line ("16,...,PPD/ 16,...", "49,00,2/  03,...");
- the "/" terminator left out, CRLF line ends, trailing blanks;
- a 16 record's text wrapped onto a line that is no record at all;
- 88 records continuing a 16 record's text (the library glues them with commas into the text);
- missing trailers (49, 98, 99), which the library treats as a structural error.
This module turns the bytes into `RawRecord`s (one per logical record, continuations joined,
each knowing its line) and synthesizes any missing trailer with a warning, so the library sees a
well-formed file. The record count keeps every physical record, 88s included, because that is
what the 49/98/99 record counts count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.ingest.records import IngestError

RECORD_CODES = ("01", "02", "03", "16", "49", "88", "98", "99")
TEXT_RECORD = "16"
# Where one record ends and the next begins on the same physical line: a "/" terminator, blanks,
# and a record code with its comma. Blanks are required: "/16," inside a 16 text is a slash.
_NEXT_RECORD = re.compile(r"/\s+(?=(?:01|02|03|16|49|88|98|99),)")
_RECORD_START = re.compile(r"^(\d\d),")
# Control characters other than tab mean binary data, not a text file.
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A line longer than this is no BAI2 file (the format's physical records are at most 80 or a few
# hundred characters); the limit keeps a hostile file from making huge field lists.
MAX_LINE_CHARS = 100_000


@dataclass(slots=True)
class RawRecord:
    code: str
    fields: list[str]
    line: int  # the physical line the record starts on (1-based)
    # 16 only: the text of each 88 continuation (the 16's own text is its last fields).
    text_lines: list[str] = field(default_factory=list)
    physical_records: int = 1  # this record and its 88 continuations
    synthesized: bool = False  # a trailer the file lacked, made by the pre-pass

    @property
    def location(self) -> str:
        return f"line {self.line}"


def decode(data: bytes) -> str:
    """The file as text: UTF-8 when it is, else Latin-1 (BAI2 files are ASCII in practice; the
    fallback keeps an odd accented name readable instead of refusing the file)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text.removeprefix("\ufeff")


def raw_records(text: str) -> list[RawRecord]:
    """Every logical record of the file in order, 88 continuations joined to what they continue."""
    records: list[RawRecord] = []
    for number, physical in enumerate(text.split("\n"), start=1):
        line = physical.rstrip("\r").rstrip()
        if not line:
            continue
        _check_line(line, number)
        if _RECORD_START.match(line) is None:
            _wrapped_text(records, line, number)
            continue
        for piece in _NEXT_RECORD.split(line):
            _add_record(records, piece.rstrip(), number)
    return records


def _check_line(line: str, number: int) -> None:
    if len(line) > MAX_LINE_CHARS:
        raise IngestError(f"line {number}", f"a line of {len(line)} characters is no BAI2 record")
    found = _BINARY.search(line)
    if found is not None:
        raise IngestError(f"line {number}", f"binary data (byte {ord(found.group()):#04x}), not a BAI2 file")


def _wrapped_text(records: list[RawRecord], line: str, number: int) -> None:
    """A line that starts no record: the wrapped end of a 16 record's text, else an error."""
    if records and records[-1].code == TEXT_RECORD:
        last = records[-1]
        continued = line.strip().removesuffix("/").rstrip()
        if last.text_lines:
            last.text_lines[-1] = f"{last.text_lines[-1]} {continued}".strip()
        else:
            last.fields[-1] = f"{last.fields[-1]} {continued}"
        return
    raise IngestError(
        f"line {number}",
        f"not a BAI2 record (a record starts with its two-digit type code and a comma): {line[:40]!r}",
    )


def _add_record(records: list[RawRecord], piece: str, number: int) -> None:
    code, body = piece[:2], piece[3:].rstrip()
    if code not in RECORD_CODES:
        raise IngestError(
            f"line {number}",
            f"unknown BAI2 record type {code!r} (known: {', '.join(RECORD_CODES)})",
            "UNKNOWN_RECORD_TYPE",
        )
    body = body.removesuffix("/")
    if code == "88":
        _continue(records, body, number)
        return
    records.append(RawRecord(code, body.split(","), number))


def _continue(records: list[RawRecord], body: str, number: int) -> None:
    """An 88 record: more text for a 16, more fields for any other record (the specification
    says a continuation starts a new field)."""
    if not records:
        raise IngestError(f"line {number}", "an 88 continuation record with nothing before it to continue")
    last = records[-1]
    last.physical_records += 1
    if last.code == TEXT_RECORD:
        last.text_lines.append(body.strip())
    else:
        last.fields.extend(body.split(","))


def close_sections(records: list[RawRecord], warnings: list[str]) -> list[RawRecord]:
    """The records with every missing 49, 98 or 99 trailer added (with a warning), so the
    library's nesting holds; a header missing is still an error (the library says which)."""
    out: list[RawRecord] = []
    open_sections: list[str] = []  # stack of "01", "02", "03"
    closes = {"49": "03", "98": "02", "99": "01"}
    opens_inside = {"02": "01", "03": "02"}
    trailer_of = {"03": "49", "02": "98", "01": "99"}
    for record in records:
        code = record.code
        if code in opens_inside:
            _close_until(open_sections, opens_inside[code], out, record.line, warnings, trailer_of)
            open_sections.append(code)
        elif code == "01":
            open_sections.append(code)
        elif code in closes:
            _close_until(open_sections, closes[code], out, record.line, warnings, trailer_of)
            if open_sections and open_sections[-1] == closes[code]:
                open_sections.pop()
        out.append(record)
    last_line = records[-1].line if records else 1
    _close_until(open_sections, "", out, last_line, warnings, trailer_of)
    return out


def _close_until(
    open_sections: list[str],
    keep: str,
    out: list[RawRecord],
    line: int,
    warnings: list[str],
    trailer_of: dict[str, str],
) -> None:
    """Close every open section above `keep` (all of them when keep is "") with a trailer."""
    while open_sections and open_sections[-1] != keep and (keep == "" or keep in open_sections):
        section = open_sections.pop()
        trailer = trailer_of[section]
        names = {"49": "account trailer (49)", "98": "group trailer (98)", "99": "file trailer (99)"}
        warnings.append(f"line {line}: {names[trailer]} missing; its control totals were not checked")
        empty = {"49": ["", ""], "98": ["", "", ""], "99": ["", "", ""]}[trailer]
        out.append(RawRecord(trailer, list(empty), line, physical_records=0, synthesized=True))
