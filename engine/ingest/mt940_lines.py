"""The MT940/MT942 pre-pass: statements and their tags, as real files write them.

What the `mt-940` library trips over, or reads without saying where: SWIFT envelopes
("{1:F01...}{2:O940...}{4:" before and "-}{5:}" after a message), SOH/ETX bytes around a message,
bank headers before the first tag ("ABNANL2A", "940", ":940:"), CRLF, and lines broken at 65
characters in any field (":28C:0000" / "0", a bank reference split over two lines). This module
cuts the text into statements (each starting at :20:) of tags that know their line, joins wrapped
lines (see `Tag.value`), and rebuilds a clean text for the library per statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.ingest.records import IngestError

_TAG = re.compile(r"^:(\d\d[A-Z]?):(.*)$")
_MESSAGE_TYPE = re.compile(r"^:9\d\d:\s*$")
_ENVELOPE = re.compile(r"\{[1235]:[^{}]*\}|\{4:|-\}|\{5:(\{[^{}]*\})*\}?")
_BINARY = re.compile(r"[\x00\x02\x04-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The SWIFT line width; a line this long that does not end in a blank was broken mid-text.
SWIFT_LINE_WIDTH = 65
MAX_LINE_CHARS = 10_000  # no real MT940 line comes near; a longer one is no MT940 file
# The tags read here; others (:13:, :NS: ...) are skipped, as the library does.
KNOWN_TAGS = frozenset(
    {"13", "13D", "20", "21", "25", "28", "28C", "34F", "60F", "60M", "61", "62F", "62M", "64", "65", "86"}
    | {"90C", "90D"}
)


@dataclass(slots=True, eq=False)  # compared by identity: two equal tags are still two
class Tag:
    name: str  # "61", "86", "60F"
    line: int  # where the tag starts (1-based)
    lines: list[str] = field(default_factory=list)  # its first line's value and each continuation

    @property
    def location(self) -> str:
        return f"line {self.line} (:{self.name}:)"

    @property
    def value(self) -> str:
        """The value as one line: a wrapped field continues without a separator. A :61: keeps
        its second line (the supplementary details) apart, after a newline, as SWIFT defines."""
        if self.name == "61" and len(self.lines) > 1:
            return self.lines[0] + "\n" + "".join(part.strip() for part in self.lines[1:])
        return "".join(part.strip() if i else part.rstrip() for i, part in enumerate(self.lines))

    @property
    def text(self) -> str:
        """Free text (:86:) as one string: a line broken at the 65-character width continues
        without a blank, a shorter line ended a phrase, so a blank separates it from the next."""
        out, previous = "", ""
        for part in self.lines:
            if out and not (len(previous) >= SWIFT_LINE_WIDTH and not previous.endswith(" ")):
                out += " "
            out += part.strip()
            previous = part
        return " ".join(out.split())


@dataclass(slots=True)
class Statement:
    tags: list[Tag] = field(default_factory=list)

    @property
    def line(self) -> int:
        return self.tags[0].line

    def first(self, *names: str) -> Tag | None:
        return next((tag for tag in self.tags if tag.name in names), None)

    def library_text(self) -> str:
        """The statement as the library reads it: one tag a line (a :61: two, a :86: as given)."""
        lines = []
        for tag in self.tags:
            value = "\n".join(part.rstrip() for part in tag.lines) if tag.name == "86" else tag.value
            lines.append(f":{tag.name}:{value}")
        return "\n".join(lines) + "\n"


def decode(data: bytes) -> str:
    """UTF-8 when the file is, else Latin-1 (every byte maps, so accents never stop a file)."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def statements(text: str) -> list[Statement]:
    """Every statement of the file (a :20: and what follows until the next :20:)."""
    found: list[Statement] = []
    current: Tag | None = None
    for number, physical in enumerate(text.split("\n"), start=1):
        line = _clean(physical, number)
        if not line.strip() or line.strip() == "-":
            current = None if line.strip() == "-" else current
            continue
        match = _TAG.match(line)
        if match is None and _MESSAGE_TYPE.match(line):
            current = None  # ":940:", the message type some banks write before a message
            continue
        if match is None:
            if current is not None:
                current.lines.append(line)
            continue  # a bank header before a message ("ABNANL2A", "940")
        name, value = match.group(1), match.group(2)
        if name == "20":
            found.append(Statement())
        if not found:
            if name in KNOWN_TAGS:
                raise IngestError(f"line {number}", f"tag :{name}: before the statement's :20:")
            continue  # ":940:" and similar headers
        current = Tag(name, number, [value])
        if name in KNOWN_TAGS:
            found[-1].tags.append(current)
    if not found:
        raise IngestError("line 1", "no MT940/MT942 statement (no :20: tag)", "EMPTY_FILE")
    return found


def _clean(physical: str, number: int) -> str:
    if len(physical) > MAX_LINE_CHARS:
        raise IngestError(f"line {number}", f"a line of {len(physical)} characters is no MT940 line")
    line = physical.rstrip("\r").replace("\x01", "").replace("\x03", "")
    found = _BINARY.search(line)
    if found is not None:
        raise IngestError(
            f"line {number}", f"binary data (byte {ord(found.group()):#04x}), not an MT940 file"
        )
    return _ENVELOPE.sub("", line) if "{" in line or "-}" in line else line
