"""Import one bank file: every entry of it in one transaction, or nothing.

The server reads the file, `read_file` parses it outside any transaction (a reader may take
seconds on a large file, and SQLite would hold its write lock meanwhile), and `import_parsed`
writes it inside one. Idempotent twice over: by the file's SHA-256 (a file sent again is answered
from statement_files and changes nothing) and by entry identity (records.file_identities: the
same movement in an intraday and an end-of-day statement is one payment).

Credits become payments through the one payment-creation path (engine.payments.import_payments:
ledger, decision marks and reference keys as for any payment). Structured remittance references
go into Payment.references before anything else and free text into remittance_info, so the
pipeline's reference rules see them. Returns and advice are linked by engine.ingest.linking.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
from dataclasses import dataclass, field

from opentelemetry import trace

from engine import model as m
from engine import payments
from engine import validate as v
from engine.errors import DomainError, FailedPrecondition, InvalidArgument
from engine.ingest import formats, linking
from engine.ingest.records import Entry, EntryKind, IngestError, ParsedFile, file_identities
from engine.ingest.summary import CONFLICT, SKIPPED, EntryResult, ImportSummary, from_json, to_json
from engine.money import Money, check_amount, currency_exponent
from engine.storage.db import sqlite_page_cache
from engine.storage.statement_store import StatementFile
from engine.storage.store import Store, now_us
from engine.telemetry import tracer

log = logging.getLogger(__name__)

# Payments looked up per query and created per import_payments chunk.
CHUNK = payments.MAX_IMPORT_CHUNK
MAX_FILE_NAME_CHARS = 512
MAX_PAYER_ACCOUNT_CHARS = 64
# A file is imported in one transaction, several pages written per entry: with SQLite's default
# 2 MiB page cache a 100,000-entry import spent ~a quarter of its insert time spilling and reading
# back its own dirty pages (bench/RESULTS.md, Import). Per importing connection, while it imports.
IMPORT_PAGE_CACHE_KIB = 64 * 1024
# Entry's field names, read once: dataclasses.fields walks the class on every call, and every
# entry of a file is checked.
_ENTRY_FIELDS = tuple(f.name for f in dataclasses.fields(Entry))
_LINK_FIELDS = ("bank_reference", "end_to_end_id", "batch_id", "original_reference")


@dataclass(frozen=True)  # no slots: sha256 is cached in the instance's __dict__
class Upload:
    """A file as received: its bytes and what the caller said of it."""

    data: bytes
    file_name: str = ""
    format_name: str = ""  # "" detects the format

    @functools.cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(slots=True)
class Imported:
    """The summary, and the payments the import created or whose remittance grew (what
    AutoApply should look at next); empty when the file had been imported before."""

    summary: ImportSummary
    changed_payment_ids: list[str] = field(default_factory=list)


def check_header(file_name: str, format_name: str) -> None:
    """The header's fields, checked before any byte is read."""
    v.text(file_name, "header.file_name", MAX_FILE_NAME_CHARS)
    if format_name and format_name not in formats.FORMATS:
        raise InvalidArgument(
            "UNKNOWN_FORMAT",
            f"unknown format {format_name!r}; one of {', '.join(formats.FORMATS)}",
            "header.format",
        )


def check_size(byte_count: int, max_bytes: int) -> None:
    if byte_count > max_bytes:
        raise InvalidArgument(
            "FILE_TOO_LARGE",
            f"the file exceeds the limit of {max_bytes} bytes (CASHAPP_MAX_STATEMENT_BYTES)",
            "file",
        )


def imported_before(store: Store, upload: Upload) -> ImportSummary | None:
    """The stored summary of this exact file, marked already_imported; None when it is new."""
    stored = store.statement_file(upload.sha256)
    if stored is None:
        return None
    summary = from_json(stored.summary_json)
    summary.already_imported = True
    return summary


