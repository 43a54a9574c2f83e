"""DunningService. Only translates: proto in, engine.dunning, proto out. The outbox's senders
come from the server's settings (SMTP server, HTTP provider, print folder)."""

from __future__ import annotations

from typing import Any

import grpc

from cashapp_client._proto.cashapp.v1 import dunning_service_pb2 as ds
from cashapp_client._proto.cashapp.v1 import dunning_service_pb2_grpc as ds_grpc
from engine import validate as v
from engine.dunning import outbox, policies
from engine.dunning import run as runs
from engine.dunning.channels import ChannelSettings
from engine.dunning.model import Contact, Delivery, Hold, Policy, RunResult
from engine.errors import InvalidArgument
from engine.storage.store import Store
from server import dunning_convert as dc
from server.case_convert import actor_of
from server.rpc import Rpc

Context = grpc.aio.ServicerContext[Any, Any]


class DunningService(ds_grpc.DunningServiceServicer):
    def __init__(self, rpc: Rpc, channels: ChannelSettings) -> None:
        self.rpc = rpc
        self.senders = channels.senders()

    async def CreateDunningPolicy(
        self, request: ds.CreateDunningPolicyRequest, context: Context
    ) -> ds.DunningPolicy:
        def work(s: Store) -> Policy:
            if not request.HasField("policy"):
                raise InvalidArgument("MISSING_POLICY", "policy is required", "policy")
            p = request.policy
            return policies.create_policy(
                s, request.policy_id, p.display_name, p.currency_code, dc.levels_in(p)
            )

        return await self.rpc.mutate(context, request, ds.DunningPolicy, work, dc.policy_out)

    async def GetDunningPolicy(
        self, request: ds.GetDunningPolicyRequest, context: Context
    ) -> ds.DunningPolicy:
        return dc.policy_out(
            await self.rpc.read(context, lambda s: policies.get_policy(s, request.policy_id))
        )

    async def ListDunningPolicies(
        self, request: ds.ListDunningPoliciesRequest, context: Context
    ) -> ds.ListDunningPoliciesResponse:
        page = await self.rpc.read(
            context, lambda s: policies.list_policies(s, request.page_size, request.page_token)
        )
        return ds.ListDunningPoliciesResponse(
            policies=[dc.policy_out(p) for p in page.items], next_page_token=page.next_page_token
        )

    async def SetDunningContact(
        self, request: ds.SetDunningContactRequest, context: Context
    ) -> ds.DunningContact:
        c = request.contact

        def work(s: Store) -> Contact:
            return policies.set_contact(s, c.customer_id, c.email, c.phone, c.postal_address)

        return await self.rpc.mutate(context, request, ds.DunningContact, work, dc.contact_out)

    async def PromiseToPay(self, request: ds.PromiseToPayRequest, context: Context) -> ds.DunningHold:
        def work(s: Store) -> Hold:
            actor = actor_of(request.actor, s.tenant_id)
            return policies.promise_to_pay(
                s, request.customer_id, request.currency_code, request.promised_date, actor, request.note
            )

        return await self.rpc.mutate(context, request, ds.DunningHold, work, dc.hold_out)

    async def ExcludeCustomer(self, request: ds.ExcludeCustomerRequest, context: Context) -> ds.DunningHold:
        def work(s: Store) -> Hold:
            actor = actor_of(request.actor, s.tenant_id)
            return policies.exclude_customer(s, request.customer_id, request.until_date, actor, request.note)

        return await self.rpc.mutate(context, request, ds.DunningHold, work, dc.hold_out)

    async def RunDunning(self, request: ds.RunDunningRequest, context: Context) -> ds.RunDunningResponse:
        def work(s: Store) -> RunResult:
            as_of = v.require_date(request.as_of_date, "as_of_date")
            return runs.run(s, request.policy_id, as_of, dry_run=request.dry_run)

        if request.dry_run:  # stores nothing: a read, answered afresh every time
            return dc.run_out(await self.rpc.read(context, work))
        return await self.rpc.mutate(context, request, ds.RunDunningResponse, work, dc.run_out)

    async def ListDunningNotices(
        self, request: ds.ListDunningNoticesRequest, context: Context
    ) -> ds.ListDunningNoticesResponse:
        def work(s: Store) -> Any:
            if request.customer_id:
                v.require_id(request.customer_id, "customer_id")
            return s.list_dunning_notices(request.page_size, request.page_token, request.customer_id)

        page = await self.rpc.read(context, work)
        return ds.ListDunningNoticesResponse(
            notices=[dc.notice_out(n) for n in page.items], next_page_token=page.next_page_token
        )

    async def ListDunningDeliveries(
        self, request: ds.ListDunningDeliveriesRequest, context: Context
    ) -> ds.ListDunningDeliveriesResponse:
        def work(s: Store) -> Any:
            state = dc.delivery_state_in(request.state)
            return s.list_dunning_deliveries(request.page_size, request.page_token, state)

        page = await self.rpc.read(context, work)
        return ds.ListDunningDeliveriesResponse(
            deliveries=[dc.delivery_out(x) for x in page.items], next_page_token=page.next_page_token
        )

    async def DeliverDunningOutbox(
        self, request: ds.DeliverDunningOutboxRequest, context: Context
    ) -> ds.DeliverDunningOutboxResponse:
        """Safe to repeat without a request_id: a sent delivery is never claimed again."""
        try:
            if request.max_deliveries < 0:
                raise InvalidArgument(
                    "INVALID_MAX_DELIVERIES", "max_deliveries must not be negative", "max_deliveries"
                )
            limit = min(
                request.max_deliveries or outbox.DEFAULT_DELIVERIES_PER_CALL, outbox.MAX_DELIVERIES_PER_CALL
            )
            tenant = self.rpc.tenant(context)
            report = await self.rpc.offload(
                lambda: outbox.deliver_due(self.rpc.app, tenant(), self.senders, limit=limit)
            )
        except Exception as exc:
            await self.rpc.abort(context, exc)
            raise
        return dc.outbox_out(report)

    async def RetryDunningDelivery(
        self, request: ds.RetryDunningDeliveryRequest, context: Context
    ) -> ds.DunningDelivery:
        def work(s: Store) -> Delivery:
            return outbox.retry_delivery(s, request.notice_id, dc.channel_in(request.channel, "channel"))

        return await self.rpc.mutate(context, request, ds.DunningDelivery, work, dc.delivery_out)
