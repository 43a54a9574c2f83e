"""BAI2 (Cash Management Balance Reporting Specification, version 2) -> ParsedFile.

The PyPI `bai2` library reads the record structure, the fields, the funds types and the type
codes. It sits behind an adapter: engine.ingest.bai2_records first turns the bytes into clean
logical records (several records on a line, missing "/" terminators, wrapped text, 88
continuations, missing trailers), and this module hands those to the library's parser, then turns
its model into entries. The library's own integrity checks are off: a control-total mismatch is a
warning here (a ControlTotal beside what was counted), never a refusal.

The older fixed-width "BAI lockbox" transmission (records 1, 2, 5, 6, 4, 7, 8, 9) is another
format the library does not read; engine.ingest.bai_lockbox reads it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bai2.constants import FundsType, RecordCode, TypeCodes, TypeCodeTransaction
from bai2.exceptions import IntegrityException, NotSupportedYetException, ParsingException
from bai2.helpers import IteratorHelper
from bai2.models import Record
from bai2.parsers import Bai2FileParser

from engine.errors import InvalidArgument
from engine.ingest import bai2_records, bai2_text, bai_lockbox
from engine.ingest.bai2_records import RawRecord
from engine.ingest.records import (
    ControlTotal,
    Entry,
    EntryKind,
    IngestError,
    ParsedFile,
    Skipped,
    end_to_end,
    entry_identity,
)
from engine.ingest.text_amounts import implied_decimals
from engine.money import currency_exponent

FORMAT = "bai2"
DEFAULT_CURRENCY = "USD"  # the specification's default when 02 and 03 give none

# Debit type codes that take back money we received (the library's table: 552 Credit Reversal,
# 555 Deposited Item Returned, 557 Individual ACH Return Item, 558 ACH Reversal Debit, 566 Return
# Item, 694 Deposit Reversal): a RETURN of the payment the customer reference names.
RETURN_CODES = frozenset({"552", "555", "557", "558", "566", "694"})
# Credit type codes that bring back money WE sent (the library's table: 123 EDIBANX Credit
# Return, 252 Debit Reversal, 255 Check Posted and Returned, 257 Individual ACH Return Item, 258
# ACH Reversal Credit, 261 Individual Rejected Credit, 266 Return Item, 268 Return Item
# Adjustment, 395 Check Reversal): credits, but no customer paid anything.
OWN_MONEY_BACK_CODES = frozenset({"123", "252", "255", "257", "258", "261", "266", "268", "395"})
LOCKBOX_DEPOSIT = "115"  # "Lockbox Deposit": the deposit; 116 "Item in Lockbox Deposit" its items
LOCKBOX_ITEM = "116"
# Stand-ins the library accepts for a type code missing from its table (the specification lets
# banks define their own): the specification's ranges say credit or debit.
_STAND_IN = {"credit": "399", "debit": "699", "other": "890"}
_LIBRARY_ERRORS = (ParsingException, NotSupportedYetException, IntegrityException, ValueError, IndexError)


def parse(data: bytes) -> ParsedFile:
    """Read a whole BAI2 file; IngestError naming the line when it cannot be read."""
    text = bai2_records.decode(data)
    if bai_lockbox.looks_like(text):
        return bai_lockbox.parse_text(text)
    parsed = ParsedFile(format=FORMAT)
    records = bai2_records.raw_records(text)
    if not records:
        raise IngestError("line 1", "the file has no BAI2 records", "EMPTY_FILE")
    if records[0].code != "01":
        raise IngestError(
            records[0].location, f"a BAI2 file starts with an 01 file header, not {records[0].code}"
        )
    records = bai2_records.close_sections(records, parsed.warnings)
    stand_ins: dict[int, str] = {}
    for record in records:
        _prepare(record, stand_ins, parsed.warnings)
    model = _library_parse(records)
    _Walker(parsed, records, stand_ins).file(model)
    return parsed


# -- the adapter: the pre-pass's records in, the library's model out ---------------------------


class _Cursor(IteratorHelper):  # type: ignore[misc]
    """The library's record cursor, over the pre-pass's records instead of raw lines; knows
    which record it stands on, so a library error names the line."""

    def __init__(self, records: list[RawRecord]) -> None:
        self._records = records
        self._index = -1
        self.raw = records[0]
        self.current_record: Record | None = None
        self.exhausted = False  # every record handed out and read
        self.advance()

    def advance(self) -> None:
        if self._index + 1 >= len(self._records):
            self.exhausted = True
            raise StopIteration
        self._index += 1
        self.raw = self._records[self._index]
        code = RecordCode(self.raw.code)
        self.current_record = Record(
            code=code, fields=self.raw.fields, rows=[(code, "")] * self.raw.physical_records
        )


def _library_parse(records: list[RawRecord]) -> Any:
    cursor = _Cursor(records)
    try:
        model = Bai2FileParser(cursor, check_integrity=False).parse()
    except _LIBRARY_ERRORS as exc:
        raise IngestError(cursor.raw.location, f"record {cursor.raw.code} cannot be read: {exc}") from None
    if not cursor.exhausted:  # the library stops at the first 99 and ignores what follows
        raise IngestError(cursor.raw.location, f"a {cursor.raw.code} record after the file trailer (99)")
    return model


def _availability_fields(fields: list[str], funds_at: int, location: str) -> int:
    """How many fields the funds type at `funds_at` adds (value date and time, distributions)."""
    funds = fields[funds_at].strip() if funds_at < len(fields) else ""
    if funds == "V":
        return 2
    if funds == "S":
        return 3
    if funds == "D":
        count = fields[funds_at + 1].strip() if funds_at + 1 < len(fields) else ""
        if not count.isdigit() or int(count) > 100:
            raise IngestError(location, f"funds type D needs a distribution count, not {count!r}")
        return 1 + 2 * int(count)
    return 0


def _prepare(record: RawRecord, stand_ins: dict[int, str], warnings: list[str]) -> None:
    """Check what the library would misread or refuse, and shape the fields it reads: exact
    amounts, known type codes (stand-ins for codes its table lacks), and a 16's text as one
    field with its 88 continuations on lines of their own."""
    if record.code == "16":
        _prepare_detail(record, stand_ins, warnings)
    elif record.code == "03":
        _prepare_summaries(record, warnings)
    elif record.code in ("49", "98", "99") and not record.synthesized:
        implied_decimals(record.fields[0], f"{record.location} (control total)", signed=True)


def _prepare_detail(record: RawRecord, stand_ins: dict[int, str], warnings: list[str]) -> None:
    fields = record.fields
    while len(fields) < 3:
        fields.append("")
    code = fields[0].strip()
    stand_in = _type_code(code, record.location, warnings)
    if stand_in != code:
        stand_ins[record.line] = code
        fields[0] = stand_in
    if fields[1].strip():
        implied_decimals(fields[1], f"{record.location} (amount)")
    head = 3 + _availability_fields(fields, 2, record.location) + 2
    fields.extend([""] * max(0, head - len(fields)))
    text = ",".join(fields[head:])
    record.fields[:] = [*fields[:head], "\n".join([text, *record.text_lines])]


def _prepare_summaries(record: RawRecord, warnings: list[str]) -> None:
    fields, index = record.fields, 2
    while index < len(fields):
        if index == len(fields) - 1 and not fields[index].strip():
            break  # the trailing empty field some banks write
        code = fields[index].strip()
        if code:
            fields[index] = _type_code(code, record.location, warnings, summary=True)
        if index + 1 < len(fields) and fields[index + 1].strip():
            implied_decimals(fields[index + 1], f"{record.location} (summary {code} amount)", signed=True)
        index += 4 + _availability_fields(fields, index + 3, record.location)


def _type_code(code: str, location: str, warnings: list[str], *, summary: bool = False) -> str:
    """The code, or the library's stand-in for a well-formed code its table lacks (warned)."""
    if code in TypeCodes:
        return code
    if len(code) != 3 or not code.isdigit():
        raise IngestError(location, f"type code {code[:20]!r} is not a three-digit BAI2 type code")
    number = int(code)
    side = "credit" if 100 <= number <= 399 or 900 <= number <= 919 else "other"
    side = "debit" if 400 <= number <= 699 or 920 <= number <= 999 else side
    warnings.append(f"{location}: type code {code} is not in the BAI2 table; read as a {side} by its range")
    return _STAND_IN["other" if summary else side]


