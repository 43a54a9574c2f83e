"""PaymentService.ImportStatement: the upload stream, the size limit while it streams, the
import (engine.ingest.importer), the optional AutoApply over what it changed, and the bounded
response. Kept apart from servicers.py: one concept, and the servicer only delegates here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc

from cashapp_client._proto.cashapp.v1 import payment_service_pb2 as ps
from engine import reconciliation
from engine.app import CashApp
from engine.errors import InvalidArgument
from engine.ingest import importer
from engine.ingest.records import IngestError
from engine.ingest.summary import AutoApplyCounts, ImportSummary
from server.convert import money_out
from server.rpc import Rpc

Context = grpc.aio.ServicerContext[Any, Any]
# One chunk of the upload carries at most this much (the client sends 1 MiB chunks).
MAX_CHUNK_BYTES = 1024 * 1024


async def import_statement(
    rpc: Rpc, requests: AsyncIterator[ps.ImportStatementRequest], context: Context, max_bytes: int
) -> ps.ImportStatementResponse:
    try:
        header = await _header(requests)
        importer.check_header(header.file_name, header.format)
        # Authenticated before a byte of the file is taken in.
        tenant = await rpc.authenticate(context)
        data = await _receive(requests, max_bytes)
        upload = importer.Upload(data, header.file_name, header.format)
        imported = await rpc.offload(lambda: _import(rpc.app, tenant, upload, auto_apply=header.auto_apply))
        if header.auto_apply and imported.changed_payment_ids:
            imported.summary.auto_apply = await rpc.offload(
                lambda: _auto_apply(rpc.app, tenant, imported.changed_payment_ids)
            )
    except Exception as exc:
        await rpc.abort(context, exc)
        raise  # unreachable: abort raises
    return response_of(imported.summary)


async def _header(requests: AsyncIterator[ps.ImportStatementRequest]) -> ps.StatementHeader:
    try:
        first = await anext(requests)
    except StopAsyncIteration:
        raise InvalidArgument(
            "MISSING_HEADER", "the stream is empty: send the header first", "header"
        ) from None
    if first.WhichOneof("part") != "header":
        raise InvalidArgument("MISSING_HEADER", "the first message must be the header", "header")
    return first.header


async def _receive(requests: AsyncIterator[ps.ImportStatementRequest], max_bytes: int) -> bytes:
    """The file's bytes, refused as soon as their total exceeds the limit."""
    received = bytearray()
    index = 0
    async for message in requests:
        index += 1
        if message.WhichOneof("part") != "chunk":
            raise InvalidArgument(
                "UNEXPECTED_HEADER", f"message {index}: only the first message is a header", "header"
            )
        if len(message.chunk) > MAX_CHUNK_BYTES:
            raise InvalidArgument(
                "CHUNK_TOO_LARGE", f"message {index}: a chunk holds at most {MAX_CHUNK_BYTES} bytes", "chunk"
            )
        received += message.chunk
        importer.check_size(len(received), max_bytes)
    if not received:
        raise IngestError("line 1", "the file is empty", "EMPTY_FILE")
    return bytes(received)


def _import(app: CashApp, tenant: str, upload: importer.Upload, *, auto_apply: bool) -> importer.Imported:
    """A file seen before is answered from a read (with auto_apply, AutoApply runs over its
    payments again: a retry of a call cut off after the import must still apply them; payments
    decided since store nothing new). A new file is parsed outside the transaction and written
    inside one."""
    before = app.read(tenant, lambda s: importer.imported_before(s, upload))
    if before is not None:
        if not auto_apply:
            return importer.Imported(before)
        again = importer.read_file(upload)
        return importer.Imported(before, app.read(tenant, lambda s: importer.payments_of(s, again)))
    parsed = importer.read_file(upload)
    return app.write(tenant, lambda s: importer.import_parsed(s, upload, parsed))


def _auto_apply(app: CashApp, tenant: str, payment_ids: list[str]) -> AutoApplyCounts:
    """AutoApply's own path (plan from a snapshot, commit with re-checks), over the imported
    payments in batches of what one AutoApply call takes."""
    counts = AutoApplyCounts()
    step = reconciliation.MAX_AUTO_APPLY_PAYMENTS
    for start in range(0, len(payment_ids), step):
        scope = reconciliation.Scope(payment_ids=tuple(payment_ids[start : start + step]))
        planned = app.read(tenant, lambda s, scope=scope: reconciliation.plan(s, scope))  # type: ignore[misc]
        committed = app.write(tenant, lambda s, planned=planned: reconciliation.commit(s, planned))  # type: ignore[misc]
        made = committed.decisions
        reconciliation.record_outcomes((d.outcome, d.reason) for d in made)
        counts.auto_applied += sum(d.outcome.value == "AUTO_APPLIED" for d in made)
        counts.suggested += sum(d.outcome.value == "SUGGESTED" for d in made)
        counts.unmatched += sum(d.outcome.value == "UNMATCHED" for d in made)
        counts.unchanged += len(committed.unchanged_payment_ids)
    return counts


def response_of(summary: ImportSummary) -> ps.ImportStatementResponse:
    c = summary.counts
    out = ps.ImportStatementResponse(
        format=summary.format,
        sha256=summary.sha256,
        already_imported=summary.already_imported,
        file_name=summary.file_name,
        byte_count=summary.byte_count,
        counts=ps.StatementCounts(
            entries=c.entries,
            created=c.created,
            already_imported=c.already_imported,
            returns=c.returns,
            unmatched_returns=c.unmatched_returns,
            advice_linked=c.advice_linked,
            advice_held=c.advice_held,
            skipped=c.skipped,
            remittance_added=c.remittance_added,
            conflicts=c.conflicts,
        ),
        warnings=summary.warnings,
        omitted_warning_count=summary.omitted_warnings,
        omitted_control_total_count=summary.omitted_controls,
        omitted_exception_count=summary.omitted_exceptions,
    )
    for total in summary.controls:
        out.control_totals.append(
            ps.StatementControlTotal(
                scope=total.scope,
                counted=total.counted,
                summed_minor=total.summed_minor,
                declared_count=total.declared_count,
                declared_sum_minor=total.declared_sum_minor,
                agrees=total.agrees,
            )
        )
    for result in summary.exceptions:
        item = ps.StatementEntryResult(
            location=result.location, entry_id=result.entry_id, result=result.result, message=result.message
        )
        if result.currency:
            item.amount.CopyFrom(money_out(result.amount_minor, result.currency))
        out.exceptions.append(item)
    if summary.auto_apply is not None:
        a = summary.auto_apply
        out.auto_apply.CopyFrom(
            ps.StatementAutoApply(
                auto_applied_count=a.auto_applied,
                suggested_count=a.suggested,
                unmatched_count=a.unmatched,
                unchanged_count=a.unchanged,
            )
        )
    return out