def payments_of(store: Store, parsed: ParsedFile) -> list[str]:
    """The stored payments a file imported before created or completed: its credits that exist
    and the payments its advice was linked to. What AutoApply looks at when the same file is sent
    again with auto_apply (the first call may have been cut off between import and AutoApply)."""
    identities = file_identities(parsed.entries)
    credits = [i for i, e in zip(identities, parsed.entries, strict=True) if e.kind is EntryKind.PAYMENT]
    advice = [i for i, e in zip(identities, parsed.entries, strict=True) if e.kind is EntryKind.ADVICE]
    found: list[str] = []
    for start in range(0, len(credits), CHUNK):
        found += store.get_payments(credits[start : start + CHUNK], with_applications=False)
    return list(dict.fromkeys([*found, *store.advice_payment_ids(advice)]))


@tracer.start_as_current_span("ingest.parse")
def read_file(upload: Upload) -> ParsedFile:
    """The file parsed as its format (named or detected); IngestError when it cannot be read.
    A reader is held to raising IngestError only; anything else it raises on bad bytes is still
    the file's fault, reported the same way (and logged, since it is a reader bug)."""
    try:
        return formats.parse(upload.data, upload.format_name or None)
    except IngestError:
        raise
    except ModuleNotFoundError as exc:  # a format of the registry whose reader is not installed
        raise FailedPrecondition(
            "FORMAT_NOT_AVAILABLE", f"this server has no reader for the file's format ({exc.name})", "file"
        ) from exc
    except (ValueError, KeyError, IndexError, TypeError, UnicodeError, OverflowError) as exc:
        log.warning("reader failed on %s with %s", upload.file_name or upload.sha256, type(exc).__name__)
        raise IngestError("", f"the file cannot be read: {type(exc).__name__}: {exc}") from exc


@tracer.start_as_current_span("ingest.import")
def import_parsed(store: Store, upload: Upload, parsed: ParsedFile) -> Imported:
    """Writes a parsed file; run inside one transaction (CashApp.write). Any refusal raises and
    rolls everything back. Re-checks the file hash: a concurrent import of the same file that
    committed first is answered from its summary."""
    with sqlite_page_cache(store.conn, IMPORT_PAGE_CACHE_KIB):
        return _import_parsed(store, upload, parsed)


def _import_parsed(store: Store, upload: Upload, parsed: ParsedFile) -> Imported:
    again = imported_before(store, upload)
    if again is not None:
        return Imported(again)
    summary = ImportSummary(parsed.format, upload.sha256, upload.file_name, len(upload.data))
    for total in parsed.controls:
        summary.control(total)
    for warning in parsed.warnings:
        summary.warn(warning)
    identities = file_identities(parsed.entries)
    by_kind: dict[EntryKind, list[tuple[str, Entry]]] = {kind: [] for kind in EntryKind}
    for identity, entry in zip(identities, parsed.entries, strict=True):
        _check(entry)
        if entry.remittance:
            entry = dataclasses.replace(entry, remittance=_lines(entry, summary))
        by_kind[entry.kind].append((identity, entry))
    summary.counts.entries = len(parsed.entries)
    created, changed = _import_payments(store, by_kind[EntryKind.PAYMENT], summary)
    now = now_us()
    changed += [d.payment_id for d in created]
    changed += linking.link_held_advice(store, created, summary, now)
    linking.import_returns(store, by_kind[EntryKind.RETURN], summary, upload.sha256, now)
    changed += linking.import_advice(store, by_kind[EntryKind.ADVICE], summary, upload.sha256, now)
    for skipped in parsed.skipped:
        summary.counts.skipped += 1
        summary.exception(
            EntryResult(skipped.location, "", SKIPPED, skipped.reason, skipped.currency, skipped.amount_minor)
        )
    changed = list(dict.fromkeys(changed))
    store.mark_needs_decision(payment_ids=changed)
    _describe(summary)
    store.insert_statement_file(
        StatementFile(
            upload.sha256, parsed.format, upload.file_name, len(upload.data), to_json(summary), now
        ),
        entry_count=summary.counts.entries,
        created_count=summary.counts.created,
    )
    return Imported(summary, changed)


