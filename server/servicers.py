"""The cashapp.v1 services (CaseService in server/case_service.py, re-exported here). Servicers only
translate: proto in, call the engine, proto out."""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import grpc

from cashapp_client._proto.cashapp.v1 import customer_service_pb2 as cs
from cashapp_client._proto.cashapp.v1 import customer_service_pb2_grpc as cs_grpc
from cashapp_client._proto.cashapp.v1 import invoice_service_pb2 as ivs
from cashapp_client._proto.cashapp.v1 import invoice_service_pb2_grpc as ivs_grpc
from cashapp_client._proto.cashapp.v1 import payment_service_pb2 as ps
from cashapp_client._proto.cashapp.v1 import payment_service_pb2_grpc as ps_grpc
from cashapp_client._proto.cashapp.v1 import reconciliation_service_pb2 as rs
from cashapp_client._proto.cashapp.v1 import reconciliation_service_pb2_grpc as rs_grpc
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb
from cashapp_client._proto.cashapp.v1 import return_service_pb2 as rts
from cashapp_client._proto.cashapp.v1 import return_service_pb2_grpc as rts_grpc
from engine import customers, decisions, invoices, payments, reconciliation, returns, settings
from engine import model as m
from engine import validate as v
from engine.app import Tenant
from engine.create_together import CreateCall
from engine.errors import InvalidArgument
from engine.invariants import reconciliation_report
from engine.storage.store import Store
from server import convert, metrics, rpc_telemetry, statement_rpc
from server.auth import authenticated
from server.backlog_rounds import (
    DecideProcesses,
    InFlight,
    Outcome,
    backlog_round,
    counts,
    currencies_of,
    new_holder,
    release,
)
from server.case_service import CaseService as CaseService  # re-exported: server.app registers it
from server.config import DEFAULT_MAX_STATEMENT_BYTES, MAX_MESSAGE_BYTES
from server.create_batcher import CreateBatcher
from server.rpc import Rpc, fingerprint

log = logging.getLogger(__name__)
# How long AutoApplyBacklog waits for the claims of calls running beside it, polling.
HELD_WAIT_SECONDS = 60.0
# Waits for claims held by other calls start short (a round commits in well under a second)
# and double up to a second, so a long wait costs few queries.
HELD_POLL_FIRST_SECONDS = 0.02
HELD_POLL_MAX_SECONDS = 1.0
# AutoApplyBacklog counts the backlog exactly at most this often (and whenever a round may end
# the call): the count reads every waiting payment, so counting after each 1,000-payment round
# cost a backlog of N payments N/1,000 counts of up to N rows, the one cost per payment that
# grew with the book (about 80 us a payment at 100,000, 800 at 1,000,000). And no more often
# than COUNT_COST_RATIO times the last count's own duration: at a million waiting payments one
# count takes about as long as a round, so a fixed interval still counted after every round;
# this way counting costs the call at most about 1/COUNT_COST_RATIO of its time at any size.
BACKLOG_COUNT_SECONDS = 1.0
COUNT_COST_RATIO = 20.0

Context = grpc.aio.ServicerContext[Any, Any]


class CustomerService(cs_grpc.CustomerServiceServicer):
    def __init__(self, rpc: Rpc) -> None:
        self.rpc = rpc

    async def CreateCustomer(self, request: cs.CreateCustomerRequest, context: Context) -> pb.Customer:
        return await self.rpc.mutate(
            context,
            request,
            pb.Customer,
            lambda s: customers.create_customer(
                s, convert.customer_in(request.customer_id, request.customer)
            ),
            convert.customer_out,
        )

    async def BatchCreateCustomers(
        self, request: cs.BatchCreateCustomersRequest, context: Context
    ) -> cs.BatchCreateCustomersResponse:
        def work(s: Store) -> list[m.Customer]:
            items = [convert.customer_in(r.customer_id, r.customer) for r in request.requests]
            return customers.create_customers(s, items, batch_field="requests")

        return await self.rpc.mutate(
            context,
            request,
            cs.BatchCreateCustomersResponse,
            work,
            lambda created: cs.BatchCreateCustomersResponse(
                customers=[convert.customer_out(c) for c in created]
            ),
        )

    async def GetCustomer(self, request: cs.GetCustomerRequest, context: Context) -> pb.Customer:
        found = await self.rpc.read(context, lambda s: customers.get_customer(s, request.customer_id))
        return convert.customer_out(found)

    async def ListCustomers(
        self, request: cs.ListCustomersRequest, context: Context
    ) -> cs.ListCustomersResponse:
        page = await self.rpc.read(context, lambda s: s.list_customers(request.page_size, request.page_token))
        return cs.ListCustomersResponse(
            customers=[convert.customer_out(c) for c in page.items], next_page_token=page.next_page_token
        )

    async def UpdateCustomer(self, request: cs.UpdateCustomerRequest, context: Context) -> pb.Customer:
        return await self.rpc.mutate(
            context,
            request,
            pb.Customer,
            lambda s: customers.update_customer(
                s,
                convert.customer_in(request.customer.customer_id, request.customer),
                convert.update_paths(request.update_mask, request.customer, customers.UPDATABLE_FIELDS),
            ),
            convert.customer_out,
        )


