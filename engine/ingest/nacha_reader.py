"""NACHA (ACH) files -> ParsedFile, read from the receiving company's side (the RDFI's customer).

A credit entry (22, 32, 42, 52) is money received: a PAYMENT from the batch's company (the
originator), its trace number the bank reference. Debits, prenotes and zero-dollar entries move no
money to us (skipped, with the reason). An entry with a return addenda (99) is a RETURN of the
entry whose trace number the addenda names; a notification of change (addenda 98) is skipped.

Remittance travels in addenda 05: CCD+/PPD+ carry one line of free text (or an X12 RMR/REF), CTX
up to 9,999 addenda whose payment-related information, joined in sequence order, is an X12 820
(RMR, REF, ADX ...): both go through the same X12 segment reading as the EDI 820 reader.

Every control the file declares (batch and file control: entry/addenda count, entry hash, debit
and credit totals, batch count, block count) is checked; a mismatch is a warning.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from engine.ingest import nacha_records as rec
from engine.ingest.records import ControlTotal, Entry, EntryKind, IngestError, ParsedFile, Skipped
from engine.ingest.x12_remittance import Remittance, read_remittance
from engine.ingest.x12_segments import Delimiters, Segment, isa_delimiters, split_segments
from engine.money import Money

FORMAT = "nacha"
# ACH moves US dollars (IAT amounts too are in dollars on the US side).
CURRENCY = "USD"
EXPONENT = 2
# The entry hash is the sum of the receiving DFI routing numbers, its last 10 digits kept.
HASH_MODULUS = 10**10
# NACHA's convention for X12 inside addenda: "*" between elements, "\" ends a segment.
ADDENDA_X12 = Delimiters(element="*", component=">", segment="\\")
# Where X12 starts inside payment-related information (CCD+ text may lead with words).
_X12_START = re.compile(r"(?<![A-Z0-9])(?:ISA|ST|BPR|TRN|ENT|NM1|N1|RMR|REF|ADX|NTE|DTM|IT1)\*")
# Addenda types: 05 payment related, 98 notification of change, 99 return, 10-18 IAT.
_PAYMENT_RELATED, _CHANGE, _RETURN = "05", "98", "99"
_IAT_ORIGINATOR, _IAT_REMITTANCE = "11", "17"
_IAT_TYPES = frozenset(f"{n}" for n in range(10, 19))


@dataclass(slots=True)
class _Totals:
    """What a batch or file control declares, as cashapp counts it."""

    records: int = 0  # entry detail and addenda records
    hash: int = 0
    credit_count: int = 0
    credit_minor: int = 0
    debit_count: int = 0
    debit_minor: int = 0

    def add(self, other: _Totals) -> None:
        self.records += other.records
        self.hash += other.hash
        self.credit_count += other.credit_count
        self.credit_minor += other.credit_minor
        self.debit_count += other.debit_count
        self.debit_minor += other.debit_minor


@dataclass(slots=True)
class _Pending:
    """An entry detail record and the addenda after it."""

    number: int
    line: str
    addenda: list[tuple[int, str]] = field(default_factory=list)


@dataclass(slots=True)
class _Batch:
    number: int
    line: str
    value_date: dt.date
    totals: _Totals = field(default_factory=_Totals)
    pending: _Pending | None = None

    @property
    def sec(self) -> str:
        return self.line[50:53]

    @property
    def batch_number(self) -> str:
        return self.line[87:94]


@dataclass(slots=True)
class _File:
    index: int
    number: int
    line: str
    physical: int = 1  # records from the file header on, for the block count
    batches: int = 0
    totals: _Totals = field(default_factory=_Totals)

    @property
    def scope(self) -> str:
        return "file" if self.index == 1 else f"file {self.index}"


def parse(data: bytes) -> ParsedFile:
    """Every entry of every file (files may be concatenated) in `data`."""
    reader = _Reader()
    for number, line in rec.records(data):
        reader.feed(number, line)
    reader.finish()
    return reader.out


class _Reader:
    def __init__(self) -> None:
        self.out = ParsedFile(format=FORMAT)
        self.file: _File | None = None
        self.batch: _Batch | None = None
        self.files = 0

    def feed(self, number: int, line: str) -> None:
        kind = line[0]
        if line == rec.FILLER:
            return
        if self.file is not None and kind != "1":
            self.file.physical += 1
        if kind == "1":
            self._file_header(number, line)
        elif kind == "5":
            self._batch_header(number, line)
        elif kind == "6":
            batch = self._in_batch(number, "an entry detail record")
            self._flush(batch)
            batch.pending = _Pending(number, line)
        elif kind == "7":
            batch = self._in_batch(number, "an addenda record")
            if batch.pending is None:
                raise IngestError(
                    f"line {number}", "an addenda record without an entry detail record before it"
                )
            batch.pending.addenda.append((number, line))
        elif kind == "8":
            self._batch_control(number, line)
        elif kind == "9":
            self._file_control(number, line)
        else:
            raise IngestError(
                f"line {number}", f"record type {kind!r} is not a NACHA record (1, 5, 6, 7, 8, 9)"
            )

    def finish(self) -> None:
        if self.file is None and self.files == 0:
            raise IngestError("line 1", "no file header record (type 1)")
        if self.batch is not None:
            self.out.warnings.append(
                f"line {self.batch.number}: batch {self.batch.batch_number} has no batch control"
            )
            self._close_batch(None, 0)
        if self.file is not None:
            self.out.warnings.append(f"line {self.file.number}: the file has no file control record")
            self._close_file(None, 0)

    # -- envelopes -------------------------------------------------------------------------------

    def _file_header(self, number: int, line: str) -> None:
        if self.file is not None:
            self.finish()  # the previous file lost its file control: warned there
        if line[34:37] != f"{rec.RECORD_LENGTH:03d}":
            self.out.warnings.append(
                f"line {number}: the file header says records of {line[34:37]!r} characters"
            )
        self.files += 1
        self.file = _File(self.files, number, line)

    def _batch_header(self, number: int, line: str) -> None:
        if self.file is None:
            raise IngestError(f"line {number}", "a batch header outside a file (no file header before it)")
        if self.batch is not None:
            self.out.warnings.append(
                f"line {self.batch.number}: batch {self.batch.batch_number} has no batch control"
            )
            self._close_batch(None, number)
        effective = rec.yymmdd(line, number, 70, "effective entry date")
        value_date = rec.settlement(line, number, effective) or effective
        if value_date is None:
            value_date = rec.yymmdd(self.file.line, self.file.number, 24, "file creation date")
        if value_date is None:
            raise IngestError(f"line {number}", "no effective entry date and no file creation date")
        self.batch = _Batch(number, line, value_date)
        self.file.batches += 1

    def _in_batch(self, number: int, what: str) -> _Batch:
        if self.batch is None:
            raise IngestError(f"line {number}", f"{what} outside a batch (no batch header before it)")
        return self.batch

    def _batch_control(self, number: int, line: str) -> None:
        if self.batch is None:
            raise IngestError(f"line {number}", "a batch control without a batch header")
        self._close_batch(line, number)

    def _close_batch(self, control: str | None, number: int) -> None:
        batch = self.batch
        assert batch is not None and self.file is not None
        self._flush(batch)
        self.batch = None
        self.file.totals.add(batch.totals)
        scope = (
            f"batch {batch.batch_number}"
            if self.file.index == 1
            else f"{self.file.scope} batch {batch.batch_number}"
        )
        if control is None:
            self._controls(scope, batch.totals, None, 0, {})
            return
        if control[87:94] != batch.batch_number:
            self.out.warnings.append(
                f"line {number}: batch control for batch {control[87:94]!r}, not {batch.batch_number!r}"
            )
        layout = {"records": (5, 10), "hash": (11, 20), "debit": (21, 32), "credit": (33, 44)}
        self._controls(scope, batch.totals, control, number, layout)

    def _file_control(self, number: int, line: str) -> None:
        file = self.file
        if file is None:
            raise IngestError(f"line {number}", "a file control without a file header")
        if self.batch is not None:
            self.out.warnings.append(
                f"line {self.batch.number}: batch {self.batch.batch_number} has no batch control"
            )
            self._close_batch(None, number)
        self._close_file(line, number)

    def _close_file(self, control: str | None, number: int) -> None:
        file = self.file
        assert file is not None
        self.file = None
        if control is None:
            self._controls(file.scope, file.totals, None, 0, {})
            return
        batches = rec.number(control, number, 2, 7, "batch count")
        self._control(ControlTotal(f"{file.scope} batches", file.batches, 0, batches))
        blocks = rec.number(control, number, 8, 13, "block count")
        counted_blocks = -(-file.physical // rec.BLOCKING_FACTOR)
        if blocks != counted_blocks:
            self.out.warnings.append(
                f"line {number}: the file control says {blocks} blocks of {rec.BLOCKING_FACTOR} records, "
                f"the file has {counted_blocks}"
            )
        layout = {"records": (14, 21), "hash": (22, 31), "debit": (32, 43), "credit": (44, 55)}
        self._controls(file.scope, file.totals, control, number, layout)

    def _controls(
        self,
        scope: str,
        totals: _Totals,
        control: str | None,
        number: int,
        layout: dict[str, tuple[int, int]],
    ) -> None:
        """The ControlTotals of a batch or file control record (None: the record is missing)."""

        def declared(name: str) -> int | None:
            if control is None:
                return None
            start, end = layout[name]
            return rec.number(control, number, start, end, f"{name} total")

        self._control(ControlTotal(f"{scope} records", totals.records, 0, declared("records")))
        self._control(
            ControlTotal(
                f"{scope} credits", totals.credit_count, totals.credit_minor, None, declared("credit")
            )
        )
        self._control(
            ControlTotal(f"{scope} debits", totals.debit_count, totals.debit_minor, None, declared("debit"))
        )
        entry_hash = declared("hash")
        summed_hash = totals.hash % HASH_MODULUS
        if entry_hash is not None and entry_hash != summed_hash:
            self.out.warnings.append(
                f"{scope}: the entry hash is {entry_hash}, the routing numbers sum to {summed_hash}"
            )

    def _control(self, control: ControlTotal) -> None:
        self.out.controls.append(control)
        if control.agrees:
            return
        if control.declared_sum_minor is not None and control.declared_sum_minor != control.summed_minor:
            self.out.warnings.append(
                f"{control.scope}: the file declares {Money(control.declared_sum_minor, CURRENCY).format()}, "
                f"the entries sum to {Money(control.summed_minor, CURRENCY).format()}"
            )
        else:
            declared, counted = control.declared_count, control.counted
            self.out.warnings.append(
                f"{control.scope}: the file declares {declared}, cashapp counted {counted}"
            )

    # -- entries ---------------------------------------------------------------------------------

    def _flush(self, batch: _Batch) -> None:
        pending, batch.pending = batch.pending, None
        if pending is not None:
            _entry(self.out, batch, pending)


def _entry(out: ParsedFile, batch: _Batch, pending: _Pending) -> None:
    """One entry detail record with its addenda -> an Entry or a Skipped; adds to the totals."""
    n, line = pending.number, pending.line
    code = rec.number(line, n, 2, 3, "transaction code")
    meaning = rec.classify(code)
    if meaning is None:
        raise IngestError(f"line {n}", f"transaction code {code:02d} is not a NACHA transaction code")
    amount = rec.number(line, n, 30, 39, "amount")
    _count(batch.totals, code, amount, rec.number(line, n, 4, 11, "receiving DFI identification"), pending)
    addenda = _addenda_by_type(pending)
    where = f"line {n}"
    if _CHANGE in addenda or batch.sec == "COR":
        change = addenda[_CHANGE][0][1][3:6] if _CHANGE in addenda else ""
        out.skipped.append(Skipped(where, f"notification of change {change}".strip(), amount, CURRENCY))
        return
    reason = _skip_reason(meaning, amount, _RETURN in addenda)
    if reason:
        out.skipped.append(Skipped(where, reason, amount, CURRENCY))
        return
    out.entries.append(_received(out, batch, pending, code, amount, addenda))


def _count(totals: _Totals, code: int, amount: int, routing: int, pending: _Pending) -> None:
    totals.records += 1 + len(pending.addenda)
    totals.hash += routing
    if rec.is_credit_code(code):
        totals.credit_count += 1
        totals.credit_minor += amount
    else:
        totals.debit_count += 1
        totals.debit_minor += amount


def _skip_reason(meaning: rec.Code, amount: int, returned: bool) -> str:
    if meaning is rec.Code.RETURN and not returned:
        return "a return or notification of change without its addenda (98 or 99)"
    if meaning is rec.Code.DEBIT and not returned:
        return "debit"
    if meaning is rec.Code.PRENOTE:
        return "prenotification (a zero test entry)"
    if meaning is rec.Code.ZERO_REMITTANCE:
        return "zero-dollar remittance entry: no money moves"
    if amount == 0:
        return "zero amount"
    return ""


def _addenda_by_type(pending: _Pending) -> dict[str, list[tuple[int, str]]]:
    out: dict[str, list[tuple[int, str]]] = {}
    for number, line in pending.addenda:
        kind = line[1:3]
        if kind not in (_PAYMENT_RELATED, _CHANGE, _RETURN) and kind not in _IAT_TYPES:
            raise IngestError(f"line {number}", f"addenda type {kind!r} is not a NACHA addenda type")
        out.setdefault(kind, []).append((number, line))
    return out


def _received(
    out: ParsedFile,
    batch: _Batch,
    pending: _Pending,
    code: int,
    amount: int,
    addenda: dict[str, list[tuple[int, str]]],
) -> Entry:
    """A credit received, or a return (addenda 99), as an Entry."""
    n, line = pending.number, pending.line
    iat = batch.sec == "IAT"
    trace = rec.text(line, 80, 94)
    payer = rec.text(batch.line, 5, 20)
    texts = [] if iat else [rec.text(line, 40, 54)]
    if iat and _IAT_ORIGINATOR in addenda:
        payer = rec.text(addenda[_IAT_ORIGINATOR][0][1], 4, 38)
    remittance = _remittance(out, batch, pending, amount, addenda)
    texts += remittance.texts
    payer = remittance.payer_name or payer
    kind, original, reason = EntryKind.PAYMENT, "", ""
    if _RETURN in addenda:
        returned = addenda[_RETURN][0][1]
        kind, reason, original = EntryKind.RETURN, returned[3:6].strip(), rec.text(returned, 7, 21)
        texts.append(rec.text(returned, 36, 79))
    return Entry(
        kind=kind,
        currency=CURRENCY,
        amount_minor=amount,
        value_date=batch.value_date,
        location=f"line {n}",
        account=rec.text(line, 40, 74) if iat else rec.text(line, 13, 29),
        payer_name=payer,
        payer_account=rec.text(batch.line, 41, 50),
        bank_reference=trace,
        remittance_text=" ".join(" ".join(texts).split()),
        remittance=tuple(remittance.lines),
        original_reference=original,
        return_reason=reason,
        type_code=f"{batch.sec} {code:02d}",
    )


def _remittance(
    out: ParsedFile, batch: _Batch, pending: _Pending, amount: int, addenda: dict[str, list[tuple[int, str]]]
) -> Remittance:
    """Payment-related information in sequence order: free text and X12 segments."""
    related = addenda.get(_IAT_REMITTANCE if batch.sec == "IAT" else _PAYMENT_RELATED, [])
    if not related:
        return Remittance()
    ordered = sorted(related, key=lambda item: item[1][83:87])
    first = ordered[0][0]
    if batch.sec == "CTX":
        # CTX segments run on across addenda records: join the 80 characters as they are.
        chunks = ["".join(line[3:83] for _, line in ordered).strip()]
        declared = rec.number(pending.line, pending.number, 55, 58, "number of addenda records")
        if declared != len(ordered):
            out.warnings.append(
                f"line {pending.number}: the entry says {declared} addenda, it has {len(ordered)}"
            )
    else:
        chunks = [line[3:83].strip() for _, line in ordered]
    result = Remittance()
    for chunk in chunks:
        part = _read_chunk(chunk, f"line {first} addenda segment")
        result.lines += part.lines
        result.texts += part.texts
        result.warnings += part.warnings
        result.rmr_count += part.rmr_count
        result.payment_sum_minor += part.payment_sum_minor
        result.has_amounts = result.has_amounts or part.has_amounts
        result.payer_name = result.payer_name or part.payer_name
    out.warnings.extend(result.warnings)
    if batch.sec == "CTX" and result.has_amounts:
        _remittance_control(out, pending, amount, result)
    return result


def _read_chunk(chunk: str, place: str) -> Remittance:
    found = _X12_START.search(chunk)
    if found is None:
        return Remittance(texts=[chunk])
    free, x12 = chunk[: found.start()].strip(), chunk[found.start() :]
    if x12.startswith("ISA"):
        delimiters = isa_delimiters(x12, 0)
    else:
        segment = next((t for t in ("\\", "~") if t in x12), ADDENDA_X12.segment)
        delimiters = Delimiters(ADDENDA_X12.element, ADDENDA_X12.component, segment)
    segments: list[Segment] = split_segments(x12, delimiters, place)
    part = read_remittance(segments, CURRENCY, EXPONENT)
    if free:
        part.texts.insert(0, free)
    return part


def _remittance_control(out: ParsedFile, pending: _Pending, amount: int, remittance: Remittance) -> None:
    trace = rec.text(pending.line, 80, 94)
    control = ControlTotal(
        f"entry {trace} remittance", remittance.rmr_count, remittance.payment_sum_minor, None, amount
    )
    out.controls.append(control)
    if not control.agrees:
        out.warnings.append(
            f"line {pending.number}: the entry is {Money(amount, CURRENCY).format()} but its RMR lines and "
            f"adjustments sum to {Money(remittance.payment_sum_minor, CURRENCY).format()}"
        )
