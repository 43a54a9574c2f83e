"""The fixed-width BAI lockbox transmission (the predecessor of BAI2's lockbox detail).

Banks still send it for lockbox check deposits: one record per line, the record type in the first
column. 1 immediate address header, 2 service record, 5 lockbox detail header (the lockbox number
and deposit date), 6 detail (one check: amount in cents, routing and account, check number,
remitter), 4 overflow (memo lines of a check: the invoices it pays), 7 batch total, 8 service
(lockbox) total, 9 destination trailer (the record count). The column layout is the one the
FundersClub bai-lockbox parser documents. The `bai2` library does not read this format, so this
module does, for the BAI2 reader (which sends such files here).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from engine.ingest.records import ControlTotal, Entry, EntryKind, IngestError, ParsedFile, entry_identity
from engine.ingest.text_amounts import implied_decimals

CURRENCY = "USD"  # a US banking format: amounts are dollars and cents
_HEADER = re.compile(r"^1\d\d")
RECORD_TYPES = "1254678 9".replace(" ", "")


def looks_like(text: str) -> bool:
    """A lockbox transmission starts with its type 1 header: "1", a two-digit priority code."""
    first = text.lstrip().split("\n", 1)[0]
    return _HEADER.match(first) is not None and not first.startswith("01,")


def _date(text: str, location: str, *, month_first: bool = False) -> dt.date:
    if len(text) != 6 or not text.isdigit():
        raise IngestError(location, f"date {text!r} is not six digits")
    year, month, day = (text[4:], text[:2], text[2:4]) if month_first else (text[:2], text[2:4], text[4:])
    try:
        return dt.date(2000 + int(year), int(month), int(day))
    except ValueError:
        raise IngestError(location, f"date {text!r} is no calendar date") from None


@dataclasses.dataclass(slots=True)
class _State:
    parsed: ParsedFile
    lockbox: str = ""
    deposit_date: dt.date | None = None
    batch: list[Entry] = dataclasses.field(default_factory=list)
    lockbox_items: list[Entry] = dataclasses.field(default_factory=list)
    records: int = 0


def parse_text(text: str) -> ParsedFile:
    state = _State(ParsedFile(format="bai2"))
    trailer_seen = False
    for number, physical in enumerate(text.split("\n"), start=1):
        line = physical.rstrip("\r")
        if not line.strip():
            continue
        state.records += 1
        location = f"line {number}"
        kind = line[0]
        if kind not in RECORD_TYPES:
            raise IngestError(location, f"unknown lockbox record type {kind!r}", "UNKNOWN_RECORD_TYPE")
        if kind == "5":
            state.lockbox = line[7:14].strip()
            state.deposit_date = _date(line[14:20], location)
        elif kind == "6":
            state.batch.append(_check(line, location, state))
        elif kind == "4":
            _overflow(line, location, state)
        elif kind == "7":
            _batch_total(line, location, state)
        elif kind == "8":
            _control(
                state,
                f"lockbox {state.lockbox} ({location})",
                state.lockbox_items,
                line[20:24],
                line[24:34],
                location,
            )
            state.lockbox_items = []
        elif kind == "9":
            trailer_seen = True
            declared = implied_decimals(line[1:7], f"{location} (record count)")
            state.parsed.controls.append(ControlTotal("file", state.records, 0, declared, None))
            if declared != state.records:
                state.parsed.warnings.append(
                    f"{location}: the trailer declares {declared} records; the file has {state.records}"
                )
    if state.batch:
        state.parsed.warnings.append("the last batch has no batch total (type 7)")
        state.parsed.entries.extend(state.batch)
    if not trailer_seen:
        state.parsed.warnings.append(
            "the destination trailer (type 9) is missing; the record count was not checked"
        )
    return state.parsed


def _check(line: str, location: str, state: _State) -> Entry:
    if state.deposit_date is None:
        raise IngestError(location, "a check (type 6) before any lockbox header (type 5)")
    amount = implied_decimals(line[7:17], f"{location} (check amount)")
    if amount == 0:
        raise IngestError(location, "a check of zero")
    batch, item = line[1:4], line[4:7]
    return Entry(
        kind=EntryKind.PAYMENT,
        currency=CURRENCY,
        amount_minor=amount,
        value_date=state.deposit_date,
        location=location,
        booking_date=state.deposit_date,
        account=state.lockbox,
        payer_name=" ".join(line[52:82].split()),
        payer_account=f"{line[17:26].strip()}/{line[26:36].strip()}",
        bank_reference=f"{state.deposit_date:%y%m%d}/{batch}/{item}",
        remittance_text=f"check {line[36:46].strip().lstrip('0') or '0'}",
        type_code="lockbox check",
    )


def _overflow(line: str, location: str, state: _State) -> None:
    """A memo line (invoice numbers) of the batch's latest check with that item number."""
    memo = " ".join(line[11:41].split())
    for index in range(len(state.batch) - 1, -1, -1):
        if state.batch[index].bank_reference.endswith(f"/{line[1:4]}/{line[4:7]}"):
            item = state.batch[index]
            state.batch[index] = dataclasses.replace(
                item, remittance_text=f"{item.remittance_text} {memo}".strip()
            )
            return
    raise IngestError(location, f"an overflow record for item {line[4:7]!r}, which the batch does not have")


def _batch_total(line: str, location: str, state: _State) -> None:
    """The batch's total: its checks get the batch's identity as batch_id and are imported."""
    if state.deposit_date is None:
        raise IngestError(location, "a batch total (type 7) before any lockbox header (type 5)")
    total = implied_decimals(line[23:33], f"{location} (batch total)")
    batch_entry = Entry(
        EntryKind.PAYMENT, CURRENCY, max(total, 1), state.deposit_date, location,
        account=state.lockbox, bank_reference=f"{state.deposit_date:%y%m%d}/{line[1:4]}",
    )  # fmt: skip
    batch_id = entry_identity(batch_entry)
    items = [dataclasses.replace(entry, batch_id=batch_id) for entry in state.batch]
    _control(state, f"batch {line[1:4]} ({location})", items, line[20:23], line[23:33], location)
    state.parsed.entries.extend(items)
    state.lockbox_items.extend(items)
    state.batch = []


def _control(state: _State, scope: str, items: list[Entry], count: str, total: str, location: str) -> None:
    declared_count = implied_decimals(count, f"{location} (item count)")
    declared_total = implied_decimals(total, f"{location} (total)")
    control = ControlTotal(
        scope, len(items), sum(e.amount_minor for e in items), declared_count, declared_total
    )
    state.parsed.controls.append(control)
    if not control.agrees:
        state.parsed.warnings.append(
            f"{location}: {scope} declares {declared_count} checks of {declared_total}; "
            f"the file has {control.counted} of {control.summed_minor}"
        )
