"""CaseService methods (deductions and disputes), mixed into Client and AsyncClient: each builds
its request here and calls through the client's own retrying `_unary` / `_pages`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

import grpc

from cashapp_client._proto.cashapp.v1 import case_service_pb2 as cs
from cashapp_client._proto.cashapp.v1 import case_service_pb2_grpc
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb
from cashapp_client._requests import DEFAULT_PAGE_SIZE, request_id_or_new


def case_stub(channel: grpc.Channel | grpc.aio.Channel) -> case_service_pb2_grpc.CaseServiceStub:
    return case_service_pb2_grpc.CaseServiceStub(channel)


def _dispute(
    case_id: str,
    invoice_id: str,
    amount: pb.Money,
    note: str,
    category: str,
    reason_code: str,
    actor: str,
    request_id: str | None,
) -> cs.OpenDisputeRequest:
    return cs.OpenDisputeRequest(
        case_id=case_id,
        invoice_id=invoice_id,
        amount=amount,
        category=category,
        reason_code=reason_code,
        note=note,
        actor=actor,
        request_id=request_id_or_new(request_id),
    )


def _resolve(
    case_id: str,
    resolution: cs.CaseResolution.ValueType,
    amount: pb.Money | None,
    note: str,
    rebill_invoice_id: str,
    actor: str,
    request_id: str | None,
) -> cs.ResolveCaseRequest:
    request = cs.ResolveCaseRequest(
        case_id=case_id,
        resolution=resolution,
        rebill_invoice_id=rebill_invoice_id,
        note=note,
        actor=actor,
        request_id=request_id_or_new(request_id),
    )
    if amount is not None:
        request.amount.CopyFrom(amount)
    return request


def _list(
    state: cs.CaseState.ValueType | None,
    kind: cs.CaseKind.ValueType | None,
    customer_id: str,
    invoice_id: str,
    page_size: int,
) -> cs.ListCasesRequest:
    return cs.ListCasesRequest(
        state=state or cs.CASE_STATE_UNSPECIFIED,
        kind=kind or cs.CASE_KIND_UNSPECIFIED,
        customer_id=customer_id,
        invoice_id=invoice_id,
        page_size=page_size,
    )


def _settings(
    approval_limit_minor: int | None, write_off_limit_minor: int, request_id: str | None
) -> cs.UpdateCaseSettingsRequest:
    settings = cs.CaseSettings(write_off_limit_minor=write_off_limit_minor)
    if approval_limit_minor is not None:
        settings.approval_limit_minor = approval_limit_minor
    return cs.UpdateCaseSettingsRequest(settings=settings, request_id=request_id_or_new(request_id))


def _cases_of(response: cs.ListCasesResponse) -> Sequence[cs.Case]:
    return response.cases


class CaseMethods:
    """Deductions and disputes, for Client. Actors default to the authenticated caller."""

    case_service: case_service_pb2_grpc.CaseServiceStub
    _unary: Callable[..., Any]
    _pages: Callable[..., Iterator[Any]]

    def open_dispute(
        self,
        case_id: str,
        *,
        invoice_id: str,
        amount: pb.Money,
        note: str,
        category: str = "",
        reason_code: str = "",
        actor: str = "",
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> cs.Case:
        """Disputes up to the invoice's open amount; the invoice leaves amount matching."""
        request = _dispute(case_id, invoice_id, amount, note, category, reason_code, actor, request_id)
        return self._unary(self.case_service.OpenDispute, request, timeout_seconds)  # type: ignore[no-any-return]

    def get_case(self, case_id: str, *, timeout_seconds: float | None = None) -> cs.Case:
        request = cs.GetCaseRequest(case_id=case_id)
        return self._unary(self.case_service.GetCase, request, timeout_seconds)  # type: ignore[no-any-return]

    def list_cases(
        self,
        *,
        state: cs.CaseState.ValueType | None = None,
        kind: cs.CaseKind.ValueType | None = None,
        customer_id: str = "",
        invoice_id: str = "",
        page_size: int = DEFAULT_PAGE_SIZE,
        timeout_seconds: float | None = None,
    ) -> Iterator[cs.Case]:
        request = _list(state, kind, customer_id, invoice_id, page_size)
        return self._pages(self.case_service.ListCases, request, _cases_of, timeout_seconds)

    def transition_case(
        self,
        case_id: str,
        *,
        target_state: cs.CaseState.ValueType,
        note: str,
        actor: str = "",
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> cs.Case:
        request = cs.TransitionCaseRequest(
            case_id=case_id,
            target_state=target_state,
            note=note,
            actor=actor,
            request_id=request_id_or_new(request_id),
        )
        return self._unary(self.case_service.TransitionCase, request, timeout_seconds)  # type: ignore[no-any-return]

    def resolve_case(
        self,
        case_id: str,
        *,
        resolution: cs.CaseResolution.ValueType,
        note: str,
        amount: pb.Money | None = None,
        rebill_invoice_id: str = "",
        actor: str = "",
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> cs.Case:
        """Settles `amount` (all that is open when None); above the approval limit it waits."""
        request = _resolve(case_id, resolution, amount, note, rebill_invoice_id, actor, request_id)
        return self._unary(self.case_service.ResolveCase, request, timeout_seconds)  # type: ignore[no-any-return]

    def approve_case(
        self,
        case_id: str,
        *,
        note: str,
        actor: str = "",
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> cs.Case:
        request = cs.ApproveCaseRequest(
            case_id=case_id, note=note, actor=actor, request_id=request_id_or_new(request_id)
        )
        return self._unary(self.case_service.ApproveCase, request, timeout_seconds)  # type: ignore[no-any-return]

    def reject_case(
        self,
        case_id: str,
        *,
        note: str,
        actor: str = "",
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> cs.Case:
        """Turns down the case's pending resolution; nothing is posted."""
        request = cs.RejectCaseRequest(
            case_id=case_id, note=note, actor=actor, request_id=request_id_or_new(request_id)
        )
        return self._unary(self.case_service.RejectCase, request, timeout_seconds)  # type: ignore[no-any-return]

    def get_case_settings(self, *, timeout_seconds: float | None = None) -> cs.CaseSettings:
        request = cs.GetCaseSettingsRequest()
        return self._unary(self.case_service.GetCaseSettings, request, timeout_seconds)  # type: ignore[no-any-return]

    def update_case_settings(
        self,
        *,
        approval_limit_minor: int | None,
        write_off_limit_minor: int = 0,
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> cs.CaseSettings:
        """Replaces the limits: approval_limit_minor None means no approval needed."""
        request = _settings(approval_limit_minor, write_off_limit_minor, request_id)
        return self._unary(self.case_service.UpdateCaseSettings, request, timeout_seconds)  # type: ignore[no-any-return]


class AsyncCaseMethods:
    """Deductions and disputes, for AsyncClient (list_cases is an async iterator)."""

    case_service: case_service_pb2_grpc.CaseServiceStub
    _unary: Callable[..., Any]
    _pages: Callable[..., AsyncIterator[Any]]

    async def open_dispute(
        self,
        case_id: str,
        *,
        invoice_id: str,
        amount: pb.Money,
        note: str,
        category: str = "",
        reason_code: str = "",
        actor: str = "",
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> cs.Case:
        request = _dispute(case_id, invoice_id, amount, note, category, reason_code, actor, request_id)
        return await self._unary(self.case_service.OpenDispute, request, timeout_seconds)  # type: ignore[no-any-return]

    async def get_case(self, case_id: str, *, timeout_seconds: float | None = None) -> cs.Case:
        request = cs.GetCaseRequest(case_id=case_id)
        return await self._unary(self.case_service.GetCase, request, timeout_seconds)  # type: ignore[no-any-return]

    def list_cases(
        self,
        *,
        state: cs.CaseState.ValueType | None = None,
        kind: cs.CaseKind.ValueType | None = None,
        customer_id: str = "",
        invoice_id: str = "",
        page_size: int = DEFAULT_PAGE_SIZE,
        timeout_seconds: float | None = None,
    ) -> AsyncIterator[cs.Case]:
        request = _list(state, kind, customer_id, invoice_id, page_size)
        return self._pages(self.case_service.ListCases, request, _cases_of, timeout_seconds)

    async def transition_case(
        self,
        case_id: str,
        *,
        target_state: cs.CaseState.ValueType,
        note: str,
        actor: str = "",
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> cs.Case:
        request = cs.TransitionCaseRequest(
            case_id=case_id,
            target_state=target_state,
            note=note,
            actor=actor,
            request_id=request_id_or_new(request_id),
        )
        return await self._unary(self.case_service.TransitionCase, request, timeout_seconds)  # type: ignore[no-any-return]

    async def resolve_case(
        self,
        case_id: str,
        *,
        resolution: cs.CaseResolution.ValueType,
        note: str,
        amount: pb.Money | None = None,
        rebill_invoice_id: str = "",
        actor: str = "",
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> cs.Case:
        request = _resolve(case_id, resolution, amount, note, rebill_invoice_id, actor, request_id)
        return await self._unary(self.case_service.ResolveCase, request, timeout_seconds)  # type: ignore[no-any-return]

    async def approve_case(
        self,
        case_id: str,
        *,
        note: str,
        actor: str = "",
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> cs.Case:
        request = cs.ApproveCaseRequest(
            case_id=case_id, note=note, actor=actor, request_id=request_id_or_new(request_id)
        )
        return await self._unary(self.case_service.ApproveCase, request, timeout_seconds)  # type: ignore[no-any-return]

    async def reject_case(
        self,
        case_id: str,
        *,
        note: str,
        actor: str = "",
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> cs.Case:
        """Turns down the case's pending resolution; nothing is posted."""
        request = cs.RejectCaseRequest(
            case_id=case_id, note=note, actor=actor, request_id=request_id_or_new(request_id)
        )
        return await self._unary(self.case_service.RejectCase, request, timeout_seconds)  # type: ignore[no-any-return]

    async def get_case_settings(self, *, timeout_seconds: float | None = None) -> cs.CaseSettings:
        request = cs.GetCaseSettingsRequest()
        return await self._unary(self.case_service.GetCaseSettings, request, timeout_seconds)  # type: ignore[no-any-return]

    async def update_case_settings(
        self,
        *,
        approval_limit_minor: int | None,
        write_off_limit_minor: int = 0,
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> cs.CaseSettings:
        request = _settings(approval_limit_minor, write_off_limit_minor, request_id)
        return await self._unary(self.case_service.UpdateCaseSettings, request, timeout_seconds)  # type: ignore[no-any-return]
