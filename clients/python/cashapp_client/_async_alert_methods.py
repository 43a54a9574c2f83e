"""The AlertService methods of AsyncClient (its base class)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, TypeVar

from grpc import aio

from cashapp_client._proto.cashapp.v1 import alert_service_pb2 as alert_pb2
from cashapp_client._proto.cashapp.v1 import alert_service_pb2_grpc
from cashapp_client._requests import DEFAULT_PAGE_SIZE, check_page_size, request_id_or_new

_Request = TypeVar("_Request")
_Response = TypeVar("_Response")


class AsyncAlertMethods:
    """Mixed into the async client, which provides the stub and the retried calls."""

    alert_service: alert_service_pb2_grpc.AlertServiceAsyncStub

    async def _unary(
        self,
        method: aio.UnaryUnaryMultiCallable[_Request, _Response],
        request: _Request,
        timeout_seconds: float | None,
    ) -> _Response:
        raise NotImplementedError  # the client's own, with deadlines and retries

    def _pages(
        self,
        method: Any,
        request: Any,
        items_of: Callable[[Any], Sequence[Any]],
        timeout_seconds: float | None,
    ) -> AsyncIterator[Any]:
        raise NotImplementedError  # the client's own

    def list_alerts(
        self,
        *,
        kind: alert_pb2.AlertKind.ValueType | None = None,
        customer_id: str | None = None,
        include_acknowledged: bool = False,
        page_size: int = DEFAULT_PAGE_SIZE,
        timeout_seconds: float | None = None,
    ) -> AsyncIterator[alert_pb2.Alert]:
        """The alerts, open ones unless include_acknowledged, optionally of one kind or customer."""
        request = alert_pb2.ListAlertsRequest(
            page_size=check_page_size(page_size),
            kind=kind or alert_pb2.ALERT_KIND_UNSPECIFIED,
            customer_id=customer_id or "",
            include_acknowledged=include_acknowledged,
        )
        items: AsyncIterator[alert_pb2.Alert] = self._pages(
            self.alert_service.ListAlerts, request, lambda response: response.alerts, timeout_seconds
        )
        return items

    async def get_alert(self, alert_id: str, *, timeout_seconds: float | None = None) -> alert_pb2.Alert:
        request = alert_pb2.GetAlertRequest(alert_id=alert_id)
        return await self._unary(self.alert_service.GetAlert, request, timeout_seconds)

    async def acknowledge_alert(
        self,
        alert_id: str,
        *,
        actor: str,
        note: str,
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> alert_pb2.Alert:
        """Marks the alert as looked at by `actor`, saying why in `note`."""
        request = alert_pb2.AcknowledgeAlertRequest(
            alert_id=alert_id, actor=actor, note=note, request_id=request_id_or_new(request_id)
        )
        return await self._unary(self.alert_service.AcknowledgeAlert, request, timeout_seconds)