def _describe(summary: ImportSummary) -> None:
    """The ingest.import span: which file, its format and what became of its entries."""
    span = trace.get_current_span()
    span.set_attribute("cashapp.statement.sha256", summary.sha256)
    span.set_attribute("cashapp.statement.format", summary.format)
    for name, count in dataclasses.asdict(summary.counts).items():
        span.set_attribute(f"cashapp.statement.{name}", count)


def _import_payments(
    store: Store, items: list[tuple[str, Entry]], summary: ImportSummary
) -> tuple[list[payments.PaymentDraft], list[str]]:
    """Creates the new payments; an identity stored before is ALREADY_IMPORTED (its remittance
    completed when this rendition carries more), or a CONFLICT when amount or currency differ.
    Returns the drafts created and the ids whose remittance grew."""
    created: list[payments.PaymentDraft] = []
    changed: list[str] = []
    # Every id is looked up before the first insert: looked up chunk by chunk between the
    # inserts, PostgreSQL planned each look-up on the statistics of the empty table it started
    # from and scanned the rows this import had added so far (quadratic: 1.6 s per chunk at
    # 60,000 entries). What this import creates is kept here instead.
    stored: dict[str, m.Payment] = {}
    for start in range(0, len(items), CHUNK):
        chunk_ids = [identity for identity, _ in items[start : start + CHUNK]]
        stored.update(store.get_payments(chunk_ids, with_applications=False))
    for start in range(0, len(items), CHUNK):
        chunk = items[start : start + CHUNK]
        drafts = [(identity, entry, _draft(identity, entry, summary)) for identity, entry in chunk]
        fresh = [(identity, entry, d) for identity, entry, d in drafts if identity not in stored]
        for identity, entry, d in drafts:
            if identity in stored:
                changed += _again(store, stored[identity], entry, d, summary)
        if fresh:
            stored.update((p.payment_id, p) for p in _create(store, fresh))
            summary.counts.created += len(fresh)
            created += [d for _, _, d in fresh]
    return created, changed


def _create(store: Store, fresh: list[tuple[str, Entry, payments.PaymentDraft]]) -> list[m.Payment]:
    """The chunk's new payments in one set-based insert (their ids were looked up just before);
    a draft refused names its entry and refuses the file."""
    try:
        return payments.create_new(store, [d for _, _, d in fresh])
    except payments.IndexedError as refused:
        raise _at(fresh[refused.index][1], refused.error) from None


def _again(
    store: Store, stored: m.Payment, entry: Entry, draft: payments.PaymentDraft, summary: ImportSummary
) -> list[str]:
    """An entry whose identity is stored: the same payment seen again (nothing created)."""
    if (stored.currency, stored.amount_minor) != (draft.amount.currency, draft.amount.amount_minor):
        summary.counts.conflicts += 1
        summary.exception(
            EntryResult(
                entry.location,
                stored.payment_id,
                CONFLICT,
                f"payment {stored.payment_id!r} is stored with {stored.amount_minor} {stored.currency}; "
                "this entry has the same identity but a different amount or currency and was not imported",
                entry.currency,
                entry.amount_minor,
            )
        )
        return []
    summary.counts.already_imported += 1
    if linking.enrich(store, stored, draft.remittance_lines, draft.remittance_info):
        summary.counts.remittance_added += 1
        return [stored.payment_id]
    return []


def _check(entry: Entry) -> None:
    """What every entry must hold to be stored, whatever its kind (an error names the entry):
    a known currency, an amount in range, link keys no longer than kept, no NUL in any text."""
    try:
        currency_exponent(entry.currency, "currency")
        check_amount(entry.amount_minor, "amount_minor")
        for name in _LINK_FIELDS:
            v.text(getattr(entry, name), name, payments.MAX_LINK_LENGTH)
        for name in _ENTRY_FIELDS:
            value = getattr(entry, name)
            if isinstance(value, str) and "\x00" in value:
                v.no_nul(value, name)
    except DomainError as error:
        raise _at(entry, error) from None


