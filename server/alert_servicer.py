"""AlertService: the alerts engine/alerts raised, listed and acknowledged through the API."""

from __future__ import annotations

import json
from typing import Any

import grpc

from cashapp_client._proto.cashapp.v1 import alert_service_pb2 as als
from cashapp_client._proto.cashapp.v1 import alert_service_pb2_grpc as als_grpc
from engine.alerts import handling
from engine.alerts.model import Alert, AlertKind
from engine.errors import InvalidArgument
from server.convert import timestamp
from server.rpc import Rpc

Context = grpc.aio.ServicerContext[Any, Any]

_KIND_OUT = {kind: als.AlertKind.Value(f"ALERT_KIND_{kind.value}") for kind in AlertKind}
_KIND_IN: dict[int, AlertKind] = {int(number): kind for kind, number in _KIND_OUT.items()}


def alert_out(a: Alert) -> als.Alert:
    message = als.Alert(
        alert_id=a.alert_id,
        kind=_KIND_OUT[a.kind],
        subject_type=a.subject_type,
        subject_id=a.subject_id,
        customer_id=a.customer_id or "",
        summary=a.summary,
        evidence_json=json.dumps(a.evidence, sort_keys=True),
        create_time=timestamp(a.create_us),
        acknowledged_by=a.acknowledged_by,
        note=a.note,
    )
    if a.acknowledged_us is not None:
        message.acknowledge_time.CopyFrom(timestamp(a.acknowledged_us))
    return message


def kind_in(value: int) -> AlertKind | None:
    if value == als.ALERT_KIND_UNSPECIFIED:
        return None
    if value not in _KIND_IN:
        raise InvalidArgument("UNKNOWN_ENUM_VALUE", f"unknown alert kind {value}", "kind")
    return _KIND_IN[value]


class AlertService(als_grpc.AlertServiceServicer):
    def __init__(self, rpc: Rpc) -> None:
        self.rpc = rpc

    async def ListAlerts(self, request: als.ListAlertsRequest, context: Context) -> als.ListAlertsResponse:
        page = await self.rpc.read(
            context,
            lambda s: handling.list_alerts(
                s,
                request.page_size,
                request.page_token,
                kind=kind_in(request.kind),
                customer_id=request.customer_id,
                include_acknowledged=request.include_acknowledged,
            ),
        )
        return als.ListAlertsResponse(
            alerts=[alert_out(a) for a in page.items], next_page_token=page.next_page_token
        )

    async def GetAlert(self, request: als.GetAlertRequest, context: Context) -> als.Alert:
        return alert_out(await self.rpc.read(context, lambda s: handling.get_alert(s, request.alert_id)))

    async def AcknowledgeAlert(self, request: als.AcknowledgeAlertRequest, context: Context) -> als.Alert:
        return await self.rpc.mutate(
            context,
            request,
            als.Alert,
            lambda s: handling.acknowledge_alert(s, request.alert_id, request.actor, request.note),
            alert_out,
        )
