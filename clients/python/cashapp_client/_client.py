"""The synchronous client: typed methods over the generated stubs, with deadlines and retries."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from types import TracebackType
from typing import Self, TypeVar

import grpc

from cashapp_client import _requests as build
from cashapp_client._alert_methods import AlertMethods
from cashapp_client._cases import CaseMethods, case_stub
from cashapp_client._channel import (
    CHANNEL_OPTIONS,
    DEFAULT_INITIAL_BACKOFF_SECONDS,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_TARGET,
    DEFAULT_TIMEOUT_SECONDS,
    auth_metadata,
)
from cashapp_client._dunning_methods import DunningMethods
from cashapp_client._errors import error_from_grpc, retry_delay_seconds, status_code
from cashapp_client._proto.cashapp.v1 import (
    alert_service_pb2_grpc,
    customer_service_pb2_grpc,
    dunning_service_pb2_grpc,
    invoice_service_pb2_grpc,
    payment_service_pb2_grpc,
    reconciliation_service_pb2_grpc,
    report_service_pb2_grpc,
    return_service_pb2_grpc,
)
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
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb
from cashapp_client._proto.cashapp.v1 import (
    return_service_pb2 as return_pb2,
)
from cashapp_client._report_methods import ReportMethods
from cashapp_client._requests import DEFAULT_PAGE_SIZE, MAX_IMPORT_CHUNK_PAYMENTS, DateLike
from cashapp_client._retry import RetryPolicy, remaining_seconds

_Request = TypeVar("_Request")
_Response = TypeVar("_Response")
_Item = TypeVar("_Item")
_PageRequest = TypeVar("_PageRequest", bound=build.PageRequest)
_PageResponse = TypeVar("_PageResponse", bound=build.PageResponse)


class Client(ReportMethods, AlertMethods, CaseMethods, DunningMethods):
    """A blocking client of the cashapp API.

    Every call has a deadline (``timeout_seconds``, per call or the client's default) and is
    retried on UNAVAILABLE only, with exponential backoff (never shorter than the RetryInfo delay
    the server sends with a database outage), at most ``max_attempts`` times within that
    deadline. Mutating calls carry a request_id (a fresh uuid4 unless you pass one), the
    same on every retry, so the server applies them at most once. Failures raise CashappError
    subclasses carrying the server's reason and field violations.

    The raw generated stubs are available as ``customer_service``, ``invoice_service``,
    ``payment_service``, ``return_service`` and ``reconciliation_service``.
    """

    def __init__(
        self,
        target: str = DEFAULT_TARGET,
        *,
        token: str | None = None,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        initial_backoff_seconds: float = DEFAULT_INITIAL_BACKOFF_SECONDS,
        channel: grpc.Channel | None = None,
        credentials: grpc.ChannelCredentials | None = None,
    ) -> None:
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be > 0")
        self._retry = RetryPolicy(max_attempts, initial_backoff_seconds)
        self._timeout_seconds = timeout_seconds
        self._metadata = auth_metadata(token)
        # A channel passed in belongs to the caller, who closes it.
        self._owns_channel = channel is None
        if channel is None:
            if credentials is None:
                channel = grpc.insecure_channel(target, options=CHANNEL_OPTIONS)
            else:
                channel = grpc.secure_channel(target, credentials, options=CHANNEL_OPTIONS)
        self.channel = channel
        self.customer_service = customer_service_pb2_grpc.CustomerServiceStub(channel)
        self.invoice_service = invoice_service_pb2_grpc.InvoiceServiceStub(channel)
        self.payment_service = payment_service_pb2_grpc.PaymentServiceStub(channel)
        self.return_service = return_service_pb2_grpc.ReturnServiceStub(channel)
        self.reconciliation_service = reconciliation_service_pb2_grpc.ReconciliationServiceStub(channel)
        self.alert_service = alert_service_pb2_grpc.AlertServiceStub(channel)
        self.report_service = report_service_pb2_grpc.ReportServiceStub(channel)
        self.case_service = case_stub(channel)
        self.dunning_service = dunning_service_pb2_grpc.DunningServiceStub(channel)

    def close(self) -> None:
        if self._owns_channel:
            self.channel.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # Call machinery ------------------------------------------------------------------------------

    def _timeout(self, timeout_seconds: float | None) -> float:
        if timeout_seconds is None:
            return self._timeout_seconds
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be > 0")
        return timeout_seconds

    def _with_retries(
        self, attempt: Callable[[float], _Response], timeout_seconds: float | None
    ) -> _Response:
        deadline = time.monotonic() + self._timeout(timeout_seconds)
        failed_attempts = 0
        while True:
            try:
                return attempt(remaining_seconds(deadline))
            except grpc.RpcError as error:
                failed_attempts += 1
                sleep = self._retry.next_sleep(
                    status_code(error), failed_attempts, deadline, retry_delay_seconds(error)
                )
                if sleep is None:
                    raise error_from_grpc(error) from error
            time.sleep(sleep)

    def _unary(
        self,
        method: grpc.UnaryUnaryMultiCallable[_Request, _Response],
        request: _Request,
        timeout_seconds: float | None,
    ) -> _Response:
        return self._with_retries(
            lambda timeout: method(request, timeout=timeout, metadata=self._metadata),
            timeout_seconds,
        )

    def _pages(
        self,
        method: grpc.UnaryUnaryMultiCallable[_PageRequest, _PageResponse],
        request: _PageRequest,
        items_of: Callable[[_PageResponse], Sequence[_Item]],
        timeout_seconds: float | None,
    ) -> Iterator[_Item]:
        """Every item of a List call, page after page (each page its own retried call)."""
        page_token: str | None = ""
        while page_token is not None:
            request.page_token = page_token
            response = self._unary(method, request, timeout_seconds)
            yield from items_of(response)
            page_token = build.next_page(page_token, response.next_page_token)

    # Customers -----------------------------------------------------------------------------------

    def create_customer(
        self,
        customer_id: str,
        *,
        display_name: str,
        name_aliases: Iterable[str] = (),
        payer_accounts: Iterable[str] = (),
        payment_terms: pb.PaymentTerms | None = None,
        tolerance_minor: int | None = None,
        request_id: str | None = None,
        timeout_seconds: float | None = None,
        matching_tolerance_minor: int | None = None,
    ) -> pb.Customer:
        """Creates a customer; the same id with identical content returns the existing one.

        ``tolerance_minor`` overrides the tenant's write-off tolerance (how short a payment may
        be and still settle); ``matching_tolerance_minor`` the amount-search tolerance. None
        leaves the tenant default."""
        request = build.create_customer(
            customer_id,
            display_name=display_name,
            name_aliases=name_aliases,
            payer_accounts=payer_accounts,
            payment_terms=payment_terms,
            tolerance_minor=tolerance_minor,
            request_id=request_id,
            matching_tolerance_minor=matching_tolerance_minor,
        )
        return self._unary(self.customer_service.CreateCustomer, request, timeout_seconds)

    def batch_create_customers(
        self,
        customers: Iterable[pb.Customer],
        *,
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> list[pb.Customer]:
        """Creates 1..1000 customers atomically (all or none); returns them in request order.
        Each follows create_customer's rules: identical content returns the stored customer."""
        request = build.batch_create_customers(customers, request_id=request_id)
        response = self._unary(self.customer_service.BatchCreateCustomers, request, timeout_seconds)
        return list(response.customers)

    def get_customer(self, customer_id: str, *, timeout_seconds: float | None = None) -> pb.Customer:
        request = customer_pb2.GetCustomerRequest(customer_id=customer_id)
        return self._unary(self.customer_service.GetCustomer, request, timeout_seconds)

    def list_customers(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, timeout_seconds: float | None = None
    ) -> Iterator[pb.Customer]:
        """Every customer, fetching pages of `page_size` lazily as you iterate."""
        request = customer_pb2.ListCustomersRequest(page_size=build.check_page_size(page_size))

        return self._pages(
            self.customer_service.ListCustomers, request, lambda response: response.customers, timeout_seconds
        )

    def update_customer(
        self,
        customer_id: str,
        *,
        display_name: str | None = None,
        name_aliases: Iterable[str] | None = None,
        payer_accounts: Iterable[str] | None = None,
        payment_terms: pb.PaymentTerms | None = None,
        tolerance_minor: int | None = None,
        clear_tolerance: bool = False,
        request_id: str | None = None,
        timeout_seconds: float | None = None,
        matching_tolerance_minor: int | None = None,
        clear_matching_tolerance: bool = False,
    ) -> pb.Customer:
        """Changes only the fields given (they form the update mask); the rest stay as they are.
        ``clear_tolerance=True`` removes the write-off tolerance override (the tenant default
        applies); ``clear_matching_tolerance=True`` removes the matching tolerance override."""
        request = build.update_customer(
            customer_id,
            display_name=display_name,
            name_aliases=name_aliases,
            payer_accounts=payer_accounts,
            payment_terms=payment_terms,
            tolerance_minor=tolerance_minor,
            request_id=request_id,
            clear_tolerance=clear_tolerance,
            matching_tolerance_minor=matching_tolerance_minor,
            clear_matching_tolerance=clear_matching_tolerance,
        )
        return self._unary(self.customer_service.UpdateCustomer, request, timeout_seconds)

    # Invoices ------------------------------------------------------------------------------------

    def create_invoice(
        self,
        invoice_id: str,
        *,
        customer_id: str,
        amount: pb.Money,
        issue_date: DateLike,
        due_date: DateLike | None = None,
        payment_terms: pb.PaymentTerms | None = None,
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> pb.Invoice:
        """Creates an invoice; due_date and payment_terms default to the customer's terms."""
        invoice = build.invoice(
            invoice_id,
            customer_id=customer_id,
            amount=amount,
            issue_date=issue_date,
            due_date=due_date,
            payment_terms=payment_terms,
        )
        request = build.create_invoice(invoice, request_id=request_id)
        return self._unary(self.invoice_service.CreateInvoice, request, timeout_seconds)

    def batch_create_invoices(
        self,
        invoices: Iterable[pb.Invoice],
        *,
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> list[pb.Invoice]:
        """Creates 1..1000 invoices atomically (all or none); returns them in request order."""
        request = build.batch_create_invoices(invoices, request_id=request_id)
        response = self._unary(self.invoice_service.BatchCreateInvoices, request, timeout_seconds)
        return list(response.invoices)

    def get_invoice(self, invoice_id: str, *, timeout_seconds: float | None = None) -> pb.Invoice:
        request = invoice_pb2.GetInvoiceRequest(invoice_id=invoice_id)
        return self._unary(self.invoice_service.GetInvoice, request, timeout_seconds)

    def list_invoices(
        self,
        *,
        customer_id: str | None = None,
        state: pb.InvoiceState.ValueType | None = None,
        due_before: DateLike | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        timeout_seconds: float | None = None,
    ) -> Iterator[pb.Invoice]:
        """Every invoice matching all the filters given, fetched page by page as you iterate."""
        request = build.list_invoices(
            customer_id=customer_id, state=state, due_before=due_before, page_size=page_size
        )

        return self._pages(
            self.invoice_service.ListInvoices, request, lambda response: response.invoices, timeout_seconds
        )

    def void_invoice(
        self,
        invoice_id: str,
        *,
        reason: str = "",
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> pb.Invoice:
        """Voids an invoice; refused (FailedPreconditionError) once money is applied to it."""
        request = invoice_pb2.VoidInvoiceRequest(
            invoice_id=invoice_id, reason=reason, request_id=build.request_id_or_new(request_id)
        )
        return self._unary(self.invoice_service.VoidInvoice, request, timeout_seconds)

    # Payments ------------------------------------------------------------------------------------

    def create_payment(
        self,
        payment_id: str,
        *,
        amount: pb.Money,
        value_date: DateLike,
        customer_id: str = "",
        payer_account: str = "",
        payer_name: str = "",
        remittance_info: str = "",
        references: Iterable[str] = (),
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> pb.Payment:
        """Records money the bank reports; payment_id is the bank reference."""
        request = build.create_payment(
            payment_id,
            amount=amount,
            value_date=value_date,
            customer_id=customer_id,
            payer_account=payer_account,
            payer_name=payer_name,
            remittance_info=remittance_info,
            references=references,
            request_id=request_id,
        )
        return self._unary(self.payment_service.CreatePayment, request, timeout_seconds)

    def import_payments(
        self,
        payments: Iterable[pb.Payment],
        *,
        chunk_size: int = MAX_IMPORT_CHUNK_PAYMENTS,
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> payment_pb2.ImportPaymentsResponse:
        """Bulk-imports payments (consumed lazily) in atomic chunks of <= chunk_size.

        Returns one response aggregating every chunk's per-payment results and counts.
        `timeout_seconds` applies per chunk. Each chunk's request_id derives from `request_id`
        and the chunk's position: after a failure, calling again with the same request_id and
        the same payments in the same order resumes safely (finished chunks are not redone).
        """
        responses: list[payment_pb2.ImportPaymentsResponse] = []
        for stream in build.import_streams(payments, chunk_size=chunk_size, request_id=request_id):

            def attempt(
                timeout: float, stream: Sequence[payment_pb2.ImportPaymentsRequest] = stream
            ) -> payment_pb2.ImportPaymentsResponse:
                return self.payment_service.ImportPayments(
                    iter(stream), timeout=timeout, metadata=self._metadata
                )

            timeout = self._timeout(timeout_seconds) * len(stream)
            responses.append(self._with_retries(attempt, timeout))
        return build.merge_import_responses(responses)

    def import_statement(
        self,
        source: build.StatementSource,
        *,
        format: str | None = None,
        auto_apply: bool = False,
        file_name: str | None = None,
        on_progress: Callable[[int], None] | None = None,
        timeout_seconds: float | None = None,
    ) -> payment_pb2.ImportStatementResponse:
        """Uploads one bank file (a path or its bytes) in 1 MiB chunks and imports it whole.

        `format` names it (camt.053, camt.054, bai2, mt940, mt942, edi820, nacha, csv); None
        lets the server detect it. With `auto_apply` the server runs AutoApply on what the file
        created or changed. Safe to retry: the server recognizes a file it imported by its
        SHA-256 and answers with `already_imported` set. The deadline is `timeout_seconds` (or
        the client's) plus one second per MiB. `on_progress` receives the bytes sent so far.
        """
        name, size = build.statement_name_and_size(source, file_name)

        def attempt(timeout: float) -> payment_pb2.ImportStatementResponse:
            requests = build.statement_requests(
                source, file_name=name, format=format, auto_apply=auto_apply, on_progress=on_progress
            )
            return self.payment_service.ImportStatement(requests, timeout=timeout, metadata=self._metadata)

        timeout = self._timeout(timeout_seconds) + size / build.STATEMENT_BYTES_PER_SECOND
        return self._with_retries(attempt, timeout)

    def get_payment(self, payment_id: str, *, timeout_seconds: float | None = None) -> pb.Payment:
        request = payment_pb2.GetPaymentRequest(payment_id=payment_id)
        return self._unary(self.payment_service.GetPayment, request, timeout_seconds)

    def get_payments(
        self, payment_ids: Sequence[str], *, timeout_seconds: float | None = None
    ) -> list[pb.Payment]:
        """Up to 1,000 payments in the order asked, in one call (NOT_FOUND names a missing id)."""
        request = payment_pb2.BatchGetPaymentsRequest(payment_ids=list(payment_ids))
        response = self._unary(self.payment_service.BatchGetPayments, request, timeout_seconds)
        return list(response.payments)

    def list_payments(
        self,
        *,
        customer_id: str | None = None,
        state: pb.PaymentState.ValueType | None = None,
        value_date: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        timeout_seconds: float | None = None,
    ) -> Iterator[pb.Payment]:
        """Every payment matching the filters (value_date: YYYY-MM-DD), fetched page by page as
        you iterate."""
        request = build.list_payments(
            customer_id=customer_id, state=state, value_date=value_date, page_size=page_size
        )

        return self._pages(
            self.payment_service.ListPayments, request, lambda response: response.payments, timeout_seconds
        )

    def apply_payment(
        self,
        payment_id: str,
        allocations: Sequence[pb.Allocation],
        *,
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> pb.Payment:
        """Applies the payment to invoices with 1..100 explicit allocations."""
        request = build.apply_payment(payment_id, allocations, request_id=request_id)
        return self._unary(self.payment_service.ApplyPayment, request, timeout_seconds)

    def unapply_payment(
        self,
        payment_id: str,
        *,
        application_ids: Iterable[str] = (),
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> pb.Payment:
        """Reverses the given applications, or every active one when none are given."""
        request = build.unapply_payment(payment_id, application_ids=application_ids, request_id=request_id)
        return self._unary(self.payment_service.UnapplyPayment, request, timeout_seconds)

    # Returns -------------------------------------------------------------------------------------

    def return_goods(
        self,
        return_id: str,
        *,
        invoice_id: str,
        amount: pb.Money,
        reason_code: str = "",
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> pb.Return:
        """Issues a credit memo against an invoice; any excess becomes on-account credit."""
        request = build.return_goods(
            return_id,
            invoice_id=invoice_id,
            amount=amount,
            reason_code=reason_code,
            request_id=request_id,
        )
        return self._unary(self.return_service.ReturnGoods, request, timeout_seconds)

    def return_payment(
        self,
        return_id: str,
        *,
        payment_id: str,
        reason_code: str = "",
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> pb.Return:
        """Returns a payment (NSF, chargeback): reverses its applications, re-opens invoices."""
        request = build.return_payment(
            return_id, payment_id=payment_id, reason_code=reason_code, request_id=request_id
        )
        return self._unary(self.return_service.ReturnPayment, request, timeout_seconds)

    def get_return(self, return_id: str, *, timeout_seconds: float | None = None) -> pb.Return:
        request = return_pb2.GetReturnRequest(return_id=return_id)
        return self._unary(self.return_service.GetReturn, request, timeout_seconds)

    def list_returns(
        self,
        *,
        kind: pb.ReturnKind.ValueType | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        timeout_seconds: float | None = None,
    ) -> Iterator[pb.Return]:
        request = build.list_returns(kind=kind, page_size=page_size)

        return self._pages(
            self.return_service.ListReturns, request, lambda response: response.returns, timeout_seconds
        )

    # Reconciliation ------------------------------------------------------------------------------

    def auto_apply(
        self,
        *,
        all_payments: bool = False,
        customer_id: str | None = None,
        payment_ids: Iterable[str] | None = None,
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> reconciliation_pb2.AutoApplyResponse:
        """Matches unapplied payments in exactly one scope: all, one customer's, or listed ids."""
        request = build.auto_apply(
            all_payments=all_payments,
            customer_id=customer_id,
            payment_ids=payment_ids,
            request_id=request_id,
        )
        return self._unary(self.reconciliation_service.AutoApply, request, timeout_seconds)

    def auto_apply_backlog(
        self,
        *,
        max_payments: int = 0,
        include_decisions: bool = False,
        timeout_seconds: float | None = None,
    ) -> Generator[reconciliation_pb2.AutoApplyProgress, None, None]:
        """AutoApply over the whole backlog as one operation: one progress message per committed
        round of up to 1,000 payments, the last with done set. No deadline unless
        `timeout_seconds` is given; closing the iterator cancels the call after the round in
        flight, and every committed round stays (calling again continues)."""
        request = reconciliation_pb2.AutoApplyBacklogRequest(
            max_payments=max_payments, include_decisions=include_decisions
        )
        stream = self.reconciliation_service.AutoApplyBacklog(
            request, timeout=timeout_seconds, metadata=self._metadata
        )
        try:
            yield from stream
        except grpc.RpcError as error:
            raise error_from_grpc(error) from error
        finally:
            stream.cancel()

    def list_exceptions(
        self,
        *,
        state: pb.MatchExceptionState.ValueType | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        assignee: str = "",
        timeout_seconds: float | None = None,
    ) -> Iterator[pb.MatchException]:
        """The exception queue; open exceptions unless `state` says otherwise, only one clerk's
        with `assignee`."""
        request = build.list_exceptions(state=state, page_size=page_size, assignee=assignee)

        return self._pages(
            self.reconciliation_service.ListExceptions,
            request,
            lambda response: response.exceptions,
            timeout_seconds,
        )

    def resolve_exception(
        self,
        exception_id: str,
        *,
        rank: int | None = None,
        allocations: Sequence[pb.Allocation] | None = None,
        request_id: str | None = None,
        timeout_seconds: float | None = None,
        on_account: bool = False,
    ) -> pb.MatchException:
        """Accepts the suggestion of 1-based `rank`, applies explicit `allocations`, or with
        ``on_account=True`` leaves the payment's unapplied cash as its customer's credit."""
        request = build.resolve_exception(
            exception_id, rank=rank, allocations=allocations, request_id=request_id, on_account=on_account
        )
        return self._unary(self.reconciliation_service.ResolveException, request, timeout_seconds)

    def assign_exception(
        self,
        exception_id: str,
        assignee: str,
        *,
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> pb.MatchException:
        """Gives an open exception to the clerk `assignee`, or back to the queue with ""."""
        request = build.assign_exception(exception_id, assignee, request_id=request_id)
        return self._unary(self.reconciliation_service.AssignException, request, timeout_seconds)

    def list_decisions(
        self,
        *,
        payment_id: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        timeout_seconds: float | None = None,
    ) -> Iterator[pb.Decision]:
        """Stored matching decisions with their explanations, newest first, optionally of one
        payment."""
        request = build.list_decisions(payment_id=payment_id, page_size=page_size)

        return self._pages(
            self.reconciliation_service.ListDecisions,
            request,
            lambda response: response.decisions,
            timeout_seconds,
        )

    def get_settings(self, *, timeout_seconds: float | None = None) -> pb.Settings:
        """The tenant's default write-off and matching tolerances."""
        request = reconciliation_pb2.GetSettingsRequest()
        return self._unary(self.reconciliation_service.GetSettings, request, timeout_seconds)

    def update_settings(
        self,
        *,
        write_off_tolerance_minor: int | None = None,
        matching_tolerance_minor: int | None = None,
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> pb.Settings:
        """Changes only the settings given; every unapplied payment then needs a new decision."""
        request = build.update_settings(
            write_off_tolerance_minor=write_off_tolerance_minor,
            matching_tolerance_minor=matching_tolerance_minor,
            request_id=request_id,
        )
        return self._unary(self.reconciliation_service.UpdateSettings, request, timeout_seconds)

    def get_reconciliation_report(self, *, timeout_seconds: float | None = None) -> pb.ReconciliationReport:
        """Balances per account and currency, and whether each ledger invariant holds."""
        request = reconciliation_pb2.GetReconciliationReportRequest()
        return self._unary(self.reconciliation_service.GetReconciliationReport, request, timeout_seconds)
