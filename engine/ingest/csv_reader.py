"""CSV bank files with a documented header: one movement per row.

The first line is the header: column names (case-insensitive, in any order, each once) from

    kind              PAYMENT (default when empty or absent), RETURN or ADVICE
    amount            required: decimal in major units, "1234.56" (no thousands separators,
                      at most the currency's decimals); a negative amount is a debit and a zero
                      amount is skipped (both reported, not imported)
    currency          required: ISO 4217 code, "EUR"
    value_date        required: YYYY-MM-DD
    booking_date      YYYY-MM-DD
    account           the statement's own (receiving) account
    payer_name, payer_account
    bank_reference    the bank's reference of the movement (unique per account)
    end_to_end_id     NOTPROVIDED reads as empty
    remittance_text   free-text remittance
    invoice_references  ";"-separated documents, each "REF" or "REF=AMOUNT" (paid on it, major
                      units); a reference starting "RF" that passes ISO 11649 is a creditor
                      reference
    original_reference, return_reason   for RETURN: the returned payment's reference and why
    batch_id          for ADVICE: the identity of the batch payment it itemizes
    type_code         kept for a person

The file is UTF-8, with or without a byte-order mark. The delimiter is whichever of "," and ";"
the header line holds more often; with ";" an amount may use a decimal comma ("1234,56").
Quoting follows RFC 4180 (the csv module). Every bad cell is an IngestError naming it:
"line 7, column amount: ...". Blank lines are ignored.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from stdnum import iso11649

from engine.errors import InvalidArgument
from engine.ingest.records import Entry, EntryKind, IngestError, ParsedFile, Skipped, end_to_end
from engine.model import RemittanceLine
from engine.money import MAX_AMOUNT_MINOR, currency_exponent

REQUIRED = ("amount", "currency", "value_date")
OPTIONAL = (
    "kind",
    "booking_date",
    "account",
    "payer_name",
    "payer_account",
    "bank_reference",
    "end_to_end_id",
    "remittance_text",
    "invoice_references",
    "original_reference",
    "return_reason",
    "batch_id",
    "type_code",
)
COLUMNS = REQUIRED + OPTIONAL
_AMOUNT = re.compile(r"(-?)([0-9]+)(?:[.]([0-9]+))?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BOM = "\ufeff"
# A cell longer than this is not a bank file's (csv's own default limit is 128 KiB).
MAX_CELL_CHARS = 65536


def parse(data: bytes) -> ParsedFile:
    text = _decode(data)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise IngestError("line 1", "the file is empty: a header line is expected")
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    csv.field_size_limit(MAX_CELL_CHARS)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    parsed = ParsedFile(format="csv")
    try:
        header = _header(next(reader))
        ended = reader.line_num
        for row in reader:
            # A record starts on the line after the last one ended (a quoted cell may span lines).
            number, ended = ended + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise IngestError(f"line {number}", f"{len(row)} cells, the header names {len(header)}")
            _row(dict(zip(header, row, strict=True)), number, delimiter, parsed)
    except csv.Error as exc:
        raise IngestError(f"line {reader.line_num}", f"not valid CSV: {exc}") from None
    return parsed


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise IngestError(f"line {line}", f"not UTF-8 (byte {exc.start + 1})") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise IngestError(f"line {line}", "binary data (NUL), not a CSV file", "UNKNOWN_FORMAT")
    return text.removeprefix(_BOM)


def _header(cells: list[str]) -> list[str]:
    names = [cell.strip().lower() for cell in cells]
    for i, name in enumerate(names):
        if name not in COLUMNS:
            raise IngestError(
                f"line 1, column {i + 1}", f"unknown column {name!r}; known: {', '.join(COLUMNS)}"
            )
        if name in names[:i]:
            raise IngestError(f"line 1, column {name}", "the column is named twice")
    for name in REQUIRED:
        if name not in names:
            raise IngestError("line 1", f"the required column {name!r} is missing")
    return names


def _row(cells: dict[str, str], number: int, delimiter: str, parsed: ParsedFile) -> None:
    location = f"line {number}"
    get = {k: v.strip() for k, v in cells.items()}.get
    kind = _kind(get("kind") or "PAYMENT", location)
    currency = get("currency") or ""
    try:
        exponent = currency_exponent(currency)
    except InvalidArgument:
        raise IngestError(
            f"{location}, column currency", f"unknown ISO 4217 currency code {currency!r}"
        ) from None
    amount = _amount(get("amount") or "", exponent, delimiter, f"{location}, column amount")
    if amount <= 0:
        reason = "zero amount" if amount == 0 else "debit"
        parsed.skipped.append(Skipped(location, reason, abs(amount), currency))
        return
    parsed.entries.append(
        Entry(
            kind=kind,
            currency=currency,
            amount_minor=amount,
            value_date=_date(get("value_date") or "", f"{location}, column value_date"),
            location=location,
            booking_date=_optional_date(get("booking_date") or "", f"{location}, column booking_date"),
            account=get("account") or "",
            payer_name=" ".join((get("payer_name") or "").split()),
            payer_account=get("payer_account") or "",
            end_to_end_id=end_to_end(get("end_to_end_id") or ""),
            bank_reference=get("bank_reference") or "",
            remittance_text=" ".join((get("remittance_text") or "").split()),
            remittance=_references(get("invoice_references") or "", exponent, delimiter, location, parsed),
            batch_id=get("batch_id") or "",
            original_reference=get("original_reference") or "",
            return_reason=get("return_reason") or "",
            type_code=get("type_code") or "",
        )
    )


def _kind(value: str, location: str) -> EntryKind:
    try:
        return EntryKind(value.upper())
    except ValueError:
        raise IngestError(f"{location}, column kind", f"{value!r} is not PAYMENT, RETURN or ADVICE") from None


def _amount(value: str, exponent: int, delimiter: str, location: str, *, signed: bool = True) -> int:
    """Major units as written -> exact minor units (digits only: never a float)."""
    if delimiter == ";":
        value = value.replace(",", ".", 1) if value.count(",") == 1 and "." not in value else value
    found = _AMOUNT.fullmatch(value)
    if found is None or (found.group(1) and not signed):
        raise IngestError(location, f"{value!r} is not a decimal amount like 1234.56")
    sign, whole, fraction = found.group(1), found.group(2), found.group(3) or ""
    if len(fraction) > exponent:
        raise IngestError(location, f"{value!r} has more than the currency's {exponent} decimals")
    minor = int(whole + fraction.ljust(exponent, "0")) if exponent else int(whole)
    if minor > MAX_AMOUNT_MINOR:
        raise IngestError(location, f"{value!r} exceeds the maximum amount")
    return -minor if sign else minor


def _optional_date(value: str, location: str) -> dt.date | None:
    return _date(value, location) if value else None


def _date(value: str, location: str) -> dt.date:
    if not _DATE.fullmatch(value):
        raise IngestError(location, f"{value!r} is not a date YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise IngestError(location, f"{value!r} is not a date YYYY-MM-DD") from None


def _references(
    value: str, exponent: int, delimiter: str, location: str, parsed: ParsedFile
) -> tuple[RemittanceLine, ...]:
    lines: list[RemittanceLine] = []
    for i, item in enumerate(part.strip() for part in value.split(";")):
        if not item:
            continue
        reference, _, paid = item.partition("=")
        reference = reference.strip()
        at = f"{location}, column invoice_references[{i + 1}]"
        if not reference:
            raise IngestError(at, f"{item!r} names no reference")
        paid_minor = _amount(paid.strip(), exponent, delimiter, at, signed=False) if paid.strip() else None
        kind = "INVOICE"
        if reference.upper().startswith("RF"):
            if iso11649.is_valid(reference):
                kind = "CREDITOR_REFERENCE"
            elif reference[2:4].isdigit():
                parsed.warnings.append(
                    f"{at}: {reference!r} fails the ISO 11649 check; kept as an invoice reference"
                )
        lines.append(RemittanceLine(reference, paid_minor=paid_minor, kind=kind))
    return tuple(lines)