def _draft(identity: str, entry: Entry, summary: ImportSummary) -> payments.PaymentDraft:
    """The payment an entry becomes (the entry was checked); informational text longer than a
    payment keeps is cut, with a warning."""
    references = linking.structured_references(entry.remittance)
    return payments.PaymentDraft(
        payment_id=identity,
        amount=Money(entry.amount_minor, entry.currency),
        value_date=entry.value_date.isoformat(),
        payer_account=_fit(entry.payer_account, MAX_PAYER_ACCOUNT_CHARS, entry, "payer_account", summary),
        payer_name=_fit(entry.payer_name, v.MAX_NAME_LENGTH, entry, "payer_name", summary),
        remittance_info=_fit(entry.remittance_text, v.MAX_TEXT_LENGTH, entry, "remittance_text", summary),
        references=references,
        field="entry",
        remittance_lines=entry.remittance,
        bank_reference=entry.bank_reference,
        end_to_end_id=entry.end_to_end_id,
    )


def _lines(entry: Entry, summary: ImportSummary) -> tuple[m.RemittanceLine, ...]:
    """An entry's structured remittance as a payment keeps it: a reference, reason or text
    longer than kept is cut and too many lines or adjustments are dropped (each with a warning);
    what remains is checked like any payment's (an amount out of range refuses the file)."""
    lines = entry.remittance
    if len(lines) > v.MAX_REMITTANCE_LINES:
        summary.warn(
            f"{entry.location}: {len(lines)} remittance lines, the first {v.MAX_REMITTANCE_LINES} kept"
        )
        lines = lines[: v.MAX_REMITTANCE_LINES]
    fitted = []
    for i, line in enumerate(lines):
        at = f"remittance[{i}]"
        if not line.reference.strip():
            summary.warn(f"{entry.location}: {at} names no document and was left out")
            continue
        adjustments = line.adjustments
        if len(adjustments) > v.MAX_ADJUSTMENTS_PER_LINE:
            summary.warn(f"{entry.location}: {at} has {len(adjustments)} adjustments, the first 20 kept")
            adjustments = adjustments[: v.MAX_ADJUSTMENTS_PER_LINE]
        adjustments = tuple(
            dataclasses.replace(
                a,
                reason_code=_fit(a.reason_code, 64, entry, f"{at}.reason_code", summary),
                text=_fit(a.text, v.MAX_NAME_LENGTH, entry, f"{at}.text", summary),
            )
            for a in adjustments
        )
        reference = _fit(line.reference.strip(), v.MAX_ID_LENGTH, entry, f"{at}.reference", summary)
        # Most lines need no change: kept as they are (a copy per line cost as much as its check).
        if reference != line.reference or adjustments != line.adjustments:
            line = dataclasses.replace(line, reference=reference, adjustments=adjustments)
        fitted.append(line)
    try:
        return v.remittance_lines(tuple(fitted), "remittance")
    except DomainError as error:
        raise _at(entry, error) from None


def _fit(value: str, limit: int, entry: Entry, name: str, summary: ImportSummary) -> str:
    if len(value) <= limit:
        return value
    summary.warn(f"{entry.location}: {name} cut to {limit} of its {len(value)} characters")
    return value[:limit]


def _at(entry: Entry, error: DomainError) -> InvalidArgument:
    """A refusal of one entry as a refusal of the file, naming where the entry stands."""
    detail = error.message
    if error.violations and error.violations[0].field not in detail:
        detail = f"{error.violations[0].field}: {detail}"
    return InvalidArgument(error.reason, f"{entry.location}: {detail}", "file")