class InvoiceService(ivs_grpc.InvoiceServiceServicer):
    def __init__(self, rpc: Rpc) -> None:
        self.rpc = rpc

    async def CreateInvoice(self, request: ivs.CreateInvoiceRequest, context: Context) -> pb.Invoice:
        return await self.rpc.mutate(
            context,
            request,
            pb.Invoice,
            lambda s: invoices.create_invoices(s, [convert.invoice_in(request.invoice_id, request.invoice)])[
                0
            ],
            convert.invoice_out,
        )

    async def BatchCreateInvoices(
        self, request: ivs.BatchCreateInvoicesRequest, context: Context
    ) -> ivs.BatchCreateInvoicesResponse:
        def work(s: Store) -> list[m.Invoice]:
            drafts = [
                convert.invoice_in(r.invoice_id, r.invoice, f"requests[{i}].invoice")
                for i, r in enumerate(request.requests)
            ]
            return invoices.create_invoices(s, drafts, batch_field="requests")

        return await self.rpc.mutate(
            context,
            request,
            ivs.BatchCreateInvoicesResponse,
            work,
            lambda created: ivs.BatchCreateInvoicesResponse(
                invoices=[convert.invoice_out(i) for i in created]
            ),
        )

    async def GetInvoice(self, request: ivs.GetInvoiceRequest, context: Context) -> pb.Invoice:
        return convert.invoice_out(
            await self.rpc.read(context, lambda s: invoices.get_invoice(s, request.invoice_id))
        )

    async def ListInvoices(
        self, request: ivs.ListInvoicesRequest, context: Context
    ) -> ivs.ListInvoicesResponse:
        def work(s: Store) -> m.Page[m.Invoice]:
            due_before = v.require_date(request.due_before, "due_before") if request.due_before else None
            return s.list_invoices(
                request.page_size,
                request.page_token,
                customer_id=request.customer_id,
                state=convert.invoice_state_in(request.state),
                due_before=due_before,
            )

        page = await self.rpc.read(context, work)
        return ivs.ListInvoicesResponse(
            invoices=[convert.invoice_out(i) for i in page.items], next_page_token=page.next_page_token
        )

    async def VoidInvoice(self, request: ivs.VoidInvoiceRequest, context: Context) -> pb.Invoice:
        return await self.rpc.mutate(
            context,
            request,
            pb.Invoice,
            lambda s: invoices.void_invoice(s, request.invoice_id, request.reason),
            convert.invoice_out,
        )


# The per-payment results of one ImportPayments stream are listed while they fit in this many
# bytes (half the maximum message size: about 50,000 typical results); the rest are only
# counted, so that the response of a stream of any length reaches its caller.
MAX_IMPORT_RESULTS_BYTES = MAX_MESSAGE_BYTES // 2
# What one result echoes at most: an id longer than any valid one is cut, a message too.
MAX_RESULT_ID_CHARS = v.MAX_ID_LENGTH
MAX_RESULT_MESSAGE_CHARS = 512
_RESULT_FRAMING_BYTES = 4  # the tag and length prefix of one result within the response


