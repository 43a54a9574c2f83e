"""Request building shared by Client and AsyncClient, so the two stay identical by construction.

Each function turns keyword arguments into one request message, filling in the idempotency key
(AIP-155 request_id) when the caller gives none. Nothing here does I/O.
"""

from __future__ import annotations

import datetime
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

from google.protobuf import field_mask_pb2

from cashapp_client._proto.cashapp.v1 import (
    customer_service_pb2 as customer_pb2,
)
from cashapp_client._proto.cashapp.v1 import (
    invoice_service_pb2 as invoice_pb2,
)
from cashapp_client._proto.cashapp.v1 import (
    payment_service_pb2 as payment_pb2,
)
from cashapp_client._proto.cashapp.v1 import (
    reconciliation_service_pb2 as reconciliation_pb2,
)
from cashapp_client._proto.cashapp.v1 import resources_pb2
from cashapp_client._proto.cashapp.v1 import (
    return_service_pb2 as return_pb2,
)

# Server limits (proto/cashapp/v1): list pages, batch sizes, allocations, AutoApply payment ids.
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
MAX_BATCH_INVOICES = 1000
MAX_BATCH_CUSTOMERS = 1000
MAX_IMPORT_CHUNK_PAYMENTS = 1000
MAX_ALLOCATIONS = 100
MAX_AUTO_APPLY_PAYMENT_IDS = 1000

# Chunks sent on one ImportPayments stream. A stream is the unit the client retries, so its
# chunks are held in memory: this bounds that memory (and the work redone by a retry).
IMPORT_CHUNKS_PER_STREAM = 10

DateLike = str | datetime.date


def request_id_or_new(request_id: str | None) -> str:
    """The caller's idempotency key, or a fresh uuid4 that every retry of the call reuses."""
    return request_id if request_id else str(uuid.uuid4())


def chunk_request_id(base_request_id: str, chunk_index: int) -> str:
    """A deterministic per-chunk key, so a retried import re-sends each chunk under its own id."""
    try:
        namespace = uuid.UUID(base_request_id)
    except ValueError:
        namespace = uuid.uuid5(uuid.NAMESPACE_OID, base_request_id)
    return str(uuid.uuid5(namespace, f"chunk-{chunk_index}"))


