"""CaseService: deductions and disputes. Only translates: proto in, engine.cases, proto out."""

from __future__ import annotations

from typing import Any

import grpc

from cashapp_client._proto.cashapp.v1 import case_service_pb2 as cs
from cashapp_client._proto.cashapp.v1 import case_service_pb2_grpc as cs_grpc
from engine.cases import case as c
from engine.cases import disputes, lifecycle, listing
from engine.storage.store import Store
from server import case_convert as cc
from server.rpc import Rpc

Context = grpc.aio.ServicerContext[Any, Any]


def _who(s: Store, actor: str, note: str) -> lifecycle.Who:
    return lifecycle.who(cc.actor_of(actor, s.tenant_id), note)


class CaseService(cs_grpc.CaseServiceServicer):
    def __init__(self, rpc: Rpc) -> None:
        self.rpc = rpc

    async def OpenDispute(self, request: cs.OpenDisputeRequest, context: Context) -> cs.Case:
        def work(s: Store) -> c.Case:
            draft = cc.dispute_in(request)
            return disputes.open_dispute(s, draft, _who(s, request.actor, request.note))

        return await self.rpc.mutate(context, request, cs.Case, work, cc.case_out)

    async def GetCase(self, request: cs.GetCaseRequest, context: Context) -> cs.Case:
        found = await self.rpc.read(context, lambda s: lifecycle.get_case(s, request.case_id))
        return cc.case_out(found)

    async def ListCases(self, request: cs.ListCasesRequest, context: Context) -> cs.ListCasesResponse:
        page = await self.rpc.read(
            context,
            lambda s: listing.list_cases(s, cc.filter_in(request), request.page_size, request.page_token),
        )
        return cs.ListCasesResponse(
            cases=[cc.case_out(k) for k in page.items], next_page_token=page.next_page_token
        )

    async def TransitionCase(self, request: cs.TransitionCaseRequest, context: Context) -> cs.Case:
        def work(s: Store) -> c.Case:
            target = cc.target_in(request.target_state)
            return lifecycle.transition(s, request.case_id, target, _who(s, request.actor, request.note))

        return await self.rpc.mutate(context, request, cs.Case, work, cc.case_out)

    async def ResolveCase(self, request: cs.ResolveCaseRequest, context: Context) -> cs.Case:
        def work(s: Store) -> c.Case:
            resolution = cc.resolution_in(request.resolution)
            by = _who(s, request.actor, request.note)
            amount = cc.amount_in(request, lifecycle.get_case(s, request.case_id).currency)
            return lifecycle.resolve(s, request.case_id, resolution, amount, request.rebill_invoice_id, by)

        return await self.rpc.mutate(context, request, cs.Case, work, cc.case_out)

    async def ApproveCase(self, request: cs.ApproveCaseRequest, context: Context) -> cs.Case:
        return await self.rpc.mutate(
            context,
            request,
            cs.Case,
            lambda s: lifecycle.approve(s, request.case_id, _who(s, request.actor, request.note)),
            cc.case_out,
        )

    async def RejectCase(self, request: cs.RejectCaseRequest, context: Context) -> cs.Case:
        return await self.rpc.mutate(
            context,
            request,
            cs.Case,
            lambda s: lifecycle.reject(s, request.case_id, _who(s, request.actor, request.note)),
            cc.case_out,
        )

    async def GetCaseSettings(self, request: cs.GetCaseSettingsRequest, context: Context) -> cs.CaseSettings:
        return cc.settings_out(await self.rpc.read(context, lambda s: s.case_settings()))

    async def UpdateCaseSettings(
        self, request: cs.UpdateCaseSettingsRequest, context: Context
    ) -> cs.CaseSettings:
        def work(s: Store) -> c.CaseSettings:
            limit, write_off = cc.settings_in(request.settings)
            return listing.update_settings(s, limit, write_off)

        return await self.rpc.mutate(context, request, cs.CaseSettings, work, cc.settings_out)
