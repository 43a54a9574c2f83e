"""The formats cashapp reads, how a file's format is recognized, and the one entry point.

Detection looks at the first bytes only, the way a person opening the file would: an XML root in a
camt namespace, a BAI2 "01," file header (or the fixed-width BAI lockbox's type 1 header), a NACHA
"101" file header of 94-character records, an X12 "ISA" envelope, SWIFT MT940/942 tags, or the
documented CSV header.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable

from engine.ingest.records import IngestError, ParsedFile

# Name -> "module:function" of its reader; readers are imported on first use.
READERS = {
    "camt.053": "engine.ingest.camt_reader:parse",
    "camt.054": "engine.ingest.camt_reader:parse",
    "bai2": "engine.ingest.bai2_reader:parse",
    "mt940": "engine.ingest.mt940_reader:parse",
    "mt942": "engine.ingest.mt940_reader:parse",
    "edi820": "engine.ingest.edi820_reader:parse",
    "nacha": "engine.ingest.nacha_reader:parse",
    "csv": "engine.ingest.csv_reader:parse",
}
FORMATS = tuple(READERS)
SNIFF_BYTES = 4096

_CAMT_NAMESPACE = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:camt\.(05[34])\.001\.\d\d")
# A BAI lockbox type 1 header: "1", a two-digit priority, then the destination.
_LOCKBOX_HEADER = re.compile(rb"1\d\d[A-Z0-9]")
_MT_TAGS = re.compile(rb"(^|[\r\n{:])(:20:|:25:|:28C?:)")


def detect(data: bytes) -> str:
    """The format of a file from its first bytes; IngestError when it is none of FORMATS."""
    head = data[:SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise IngestError("line 1", "the file is empty", "EMPTY_FILE")
    if head.startswith(b"<"):
        found = _CAMT_NAMESPACE.search(data[:SNIFF_BYTES])
        if found is None:
            raise IngestError("root", "an XML file that is not camt.053 or camt.054 (no camt namespace)")
        return f"camt.{found.group(1).decode()}"
    if head.startswith(b"01,"):
        return "bai2"
    if head.startswith(b"101") and len(head.split(b"\n", 1)[0].rstrip(b"\r")) in (94, len(head)):
        return "nacha"
    if _LOCKBOX_HEADER.match(head) and b"\n2" in head[:512]:
        return "bai2"  # the older fixed-width BAI lockbox transmission (engine.ingest.bai_lockbox)
    if head.startswith(b"ISA"):
        return "edi820"
    if _MT_TAGS.search(head) and (b":60F:" in data[:SNIFF_BYTES] or b":60M:" in data[:SNIFF_BYTES]):
        return "mt940"
    if _MT_TAGS.search(head) and b":34F:" in data[:SNIFF_BYTES]:
        return "mt942"
    if head.lower().startswith(b"payment_id,") or b"amount" in head.split(b"\n", 1)[0].lower():
        return "csv"
    if b"\x00" in head:
        raise IngestError("byte 1", "binary data, not a bank file", "UNKNOWN_FORMAT")
    raise IngestError("line 1", f"not a format cashapp reads ({', '.join(FORMATS)})", "UNKNOWN_FORMAT")


def reader(format_name: str) -> Callable[[bytes], ParsedFile]:
    """The parse function of a format named in FORMATS."""
    if format_name not in READERS:
        known = ", ".join(FORMATS)
        raise IngestError("", f"unknown format {format_name!r}; one of {known}", "UNKNOWN_FORMAT")
    module, function = READERS[format_name].split(":")
    parse: Callable[[bytes], ParsedFile] = getattr(importlib.import_module(module), function)
    return parse


def parse(data: bytes, format_name: str | None = None) -> ParsedFile:
    """Read a whole file as `format_name`, or as the format detected when None."""
    return reader(format_name or detect(data))(data)