def date_text(value: DateLike | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        raise TypeError("dates are calendar dates: pass a datetime.date or 'YYYY-MM-DD', not a datetime")
    return value.isoformat() if isinstance(value, datetime.date) else value


def check_page_size(page_size: int) -> int:
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be within 1..{MAX_PAGE_SIZE}, got {page_size}")
    return page_size


# Customers -------------------------------------------------------------------------------------


def create_customer(
    customer_id: str,
    *,
    display_name: str,
    name_aliases: Iterable[str],
    payer_accounts: Iterable[str],
    payment_terms: resources_pb2.PaymentTerms | None,
    tolerance_minor: int | None,
    request_id: str | None,
    matching_tolerance_minor: int | None = None,
) -> customer_pb2.CreateCustomerRequest:
    """``tolerance_minor`` is the write-off tolerance override, ``matching_tolerance_minor`` the
    amount-search tolerance override; None leaves the tenant default."""
    customer = resources_pb2.Customer(
        customer_id=customer_id,
        display_name=display_name,
        name_aliases=list(name_aliases),
        payer_accounts=list(payer_accounts),
        payment_terms=payment_terms,
        tolerance_minor=tolerance_minor,
        matching_tolerance_minor=matching_tolerance_minor,
    )
    return customer_pb2.CreateCustomerRequest(
        customer_id=customer_id, customer=customer, request_id=request_id_or_new(request_id)
    )


def batch_create_customers(
    customers: Iterable[resources_pb2.Customer], *, request_id: str | None
) -> customer_pb2.BatchCreateCustomersRequest:
    requests = [
        customer_pb2.CreateCustomerRequest(customer_id=item.customer_id, customer=item) for item in customers
    ]
    if not 1 <= len(requests) <= MAX_BATCH_CUSTOMERS:
        # The batch is atomic on the server; splitting it here would silently break that promise.
        raise ValueError(
            f"batch_create_customers takes 1..{MAX_BATCH_CUSTOMERS} customers, got {len(requests)}"
        )
    return customer_pb2.BatchCreateCustomersRequest(
        requests=requests, request_id=request_id_or_new(request_id)
    )


def update_customer(
    customer_id: str,
    *,
    display_name: str | None,
    name_aliases: Iterable[str] | None,
    payer_accounts: Iterable[str] | None,
    payment_terms: resources_pb2.PaymentTerms | None,
    tolerance_minor: int | None,
    request_id: str | None,
    clear_tolerance: bool = False,
    matching_tolerance_minor: int | None = None,
    clear_matching_tolerance: bool = False,
) -> customer_pb2.UpdateCustomerRequest:
    """Only the fields given (not None) are named in the update mask and changed.

    ``clear_tolerance`` removes the customer's write-off tolerance override (the tenant default
    applies again): the mask names ``tolerance_minor`` and the message carries no value for it.
    ``clear_matching_tolerance`` does the same for ``matching_tolerance_minor``.
    """
    if clear_tolerance and tolerance_minor is not None:
        raise ValueError("give tolerance_minor or clear_tolerance, not both")
    if clear_matching_tolerance and matching_tolerance_minor is not None:
        raise ValueError("give matching_tolerance_minor or clear_matching_tolerance, not both")
    customer = resources_pb2.Customer(customer_id=customer_id)
    paths: list[str] = []
    if display_name is not None:
        customer.display_name = display_name
        paths.append("display_name")
    if name_aliases is not None:
        customer.name_aliases.extend(name_aliases)
        paths.append("name_aliases")
    if payer_accounts is not None:
        customer.payer_accounts.extend(payer_accounts)
        paths.append("payer_accounts")
    if payment_terms is not None:
        customer.payment_terms.CopyFrom(payment_terms)
        paths.append("payment_terms")
    if tolerance_minor is not None:
        customer.tolerance_minor = tolerance_minor
    if tolerance_minor is not None or clear_tolerance:
        paths.append("tolerance_minor")
    if matching_tolerance_minor is not None:
        customer.matching_tolerance_minor = matching_tolerance_minor
    if matching_tolerance_minor is not None or clear_matching_tolerance:
        paths.append("matching_tolerance_minor")
    if not paths:
        # An empty mask means "every mutable field" to the server: never send it by accident.
        raise ValueError("update_customer needs at least one field to change")
    return customer_pb2.UpdateCustomerRequest(
        customer=customer,
        update_mask=field_mask_pb2.FieldMask(paths=paths),
        request_id=request_id_or_new(request_id),
    )


# Invoices --------------------------------------------------------------------------------------


def invoice(
    invoice_id: str,
    *,
    customer_id: str,
    amount: resources_pb2.Money,
    issue_date: DateLike,
    due_date: DateLike | None,
    payment_terms: resources_pb2.PaymentTerms | None,
) -> resources_pb2.Invoice:
    return resources_pb2.Invoice(
        invoice_id=invoice_id,
        customer_id=customer_id,
        amount=amount,
        issue_date=date_text(issue_date),
        due_date=date_text(due_date),
        payment_terms=payment_terms,
    )


def create_invoice(
    invoice_message: resources_pb2.Invoice, *, request_id: str | None
) -> invoice_pb2.CreateInvoiceRequest:
    return invoice_pb2.CreateInvoiceRequest(
        invoice_id=invoice_message.invoice_id,
        invoice=invoice_message,
        request_id=request_id_or_new(request_id),
    )


def batch_create_invoices(
    invoices: Iterable[resources_pb2.Invoice], *, request_id: str | None
) -> invoice_pb2.BatchCreateInvoicesRequest:
    requests = [
        invoice_pb2.CreateInvoiceRequest(invoice_id=item.invoice_id, invoice=item) for item in invoices
    ]
    if not 1 <= len(requests) <= MAX_BATCH_INVOICES:
        # The batch is atomic on the server; splitting it here would silently break that promise.
        raise ValueError(f"batch_create_invoices takes 1..{MAX_BATCH_INVOICES} invoices, got {len(requests)}")
    return invoice_pb2.BatchCreateInvoicesRequest(requests=requests, request_id=request_id_or_new(request_id))


def list_invoices(
    *,
    customer_id: str | None,
    state: resources_pb2.InvoiceState.ValueType | None,
    due_before: DateLike | None,
    page_size: int,
) -> invoice_pb2.ListInvoicesRequest:
    return invoice_pb2.ListInvoicesRequest(
        page_size=check_page_size(page_size),
        customer_id=customer_id or "",
        state=state or resources_pb2.INVOICE_STATE_UNSPECIFIED,
        due_before=date_text(due_before),
    )


# Payments --------------------------------------------------------------------------------------


def create_payment(
    payment_id: str,
    *,
    amount: resources_pb2.Money,
    value_date: DateLike,
    customer_id: str,
    payer_account: str,
    payer_name: str,
    remittance_info: str,
    references: Iterable[str],
    request_id: str | None,
) -> payment_pb2.CreatePaymentRequest:
    payment = resources_pb2.Payment(
        payment_id=payment_id,
        amount=amount,
        value_date=date_text(value_date),
        customer_id=customer_id,
        payer_account=payer_account,
        payer_name=payer_name,
        remittance_info=remittance_info,
        references=list(references),
    )
    return payment_pb2.CreatePaymentRequest(
        payment_id=payment_id, payment=payment, request_id=request_id_or_new(request_id)
    )


def import_streams(
    payments: Iterable[resources_pb2.Payment], *, chunk_size: int, request_id: str | None
) -> Iterator[list[payment_pb2.ImportPaymentsRequest]]:
    """Groups payments lazily into chunks of <= chunk_size, and chunks into streams.

    Each chunk gets a request_id derived from the call's key and the chunk's position, so a
    retried stream re-sends identical chunks that the server answers from its stored results.
    """
    if not 1 <= chunk_size <= MAX_IMPORT_CHUNK_PAYMENTS:
        raise ValueError(f"chunk_size must be within 1..{MAX_IMPORT_CHUNK_PAYMENTS}")
    base_request_id = request_id_or_new(request_id)
    stream: list[payment_pb2.ImportPaymentsRequest] = []
    chunk: list[resources_pb2.Payment] = []
    chunk_index = 0

    def close_chunk() -> None:
        nonlocal chunk, chunk_index
        stream.append(
            payment_pb2.ImportPaymentsRequest(
                payments=chunk, request_id=chunk_request_id(base_request_id, chunk_index)
            )
        )
        chunk, chunk_index = [], chunk_index + 1

    for payment in payments:
        chunk.append(payment)
        if len(chunk) == chunk_size:
            close_chunk()
            if len(stream) == IMPORT_CHUNKS_PER_STREAM:
                yield stream
                stream = []
    if chunk:
        close_chunk()
    if stream:
        yield stream


def merge_import_responses(
    responses: Iterable[payment_pb2.ImportPaymentsResponse],
) -> payment_pb2.ImportPaymentsResponse:
    merged = payment_pb2.ImportPaymentsResponse()
    for response in responses:
        merged.results.extend(response.results)
        merged.created_count += response.created_count
        merged.existing_count += response.existing_count
        merged.failed_count += response.failed_count
        merged.omitted_result_count += response.omitted_result_count
    return merged


def list_payments(
    *,
    customer_id: str | None,
    state: resources_pb2.PaymentState.ValueType | None,
    value_date: str | None = None,
    page_size: int,
) -> payment_pb2.ListPaymentsRequest:
    return payment_pb2.ListPaymentsRequest(
        page_size=check_page_size(page_size),
        customer_id=customer_id or "",
        state=state or resources_pb2.PAYMENT_STATE_UNSPECIFIED,
        value_date=value_date or "",
    )


def apply_payment(
    payment_id: str,
    allocations: Sequence[resources_pb2.Allocation],
    *,
    request_id: str | None,
) -> payment_pb2.ApplyPaymentRequest:
    if not 1 <= len(allocations) <= MAX_ALLOCATIONS:
        raise ValueError(f"apply_payment takes 1..{MAX_ALLOCATIONS} allocations")
    return payment_pb2.ApplyPaymentRequest(
        payment_id=payment_id, allocations=allocations, request_id=request_id_or_new(request_id)
    )


def unapply_payment(
    payment_id: str, *, application_ids: Iterable[str], request_id: str | None
) -> payment_pb2.UnapplyPaymentRequest:
    return payment_pb2.UnapplyPaymentRequest(
        payment_id=payment_id,
        application_ids=list(application_ids),
        request_id=request_id_or_new(request_id),
    )


# Returns ---------------------------------------------------------------------------------------


def return_goods(
    return_id: str,
    *,
    invoice_id: str,
    amount: resources_pb2.Money,
    reason_code: str,
    request_id: str | None,
) -> return_pb2.ReturnGoodsRequest:
    return return_pb2.ReturnGoodsRequest(
        return_id=return_id,
        invoice_id=invoice_id,
        amount=amount,
        reason_code=reason_code,
        request_id=request_id_or_new(request_id),
    )


def return_payment(
    return_id: str, *, payment_id: str, reason_code: str, request_id: str | None
) -> return_pb2.ReturnPaymentRequest:
    return return_pb2.ReturnPaymentRequest(
        return_id=return_id,
        payment_id=payment_id,
        reason_code=reason_code,
        request_id=request_id_or_new(request_id),
    )


def list_returns(
    *, kind: resources_pb2.ReturnKind.ValueType | None, page_size: int
) -> return_pb2.ListReturnsRequest:
    return return_pb2.ListReturnsRequest(
        page_size=check_page_size(page_size), kind=kind or resources_pb2.RETURN_KIND_UNSPECIFIED
    )


# Reconciliation --------------------------------------------------------------------------------


def auto_apply(
    *,
    all_payments: bool,
    customer_id: str | None,
    payment_ids: Iterable[str] | None,
    request_id: str | None,
) -> reconciliation_pb2.AutoApplyRequest:
    """Exactly one scope: every unapplied payment, one customer's, or the listed payments."""
    scopes = [all_payments, customer_id is not None, payment_ids is not None]
    if scopes.count(True) != 1:
        raise ValueError("auto_apply takes exactly one of all_payments=True, customer_id=, payment_ids=")
    request = reconciliation_pb2.AutoApplyRequest(request_id=request_id_or_new(request_id))
    if all_payments:
        request.all_payments = True
    elif customer_id is not None:
        request.customer_id = customer_id
    else:
        assert payment_ids is not None
        ids = list(payment_ids)
        if not 1 <= len(ids) <= MAX_AUTO_APPLY_PAYMENT_IDS:
            raise ValueError(f"auto_apply takes 1..{MAX_AUTO_APPLY_PAYMENT_IDS} payment_ids")
        request.payments.payment_ids.extend(ids)
    return request


def list_exceptions(
    *, state: resources_pb2.MatchExceptionState.ValueType | None, page_size: int, assignee: str = ""
) -> reconciliation_pb2.ListExceptionsRequest:
    return reconciliation_pb2.ListExceptionsRequest(
        page_size=check_page_size(page_size),
        state=state or resources_pb2.MATCH_EXCEPTION_STATE_UNSPECIFIED,
        assignee=assignee,
    )


def assign_exception(
    exception_id: str, assignee: str, *, request_id: str | None
) -> reconciliation_pb2.AssignExceptionRequest:
    return reconciliation_pb2.AssignExceptionRequest(
        exception_id=exception_id, assignee=assignee, request_id=request_id_or_new(request_id)
    )


def resolve_exception(
    exception_id: str,
    *,
    rank: int | None,
    allocations: Sequence[resources_pb2.Allocation] | None,
    request_id: str | None,
    on_account: bool = False,
) -> reconciliation_pb2.ResolveExceptionRequest:
    """Accept the suggestion of 1-based `rank`, apply explicit `allocations`, or put the
    payment's unapplied cash `on_account` of its customer: exactly one."""
    if [rank is not None, allocations is not None, on_account].count(True) != 1:
        raise ValueError("resolve_exception takes exactly one of rank=, allocations= or on_account=True")
    request = reconciliation_pb2.ResolveExceptionRequest(
        exception_id=exception_id, request_id=request_id_or_new(request_id)
    )
    if on_account:
        request.on_account = True
    elif rank is not None:
        if rank < 1:
            raise ValueError(f"rank is 1-based, got {rank}")
        request.accept_suggestion_rank = rank
    else:
        assert allocations is not None
        # CopyFrom (not extend) so the oneof is set even for an empty list: the server then
        # refuses it by name instead of seeing no resolution at all.
        request.allocations.CopyFrom(reconciliation_pb2.Allocations(allocations=allocations))
    return request


def list_decisions(*, payment_id: str | None, page_size: int) -> reconciliation_pb2.ListDecisionsRequest:
    return reconciliation_pb2.ListDecisionsRequest(
        page_size=check_page_size(page_size), payment_id=payment_id or ""
    )


def update_settings(
    *,
    write_off_tolerance_minor: int | None,
    matching_tolerance_minor: int | None,
    request_id: str | None,
) -> reconciliation_pb2.UpdateSettingsRequest:
    """Only the settings given (not None) are named in the update mask and changed."""
    settings = resources_pb2.Settings()
    paths: list[str] = []
    if write_off_tolerance_minor is not None:
        settings.write_off_tolerance_minor = write_off_tolerance_minor
        paths.append("write_off_tolerance_minor")
    if matching_tolerance_minor is not None:
        settings.matching_tolerance_minor = matching_tolerance_minor
        paths.append("matching_tolerance_minor")
    if not paths:
        # An empty mask means "the populated settings" to the server, and a setting to be made
        # zero is not populated: always name what changes.
        raise ValueError("update_settings needs at least one setting to change")
    return reconciliation_pb2.UpdateSettingsRequest(
        settings=settings,
        update_mask=field_mask_pb2.FieldMask(paths=paths),
        request_id=request_id_or_new(request_id),
    )


# Paging (AIP-158) ------------------------------------------------------------------------------


class PageRequest(Protocol):
    """A List request: the client sets the page token of every page it asks for."""

    page_token: str


class PageResponse(Protocol):
    """A List response: the token of the next page, empty after the last."""

    @property
    def next_page_token(self) -> str: ...


def next_page(page_token: str, next_page_token: str) -> str | None:
    """The token to ask for after the page of ``page_token``; None after the last page."""
    if not next_page_token:
        return None
    if next_page_token == page_token:
        raise RuntimeError("server returned the same page_token twice")
    return next_page_token


# ImportStatement sends the file in chunks of this size (the server takes at most 1 MiB each).
STATEMENT_CHUNK_BYTES = 1024 * 1024
# A statement upload's deadline grows with the file: the call's timeout plus one second per this
# many bytes (a slow link and a large file's parse both scale with its size).
STATEMENT_BYTES_PER_SECOND = 1024 * 1024

StatementSource = str | os.PathLike[str] | bytes


def statement_name_and_size(source: StatementSource, file_name: str | None) -> tuple[str, int]:
    """The name the server is told (the path's base name unless given) and the byte count."""
    if isinstance(source, bytes):
        return file_name or "", len(source)
    path = Path(source)
    return file_name if file_name is not None else path.name, path.stat().st_size


def statement_requests(
    source: StatementSource,
    *,
    file_name: str,
    format: str | None,
    auto_apply: bool,
    on_progress: Callable[[int], None] | None = None,
) -> Iterator[payment_pb2.ImportStatementRequest]:
    """The header, then the file in chunks, read lazily (a path is opened when iterated, so a
    retried call re-reads it). `on_progress` gets the bytes sent so far after each chunk."""
    header = payment_pb2.StatementHeader(file_name=file_name, format=format or "", auto_apply=auto_apply)
    yield payment_pb2.ImportStatementRequest(header=header)
    sent = 0
    if isinstance(source, bytes):
        chunks: Iterator[bytes] = (
            source[i : i + STATEMENT_CHUNK_BYTES] for i in range(0, len(source), STATEMENT_CHUNK_BYTES)
        )
    else:
        chunks = _file_chunks(Path(source))
    for chunk in chunks:
        sent += len(chunk)
        yield payment_pb2.ImportStatementRequest(chunk=chunk)
        if on_progress is not None:
            on_progress(sent)


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(STATEMENT_CHUNK_BYTES):
            yield chunk