# -- the library's model -> entries, skipped items and control totals --------------------------


@dataclass(slots=True)
class _Context:
    currency: str
    exponent: int
    as_of: dt.date
    account: str


@dataclass(slots=True)
class _Walker:
    parsed: ParsedFile
    records: list[RawRecord]
    stand_ins: dict[int, str]
    _by_code: dict[str, Iterator[RawRecord]] = field(default_factory=dict)
    _lockbox: list[Entry] = field(default_factory=list)  # the open lockbox deposit, if any

    def _next(self, code: str) -> RawRecord:
        if code not in self._by_code:
            self._by_code[code] = iter([r for r in self.records if r.code == code])
        return next(self._by_code[code])

    def file(self, model: Any) -> None:
        header = self._next("01")
        groups = [self.group(group) for group in model.children]
        trailer = self._next("99")
        self._control(
            trailer, "file", model.trailer.file_control_total, model.trailer.number_of_records, groups, header
        )
        if not trailer.synthesized and model.trailer.number_of_groups not in (None, len(groups)):
            self.parsed.warnings.append(
                f"{trailer.location}: the file trailer declares {model.trailer.number_of_groups} groups; "
                f"the file has {len(groups)}"
            )

    def group(self, group: Any) -> tuple[int, int]:
        header = self._next("02")
        as_of = group.header.as_of_date
        if as_of is None:
            raise IngestError(header.location, "the group header (02) has no as-of date")
        accounts = [self.account(account, group.header, as_of) for account in group.children]
        trailer = self._next("98")
        scope = f"group {group.header.originator_id or ''} ({header.location})".replace("  ", " ")
        self._control(
            trailer,
            scope,
            group.trailer.group_control_total,
            group.trailer.number_of_records,
            accounts,
            header,
        )
        declared_accounts = group.trailer.number_of_accounts
        if not trailer.synthesized and declared_accounts not in (None, len(accounts)):
            self.parsed.warnings.append(
                f"{trailer.location}: the group trailer declares {declared_accounts} accounts; "
                f"the group has {len(accounts)}"
            )
        return self._counted(header, trailer, accounts)

    def account(self, account: Any, group_header: Any, as_of: dt.date) -> tuple[int, int]:
        header = self._next("03")
        currency = (account.header.currency or group_header.currency or DEFAULT_CURRENCY).strip().upper()
        try:
            exponent = currency_exponent(currency)
        except InvalidArgument:
            raise IngestError(header.location, f"unknown currency code {currency[:10]!r}") from None
        context = _Context(currency, exponent, as_of, (account.header.customer_account_number or "").strip())
        summed = sum(summary.amount or 0 for summary in account.header.summary_items)
        details: list[tuple[int, int]] = [(header.physical_records, summed)]
        for detail in account.children:
            record = self._next("16")
            self.detail(detail, record, context)
            details.append((record.physical_records, detail.amount or 0))
        self._close_lockbox()
        trailer = self._next("49")
        scope = f"account {context.account} ({header.location})"
        control = account.trailer.account_control_total
        self._control(trailer, scope, control, account.trailer.number_of_records, details, None)
        return (sum(count for count, _ in details) + trailer.physical_records, sum(s for _, s in details))

    def _counted(
        self, header: RawRecord, trailer: RawRecord, parts: list[tuple[int, int]]
    ) -> tuple[int, int]:
        count = header.physical_records + trailer.physical_records + sum(count for count, _ in parts)
        return count, sum(summed for _, summed in parts)

    def _control(
        self,
        trailer: RawRecord,
        scope: str,
        declared_sum: int | None,
        declared_count: int | None,
        parts: list[tuple[int, int]],
        header: RawRecord | None,
    ) -> None:
        """A ControlTotal for one trailer (records counted, amounts summed), a warning when the
        file's own numbers disagree; none for a trailer the file lacked."""
        if trailer.synthesized:
            return
        count = sum(c for c, _ in parts) + trailer.physical_records
        count += header.physical_records if header is not None else 0
        summed = sum(s for _, s in parts)
        control = ControlTotal(scope, count, summed, declared_count, declared_sum)
        self.parsed.controls.append(control)
        if not control.agrees:
            self.parsed.warnings.append(
                f"{trailer.location}: {scope} declares {declared_count} records and a control total of "
                f"{declared_sum}; the file has {count} records summing to {summed}"
            )

    # -- one 16 record -------------------------------------------------------------------------

    def detail(self, detail: Any, record: RawRecord, context: _Context) -> None:
        code = self.stand_ins.get(record.line, detail.type_code.code)
        described = f"type code {code} ({detail.type_code.description})"
        amount = detail.amount or 0
        if code != LOCKBOX_ITEM:
            self._close_lockbox()
        skip = self._skip_reason(detail, code, described, amount)
        if skip:
            self.parsed.skipped.append(Skipped(record.location, skip, amount, context.currency))
            return
        entry = self._entry(detail, record, context, code, amount)
        if code == LOCKBOX_DEPOSIT:
            self._lockbox = [entry]
            return
        if code == LOCKBOX_ITEM and self._lockbox:
            self._lockbox.append(entry)
            return
        self.parsed.entries.append(entry)

    def _skip_reason(self, detail: Any, code: str, described: str, amount: int) -> str:
        side = detail.type_code.transaction
        if side not in (TypeCodeTransaction.credit, TypeCodeTransaction.debit):
            return f"{described}: reports no money moved"
        if amount == 0:
            return "zero amount"
        if code in OWN_MONEY_BACK_CODES:
            return f"{described}: our own money coming back, not a customer payment"
        if side == TypeCodeTransaction.debit and code not in RETURN_CODES:
            return f"debit, {described}"
        return ""

    def _entry(self, detail: Any, record: RawRecord, context: _Context, code: str, amount: int) -> Entry:
        text = bai2_text.read_text((detail.text or "").split("\n"))
        customer_reference = (detail.customer_reference or "").strip()
        value_date = context.as_of
        if detail.funds_type == FundsType.value_dated and detail.availability.get("date"):
            value_date = detail.availability["date"]
        returning = code in RETURN_CODES
        name, account = bai2_text.party(
            text.first("BNF", "CRNM") if returning else text.first("ORG", "B/O", "BO1", "DBNM")
        )
        return Entry(
            kind=EntryKind.RETURN if returning else EntryKind.PAYMENT,
            currency=context.currency,
            amount_minor=amount,
            value_date=value_date,
            location=record.location,
            booking_date=context.as_of,
            account=context.account,
            payer_name=name,
            payer_account=account or text.first("DACT", "BO"),
            end_to_end_id=end_to_end(text.first("EREF") or ("" if returning else customer_reference)),
            bank_reference=(detail.bank_reference or "").strip(),
            remittance_text=text.remittance(),
            original_reference=(customer_reference or text.first("EREF")) if returning else "",
            return_reason=bai2_text.return_reason(text.text) if returning else "",
            type_code=code,
        )

    def _close_lockbox(self) -> None:
        """A lockbox deposit (115) followed by its items (116): the items are the payments, each
        carrying the deposit's identity as batch_id; a deposit without items is one payment."""
        if not self._lockbox:
            return
        deposit, items = self._lockbox[0], self._lockbox[1:]
        self._lockbox = []
        if not items:
            self.parsed.entries.append(deposit)
            return
        batch_id = entry_identity(deposit)
        for number, item in enumerate(items, start=1):
            reference = item.bank_reference or (
                f"{deposit.bank_reference}/{number}" if deposit.bank_reference else ""
            )
            # The items are available when their deposit is: its value date is theirs.
            self.parsed.entries.append(
                dataclasses.replace(
                    item, batch_id=batch_id, bank_reference=reference, value_date=deposit.value_date
                )
            )
        summed = sum(item.amount_minor for item in items)
        control = ControlTotal(
            f"lockbox deposit ({deposit.location})", len(items), summed, None, deposit.amount_minor
        )
        self.parsed.controls.append(control)
        self.parsed.skipped.append(
            Skipped(
                deposit.location,
                f"lockbox deposit itemized by its {len(items)} items",
                deposit.amount_minor,
                deposit.currency,
            )
        )
        if not control.agrees:
            self.parsed.warnings.append(
                f"{deposit.location}: the lockbox deposit of {deposit.amount_minor} "
                f"has items summing to {summed}"
            )