def _import_response(results: list[payments.ImportResult]) -> ps.ImportPaymentsResponse:
    out = ps.ImportPaymentsResponse()
    for r in results:
        message = ""
        if r.error is not None:
            message = r.error.message
            if r.error.violations:
                message = f"{r.error.violations[0].field}: {message}"
        out.results.append(
            ps.ImportPaymentResult(
                payment_id=r.payment_id[:MAX_RESULT_ID_CHARS],
                result=r.result,
                error_reason=r.error.reason if r.error else "",
                error_message=message[:MAX_RESULT_MESSAGE_CHARS],
            )
        )
    out.created_count = sum(r.result == "CREATED" for r in results)
    out.existing_count = sum(r.result == "ALREADY_EXISTED" for r in results)
    out.failed_count = sum(r.result == "FAILED" for r in results)
    return out


def _add_results(total: ps.ImportPaymentsResponse, part: ps.ImportPaymentsResponse) -> None:
    """Adds a chunk's counts, and its results while the response stays within its budget."""
    total.created_count += part.created_count
    total.existing_count += part.existing_count
    total.failed_count += part.failed_count
    size = total.ByteSize()
    for i, result in enumerate(part.results):
        size += result.ByteSize() + _RESULT_FRAMING_BYTES
        if total.omitted_result_count or size > MAX_IMPORT_RESULTS_BYTES:
            total.omitted_result_count += len(part.results) - i
            return
        total.results.append(result)


class PaymentService(ps_grpc.PaymentServiceServicer):
    def __init__(self, rpc: Rpc, max_statement_bytes: int = DEFAULT_MAX_STATEMENT_BYTES) -> None:
        self.rpc = rpc
        self.max_statement_bytes = max_statement_bytes
        self.batcher = CreateBatcher(rpc.app, rpc.executor)

    async def ImportStatement(
        self, request_iterator: AsyncIterator[ps.ImportStatementRequest], context: Context
    ) -> ps.ImportStatementResponse:
        return await statement_rpc.import_statement(
            self.rpc, request_iterator, context, self.max_statement_bytes
        )

    async def CreatePayment(self, request: ps.CreatePaymentRequest, context: Context) -> pb.Payment:
        """Coalesced with concurrent creates into one transaction (server/create_batcher.py)."""
        auth = authenticated.get()
        if auth is None:  # not through the edge (it authenticates every cashapp.v1 call)
            return await self.rpc.mutate(
                context,
                request,
                pb.Payment,
                lambda s: payments.create_payment(s, convert.payment_in(request.payment_id, request.payment)),
                convert.payment_out,
            )
        call = CreateCall(
            auth.call,
            auth.who,
            auth.adopt,
            request.request_id,
            type(request).__name__,
            fingerprint(request),
            lambda: convert.payment_in(request.payment_id, request.payment),
            lambda p: convert.payment_out(p).SerializeToString(deterministic=True),
        )
        try:
            data = await self.batcher.create(call)
        except Exception as exc:
            await self.rpc.abort(context, exc)
            raise  # unreachable: abort raises
        finally:
            if auth.principal is not None:
                rpc_telemetry.note_tenant(auth.principal.tenant)
        return pb.Payment.FromString(data)

    async def ImportPayments(
        self, request_iterator: AsyncIterator[ps.ImportPaymentsRequest], context: Context
    ) -> ps.ImportPaymentsResponse:
        """Each message is one atomic chunk with its own request_id; results are aggregated."""
        total = ps.ImportPaymentsResponse()
        async for chunk in request_iterator:

            def work(s: Store, chunk: ps.ImportPaymentsRequest = chunk) -> list[payments.ImportResult]:
                return payments.import_payments(
                    s,
                    [
                        (
                            p.payment_id,
                            functools.partial(convert.payment_in, p.payment_id, p, f"payments[{i}]"),
                        )
                        for i, p in enumerate(chunk.payments)
                    ],
                )

            part = await self.rpc.mutate(context, chunk, ps.ImportPaymentsResponse, work, _import_response)
            metrics.record_import(r.result for r in part.results)
            _add_results(total, part)
        return total

    async def GetPayment(self, request: ps.GetPaymentRequest, context: Context) -> pb.Payment:
        return convert.payment_out(
            await self.rpc.read(context, lambda s: payments.get_payment(s, request.payment_id))
        )

    async def BatchGetPayments(
        self, request: ps.BatchGetPaymentsRequest, context: Context
    ) -> ps.BatchGetPaymentsResponse:
        ids = list(request.payment_ids)
        found = await self.rpc.read(context, lambda s: payments.get_payments_in_order(s, ids))
        return ps.BatchGetPaymentsResponse(payments=[convert.payment_out(p) for p in found])

    async def ListPayments(
        self, request: ps.ListPaymentsRequest, context: Context
    ) -> ps.ListPaymentsResponse:
        def work(s: Store) -> m.Page[m.Payment]:
            day = v.require_date(request.value_date, "value_date") if request.value_date else None
            return s.list_payments(
                request.page_size,
                request.page_token,
                customer_id=request.customer_id,
                state=convert.payment_state_in(request.state),
                value_date=day,
            )

        page = await self.rpc.read(context, work)
        return ps.ListPaymentsResponse(
            payments=[convert.payment_out(p) for p in page.items], next_page_token=page.next_page_token
        )

    async def ApplyPayment(self, request: ps.ApplyPaymentRequest, context: Context) -> pb.Payment:
        def work(s: Store) -> m.Payment:
            currency = payments.get_payment(s, request.payment_id).currency
            allocations = convert.allocations_in(request.allocations, currency, "allocations")
            return payments.apply_payment(s, request.payment_id, allocations)

        return await self.rpc.mutate(context, request, pb.Payment, work, convert.payment_out)

    async def UnapplyPayment(self, request: ps.UnapplyPaymentRequest, context: Context) -> pb.Payment:
        return await self.rpc.mutate(
            context,
            request,
            pb.Payment,
            lambda s: payments.unapply_payment(s, request.payment_id, list(request.application_ids)),
            convert.payment_out,
        )


