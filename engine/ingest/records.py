"""What every bank-file reader yields: the same normalized records whatever the format.

A reader (engine/ingest/<format>.py) turns the bytes of one file into a `ParsedFile`, or raises
`IngestError` naming the line or element at fault; it never stores anything. The importer
(engine/ingest/importer.py) turns a ParsedFile into payments, returns and remittance advice in one
transaction, so a file is imported whole or not at all.

Amounts are integer minor units of the entry's currency, always positive: the direction is the
entry's kind. A reader never guesses a currency: a format without one (NACHA, most EDI 820) says
USD because the format is a US one, and a BAI2 file takes its own currency code or USD as the
specification says.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from dataclasses import dataclass, field

from engine.errors import InvalidArgument
from engine.model import Adjustment, RemittanceLine

__all__ = ["Adjustment", "RemittanceLine"]  # defined with the payment they belong to

# SEPA and camt say so when an end-to-end id was not given; it identifies nothing.
NOT_PROVIDED = "NOTPROVIDED"
# Payment ids are at most 128 characters (engine.validate); longer identities are hashed.
MAX_ID_LENGTH = 128


class EntryKind(enum.Enum):
    # Money received: becomes a payment (CASH against UNAPPLIED_CASH).
    PAYMENT = "PAYMENT"
    # Money of an earlier payment going back (camt RvslInd, a NACHA return, a BAI2 return code):
    # becomes a payment return of the payment named by original_entry_id / original_reference.
    RETURN = "RETURN"
    # Remittance without money (EDI 820, a camt.054 itemizing a booked batch): adds its lines to
    # the payment it names by bank_reference / end_to_end_id / batch_id and re-triggers its decision.
    ADVICE = "ADVICE"


@dataclass(frozen=True, slots=True)
class Entry:
    """One booked movement of money (or one advice) as the file reports it."""

    kind: EntryKind
    currency: str  # ISO 4217, upper case
    amount_minor: int  # > 0
    value_date: dt.date
    # Where in the file: "line 42", "Stmt[1]/Ntry[3]/NtryDtls/TxDtls[2]". Used in every message.
    location: str
    booking_date: dt.date | None = None
    # The statement's own account (the receiving one: IBAN, BAI2 account number, ...): scopes the
    # bank's references, which are unique per account only.
    account: str = ""
    payer_name: str = ""
    payer_account: str = ""  # IBAN or account number of the payer, as given
    end_to_end_id: str = ""  # "" when absent or NOTPROVIDED
    # The bank's own reference of the movement: camt AcctSvcrRef, BAI2 bank reference, MT940 //
    # reference, the ACH trace number, the EDI 820 TRN02 reassociation trace.
    bank_reference: str = ""
    remittance_text: str = ""  # unstructured remittance (Ustrd, :86: text, 88 continuations)
    remittance: tuple[RemittanceLine, ...] = ()
    # For transactions of a batch entry: the identity of the batch entry (see entry_identity), so
    # a camt.054 itemizing a camt.053 batch finds the payment that batch became.
    batch_id: str = ""
    # For RETURN: what the file says of the payment going back.
    original_reference: str = ""  # the returned entry's bank reference / trace / end-to-end id
    return_reason: str = ""  # e.g. "R01", "AC04"
    # Format-specific detail worth keeping for a person (BAI2 type code, MT940 GVC, ...).
    type_code: str = ""

    @property
    def identity(self) -> str:
        """The entry's stable id: the same movement in an intraday and an end-of-day statement
        (or in a file sent twice) has the same identity, and it becomes the payment's id."""
        return entry_identity(self)


@dataclass(frozen=True, slots=True)
class Skipped:
    """An entry a reader saw and did not turn into an Entry, and why (reported, not imported)."""

    location: str
    reason: str  # e.g. "status PDNG: not booked", "debit", "zero amount"
    amount_minor: int = 0
    currency: str = ""


@dataclass(frozen=True, slots=True)
class ControlTotal:
    """A count and sum the file declares for a part of itself, beside what the reader counted."""

    scope: str  # "file", "group 1", "account 123456", "batch 2"
    counted: int
    summed_minor: int
    declared_count: int | None = None
    declared_sum_minor: int | None = None

    @property
    def agrees(self) -> bool:
        return (self.declared_count is None or self.declared_count == self.counted) and (
            self.declared_sum_minor is None or self.declared_sum_minor == self.summed_minor
        )


@dataclass(slots=True)
class ParsedFile:
    """What one file holds, in file order."""

    format: str  # one of engine.ingest.formats.FORMATS
    entries: list[Entry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # Things a person should know that do not stop the import: control-total mismatches, missing
    # trailers the format tolerates, an unknown BAI2 type code.
    warnings: list[str] = field(default_factory=list)
    controls: list[ControlTotal] = field(default_factory=list)


class IngestError(InvalidArgument):
    """The file cannot be read as its format: nothing of it is imported.

    `location` names the line ("line 17") or element ("Stmt[1]/Ntry[4]/Amt") at fault; the
    message always starts with it.
    """

    def __init__(self, location: str, message: str, reason: str = "MALFORMED_FILE") -> None:
        super().__init__(reason, f"{location}: {message}" if location else message, "file")
        self.location = location


def entry_identity(entry: Entry) -> str:
    """The account-scoped bank reference when there is one; else the end-to-end id with the
    amount and date; else a digest of what the entry says (never of where it stands in the file,
    which differs between an intraday and an end-of-day statement); a return or an advice has its
    kind added. Hashed when longer than a payment id. Readers give each transaction of a batch a
    reference of its own (its own AcctSvcrRef, or the entry's with "/<n>" added) so that
    transactions never share one."""
    scope = entry.account or "-"
    if entry.bank_reference:
        raw = f"{scope}/{entry.bank_reference}"
    elif entry.end_to_end_id:
        raw = f"{scope}/e2e/{entry.end_to_end_id}/{entry.amount_minor}/{entry.value_date.isoformat()}"
    else:
        content = "\x1f".join(
            [
                entry.kind.value,
                entry.currency,
                str(entry.amount_minor),
                entry.value_date.isoformat(),
                entry.payer_account,
                entry.payer_name,
                entry.remittance_text,
            ]
        )
        raw = f"{scope}/h/{hashlib.sha256(content.encode()).hexdigest()[:32]}"
    if entry.kind is not EntryKind.PAYMENT:
        # A payment and its same-day reversal (or the advice naming it) may share every reference.
        raw += f"/{entry.kind.value.lower()}"
    if len(raw) <= MAX_ID_LENGTH and raw.isascii() and raw.isprintable() and raw == raw.strip():
        return raw
    return f"{scope[:40]}/h/{hashlib.sha256(raw.encode()).hexdigest()[:40]}"


def file_identities(entries: list[Entry]) -> list[str]:
    """Each entry's identity, with "#2", "#3" ... added to repeats inside one file: two identical
    transfers on one day without any bank reference are two payments, and the same file (or the
    end-of-day statement repeating an intraday one) numbers them the same way again."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for entry in entries:
        identity = entry.identity
        seen[identity] = seen.get(identity, 0) + 1
        out.append(identity if seen[identity] == 1 else f"{identity[: MAX_ID_LENGTH - 8]}#{seen[identity]}")
    return out


def end_to_end(value: str) -> str:
    """The end-to-end id, or "" when the file says it was not provided."""
    value = value.strip()
    return "" if value.upper() == NOT_PROVIDED else value
