"""NACHA (ACH) records: 94-character lines, their fields by the positions the NACHA Operating
Rules give (1-based, inclusive, as the rule book prints them), and what transaction codes mean.

Why our own: the one Python ACH parser on PyPI, `ach` 0.2 (2014), cuts every record into string
fields by one layout per record type (the PPD entry layout for CTX and IAT entries too, the
addenda 05 layout for returns and notifications of change) and checks nothing: no lengths, no
numbers, no controls. Other packages only generate CCD+ files; moov-io/ach is Go. The layout is
short enough to state here exactly, with every field checked where it is read.
"""

from __future__ import annotations

import datetime as dt
import enum

from engine.ingest.records import IngestError

RECORD_LENGTH = 94
# The file control is followed by records of all nines up to a multiple of the blocking factor.
FILLER = "9" * RECORD_LENGTH
BLOCKING_FACTOR = 10
# Two-digit years (YYMMDD) are 20YY: ACH began in the 1970s, but no file of 1999 is read today.
CENTURY = 2000
# A settlement day (Julian) more than this many days before the effective date is next year's.
SETTLEMENT_YEAR_WRAP_DAYS = 180


class Code(enum.Enum):
    """What an entry's transaction code says it does to the receiver's account."""

    CREDIT = "credit"  # 22, 32, 42, 52: money in
    DEBIT = "debit"  # 27, 37, 47, 55: money out
    PRENOTE = "prenote"  # 23, 28, 33, ...: a zero test entry
    ZERO_REMITTANCE = "zero"  # 24, 29, 34, ...: remittance data without money
    RETURN = "return"  # 21, 26, 31, ...: a return or a notification of change


# The last digit of a transaction code by meaning; the first digit is the account type
# (2 checking, 3 savings, 4 general ledger, 5 loan).
_UNITS = {
    1: Code.RETURN,
    2: Code.CREDIT,
    3: Code.PRENOTE,
    4: Code.ZERO_REMITTANCE,
    6: Code.RETURN,
    7: Code.DEBIT,
    8: Code.PRENOTE,
    9: Code.ZERO_REMITTANCE,
}
_ACCOUNT_TYPES = (2, 3, 4, 5)
_LOAN_DEBIT = 55  # a loan account is debited only to reverse an erroneous credit


def classify(code: int) -> Code | None:
    """The meaning of a transaction code; None when NACHA defines no such code."""
    if code == _LOAN_DEBIT:
        return Code.DEBIT
    if code // 10 not in _ACCOUNT_TYPES:
        return None
    return _UNITS.get(code % 10)


def is_credit_code(code: int) -> bool:
    """Codes 21-24, 31-34 ... are credits to the receiver (what a batch control's credit total
    adds up); 26-29, 36-39 ... and 55 are debits."""
    return code % 10 in (1, 2, 3, 4) and code != _LOAN_DEBIT


def records(data: bytes) -> list[tuple[int, str]]:
    """The file's records with their line numbers. Files come one record a line (LF or CRLF) or
    as one unbroken run of 94-character records; blank lines are not records."""
    text = data.decode("latin-1")  # NACHA is ASCII; Latin-1 reads any byte, the grammar refuses
    if "\n" not in text and "\r" not in text:
        if len(text) % RECORD_LENGTH:
            raise IngestError(
                "line 1",
                f"a file without line breaks is a run of {RECORD_LENGTH}-character records; "
                f"{len(text)} characters is not",
            )
        lines = [text[i : i + RECORD_LENGTH] for i in range(0, len(text), RECORD_LENGTH)]
    else:
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if len(line) != RECORD_LENGTH:
            raise IngestError(
                f"line {number}", f"a NACHA record has {RECORD_LENGTH} characters, this one {len(line)}"
            )
        out.append((number, line))
    return out


def text(line: str, start: int, end: int) -> str:
    """Positions start..end (1-based, inclusive) without padding."""
    return line[start - 1 : end].strip()


def number(line: str, number_: int, start: int, end: int, name: str) -> int:
    """A numeric field; IngestError naming the line, positions and field when it is not one."""
    raw = line[start - 1 : end]
    if not raw.isdigit() or not raw.isascii():
        raise IngestError(f"line {number_}", f"{name} (positions {start}-{end}) {raw!r} is not a number")
    return int(raw)


def yymmdd(line: str, number_: int, start: int, name: str) -> dt.date | None:
    """A YYMMDD date at start..start+5; None when blank or zeros (an NOC or a return may say so)."""
    raw = line[start - 1 : start + 5]
    if not raw.strip() or raw == "000000":
        return None
    try:
        if raw.isdigit() and raw.isascii():
            return dt.date(CENTURY + int(raw[:2]), int(raw[2:4]), int(raw[4:]))
    except ValueError:
        pass
    raise IngestError(
        f"line {number_}", f"{name} (positions {start}-{start + 5}) {raw!r} is not a date (YYMMDD)"
    )


def settlement(line: str, number_: int, effective: dt.date | None) -> dt.date | None:
    """The settlement date the ACH operator wrote (positions 76-78, day of the year); None when
    blank, as in files an originator made. Its year is the effective date's, or the next one's
    when the day lies well before the effective date (a payment effective in late December)."""
    raw = line[75:78]
    if not raw.strip() or effective is None:
        return None
    day = number(line, number_, 76, 78, "settlement date")
    year = effective.year
    if not 1 <= day <= (dt.date(year, 12, 31) - dt.date(year, 1, 1)).days + 1:
        raise IngestError(f"line {number_}", f"settlement date (positions 76-78) {raw!r} is no day of {year}")
    date = dt.date(year, 1, 1) + dt.timedelta(days=day - 1)
    if (effective - date).days > SETTLEMENT_YEAR_WRAP_DAYS:
        next_year = dt.date(year + 1, 1, 1) + dt.timedelta(days=day - 1)
        return next_year if next_year.year == year + 1 else date
    return date