class ReturnService(rts_grpc.ReturnServiceServicer):
    def __init__(self, rpc: Rpc) -> None:
        self.rpc = rpc

    async def ReturnGoods(self, request: rts.ReturnGoodsRequest, context: Context) -> pb.Return:
        def work(s: Store) -> m.Return:
            if not request.HasField("amount"):
                raise InvalidArgument("MISSING_AMOUNT", "amount is required", "amount")
            amount = convert.money_in(request.amount, "amount")
            return returns.return_goods(s, request.return_id, request.invoice_id, amount, request.reason_code)

        return await self.rpc.mutate(context, request, pb.Return, work, convert.return_out)

    async def ReturnPayment(self, request: rts.ReturnPaymentRequest, context: Context) -> pb.Return:
        return await self.rpc.mutate(
            context,
            request,
            pb.Return,
            lambda s: returns.return_payment(s, request.return_id, request.payment_id, request.reason_code),
            convert.return_out,
        )

    async def GetReturn(self, request: rts.GetReturnRequest, context: Context) -> pb.Return:
        return convert.return_out(
            await self.rpc.read(context, lambda s: returns.get_return(s, request.return_id))
        )

    async def ListReturns(self, request: rts.ListReturnsRequest, context: Context) -> rts.ListReturnsResponse:
        page = await self.rpc.read(
            context,
            lambda s: s.list_returns(
                request.page_size, request.page_token, convert.return_kind_in(request.kind)
            ),
        )
        return rts.ListReturnsResponse(
            returns=[convert.return_out(r) for r in page.items], next_page_token=page.next_page_token
        )


def _rounds_room(max_payments: int, considered: int) -> int:
    """How many rounds may run at once: any number without a limit; with one, as many as the
    payments left under it fill (a round takes at most MAX_AUTO_APPLY_PAYMENTS of them)."""
    if max_payments <= 0:
        return sys.maxsize
    return max(1, -(-(max_payments - considered) // reconciliation.MAX_AUTO_APPLY_PAYMENTS))


class ReconciliationService(rs_grpc.ReconciliationServiceServicer):
    def __init__(self, rpc: Rpc, decide_processes: DecideProcesses | None = None) -> None:
        """`decide_processes`: where AutoApplyBacklog's rounds run, several at once; without,
        one at a time on the server's threads (server/backlog_rounds.py says why)."""
        self.rpc = rpc
        self.decide_processes = decide_processes

    async def AutoApply(self, request: rs.AutoApplyRequest, context: Context) -> rs.AutoApplyResponse:
        """Proposes from a snapshot outside the write transaction, then commits with re-checks."""
        scope_kind = request.WhichOneof("scope")
        if scope_kind is None or (scope_kind == "all_payments" and not request.all_payments):
            await self.rpc.abort(
                context,
                InvalidArgument("MISSING_SCOPE", "set all_payments, customer_id or payments", "scope"),
            )
        scope = reconciliation.Scope(
            customer_id=request.customer_id if scope_kind == "customer_id" else "",
            payment_ids=tuple(request.payments.payment_ids) if scope_kind == "payments" else (),
        )
        if scope_kind == "payments" and not scope.payment_ids:
            await self.rpc.abort(
                context,
                InvalidArgument("MISSING_PAYMENT_IDS", "give 1..1000 payment ids", "payments.payment_ids"),
            )
        if scope_kind == "customer_id" and not request.customer_id:
            # Set but empty: refused rather than read as "every payment".
            await self.rpc.abort(
                context, InvalidArgument("MISSING_ID", "customer_id must not be empty", "customer_id")
            )
        stored = await self.rpc.stored(context, request, rs.AutoApplyResponse)
        if stored is not None:
            return stored
        response, _decided = await self._auto_apply(context, request, scope)
        return response

    async def _auto_apply(
        self, context: Context, request: rs.AutoApplyRequest, scope: reconciliation.Scope
    ) -> tuple[rs.AutoApplyResponse, int]:
        """One round: plan from a snapshot, then commit (once per request_id when it has one).
        Over every payment, the round first claims its batch, so that calls running beside it
        (on this server or on replicas sharing the database) take other customers. The round
        runs as one piece of work on the pool: a call cancelled meanwhile still commits (or
        releases) what it claimed. Answers the response and the number of decisions it stored."""
        tenant = self.rpc.tenant(context)
        app = self.rpc.app
        method, key = type(request).__name__, fingerprint(request)

        def encode(result: tuple[reconciliation.Committed, dict[str, str]]) -> bytes:
            committed, currency = result
            response = counts(committed)
            response.decisions.extend(
                convert.decision_out(d, currency[d.payment_id]) for d in committed.decisions
            )
            return response.SerializeToString(deterministic=True)

        def commit(
            who: Tenant, planned: reconciliation.Plan, holder: str
        ) -> tuple[rs.AutoApplyResponse, list[Outcome]]:
            reply = app.mutate(
                who,
                request.request_id,
                method,
                key,
                lambda s: (
                    reconciliation.commit(s, planned, holder),
                    currencies_of(s, [p.payment_id for p in planned.proposals]),
                ),
                encode,
            )
            response = rs.AutoApplyResponse.FromString(reply)
            return response, [(convert.outcome_in(d.outcome), d.reason) for d in response.decisions]

        def decide_round() -> tuple[rs.AutoApplyResponse, list[Outcome]]:
            # After a bulk load PostgreSQL may not have analyzed the tables yet (never fails).
            app.db.statistics.refresh_if_stale()
            who = tenant()
            holder = new_holder(request.request_id) if scope == reconciliation.Scope() else ""
            claimed = app.write(who, lambda s: reconciliation.claim_batch(s, holder)) if holder else None
            try:
                planned = app.read(who, lambda s: reconciliation.plan(s, scope, claimed))
                return commit(who, planned, holder)
            finally:
                if claimed:  # released with the commit; this covers a round that failed before it
                    release(app, who, holder)

        try:
            response, outcomes = await self.rpc.offload(decide_round)
        except Exception as exc:
            await self.rpc.abort(context, exc)
            raise  # unreachable: abort raises
        # Counted once the decisions are committed (a retried transaction must not count twice).
        reconciliation.record_outcomes(outcomes)
        return response, len(outcomes)

    async def AutoApplyBacklog(
        self, request: rs.AutoApplyBacklogRequest, context: Context
    ) -> AsyncIterator[rs.AutoApplyProgress]:
        """Rounds of AutoApply over every payment needing a decision until one decides nothing;
        one at a time, or with decide processes as many at once as there are processes (each
        round reported once committed, in the order they started); a cancelled call stops
        starting rounds."""
        if request.max_payments < 0:
            await self.rpc.abort(
                context, InvalidArgument("NEGATIVE_LIMIT", "max_payments must be >= 0", "max_payments")
            )
        rounds = await self._backlog_rounds(context, request.include_decisions)
        progress = rs.AutoApplyProgress()
        considered = 0
        stopping = False
        waited, polls = 0.0, 0
        backlog, counted_at, count_seconds = await self._count_backlog(context)
        rounds.fill(_rounds_room(request.max_payments, considered))
        # A payment is decided once per change, so the rounds end with the backlog; a round that
        # stores nothing and leaves the backlog as large ends the call too (payments whose
        # application the books keep refusing wait for the change that unblocks them).
        while True:
            round_, decided = await rounds.next()
            payments = decided + round_.unchanged_count
            considered += payments
            if payments == 0 and len(rounds):
                continue  # the rounds beside it hold what is left: their answers tell
            may_end = not decided or 0 < request.max_payments <= considered
            count_every = max(BACKLOG_COUNT_SECONDS, COUNT_COST_RATIO * count_seconds)
            if may_end or time.monotonic() - counted_at >= count_every:
                remaining, counted_at, count_seconds = await self._count_backlog(context)
            else:
                # Between counts: the last one less the payments the rounds since took.
                remaining = max(0, backlog - payments)
            if payments == 0 and remaining > 0 and waited < HELD_WAIT_SECONDS and not stopping:
                # What remains is claimed by calls running beside this one (a replica, or the
                # round of a cancelled call still committing): wait for them to commit, then
                # take what they leave. A lease a dead replica holds ends the wait (done).
                pause = min(HELD_POLL_MAX_SECONDS, HELD_POLL_FIRST_SECONDS * 2**polls)
                await asyncio.sleep(pause)
                waited += pause
                polls += 1
                continue
            waited, polls = 0.0, 0
            stalled = not decided and remaining >= backlog
            backlog = remaining
            # The rounds still running commit whatever comes: they are reported before the end.
            stopping = stopping or payments == 0 or stalled or 0 < request.max_payments <= considered
            progress.round += 1
            progress.round_payment_count = payments
            progress.auto_applied_count += round_.auto_applied_count
            progress.suggested_count += round_.suggested_count
            progress.unmatched_count += round_.unmatched_count
            progress.unchanged_count += round_.unchanged_count
            progress.remaining_count = remaining
            progress.done = stopping and not len(rounds)
            message = rs.AutoApplyProgress()
            message.CopyFrom(progress)
            if request.include_decisions:
                message.decisions.extend(round_.decisions)
            yield message
            if progress.done:
                return
            if not stopping:
                rounds.fill(_rounds_room(request.max_payments, considered))

    async def _backlog_rounds(
        self, context: Context, with_decisions: bool
    ) -> InFlight[tuple[rs.AutoApplyResponse, int]]:
        """The call's rounds (server/backlog_rounds.py): in the decide processes, as many at once
        as they are, or one at a time on the server's threads. Each answers its response and the
        number of decisions it stored, counted in the metrics once committed."""
        try:
            tenant = await self.rpc.authenticate(context)
        except Exception as exc:
            await self.rpc.abort(context, exc)
            raise  # unreachable: abort raises
        app, pool = self.rpc.app, self.decide_processes

        async def one_round() -> tuple[rs.AutoApplyResponse, int]:
            try:
                if pool is None:
                    response, outcomes = await self.rpc.offload(
                        lambda: backlog_round(app, tenant, with_decisions)
                    )
                else:
                    response, outcomes = await pool.run_round(tenant, with_decisions)
            except Exception as exc:
                await self.rpc.abort(context, exc)
                raise  # unreachable: abort raises
            reconciliation.record_outcomes(outcomes)
            return response, len(outcomes)

        return InFlight(one_round, pool.size if pool else 1)

    async def _count_backlog(self, context: Context) -> tuple[int, float, float]:
        """The payments needing a decision, when they were counted, and how long the count took."""
        started = time.monotonic()
        backlog = await self.rpc.read(context, lambda s: s.count_needing_decision())
        counted_at = time.monotonic()
        return backlog, counted_at, counted_at - started

    async def ListExceptions(
        self, request: rs.ListExceptionsRequest, context: Context
    ) -> rs.ListExceptionsResponse:
        def work(s: Store) -> tuple[m.Page[m.MatchException], dict[str, str]]:
            page = decisions.list_exceptions(
                s,
                request.page_size,
                request.page_token,
                convert.exception_state_in(request.state),
                request.assignee,
            )
            return page, currencies_of(s, [x.payment_id for x in page.items])

        page, currencies = await self.rpc.read(context, work)
        return rs.ListExceptionsResponse(
            exceptions=[convert.exception_out(x, currencies[x.payment_id]) for x in page.items],
            next_page_token=page.next_page_token,
        )

    async def ResolveException(
        self, request: rs.ResolveExceptionRequest, context: Context
    ) -> pb.MatchException:
        def work(s: Store) -> tuple[m.MatchException, str]:
            # Unknown exceptions are NOT_FOUND before the allocations are read in its payment's currency.
            payment_id = reconciliation.get_exception(s, request.exception_id).payment_id
            currency = currencies_of(s, [payment_id])[payment_id]
            kind = request.WhichOneof("resolution")
            if kind == "on_account" and not request.on_account:
                raise InvalidArgument("INVALID_ON_ACCOUNT", "on_account must be true when set", "on_account")
            rank = request.accept_suggestion_rank if kind == "accept_suggestion_rank" else None
            allocations = (
                convert.allocations_in(request.allocations.allocations, currency, "allocations.allocations")
                if kind == "allocations"
                else None
            )
            resolved = reconciliation.resolve_exception(
                s, request.exception_id, rank, allocations, on_account=kind == "on_account"
            )
            return resolved, currency

        return await self.rpc.mutate(
            context, request, pb.MatchException, work, lambda r: convert.exception_out(r[0], r[1])
        )

    async def AssignException(
        self, request: rs.AssignExceptionRequest, context: Context
    ) -> pb.MatchException:
        def work(s: Store) -> tuple[m.MatchException, str]:
            assigned = reconciliation.assign_exception(s, request.exception_id, request.assignee)
            return assigned, currencies_of(s, [assigned.payment_id])[assigned.payment_id]

        return await self.rpc.mutate(
            context, request, pb.MatchException, work, lambda r: convert.exception_out(r[0], r[1])
        )

    async def ListDecisions(
        self, request: rs.ListDecisionsRequest, context: Context
    ) -> rs.ListDecisionsResponse:
        def work(s: Store) -> tuple[m.Page[m.Decision], dict[str, str]]:
            page = decisions.list_decisions(s, request.page_size, request.page_token, request.payment_id)
            return page, currencies_of(s, [d.payment_id for d in page.items])

        page, currencies = await self.rpc.read(context, work)
        return rs.ListDecisionsResponse(
            decisions=[convert.decision_out(d, currencies[d.payment_id]) for d in page.items],
            next_page_token=page.next_page_token,
        )

    async def GetSettings(self, request: rs.GetSettingsRequest, context: Context) -> pb.Settings:
        return convert.settings_out(await self.rpc.read(context, settings.get_settings))

    async def UpdateSettings(self, request: rs.UpdateSettingsRequest, context: Context) -> pb.Settings:
        return await self.rpc.mutate(
            context,
            request,
            pb.Settings,
            lambda s: settings.update_settings(
                s,
                convert.settings_in(request.settings),
                convert.update_paths(request.update_mask, request.settings, settings.UPDATABLE_FIELDS),
            ),
            convert.settings_out,
        )

    async def GetReconciliationReport(
        self, request: rs.GetReconciliationReportRequest, context: Context
    ) -> pb.ReconciliationReport:
        # The report walks the whole journal: planned on stale statistics, that walk can take minutes.
        await self.rpc.offload(self.rpc.app.db.statistics.refresh_if_stale)
        return convert.report_out(await self.rpc.read(context, reconciliation_report))
