"""The DunningService methods of Client (its base class)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import grpc

from cashapp_client._money import money
from cashapp_client._proto.cashapp.v1 import dunning_service_pb2 as dunning_pb2
from cashapp_client._proto.cashapp.v1 import dunning_service_pb2_grpc
from cashapp_client._requests import DEFAULT_PAGE_SIZE, check_page_size, request_id_or_new

_Request = TypeVar("_Request")
_Response = TypeVar("_Response")


class DunningMethods:
    """Mixed into the client, which provides the stub and the retried unary and paged calls."""

    dunning_service: dunning_service_pb2_grpc.DunningServiceStub

    def _unary(
        self,
        method: grpc.UnaryUnaryMultiCallable[_Request, _Response],
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
    ) -> Iterator[Any]:
        raise NotImplementedError  # the client's own

    def create_dunning_policy(
        self,
        policy_id: str,
        *,
        display_name: str,
        currency_code: str,
        levels: Sequence[dunning_pb2.DunningLevel],
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> dunning_pb2.DunningPolicy:
        """Creates a policy; its levels' amounts are in currency_code (see dunning_level)."""
        request = dunning_pb2.CreateDunningPolicyRequest(
            policy_id=policy_id,
            policy=dunning_pb2.DunningPolicy(
                display_name=display_name, currency_code=currency_code, levels=levels
            ),
            request_id=request_id_or_new(request_id),
        )
        return self._unary(self.dunning_service.CreateDunningPolicy, request, timeout_seconds)

    def get_dunning_policy(
        self, policy_id: str, *, timeout_seconds: float | None = None
    ) -> dunning_pb2.DunningPolicy:
        request = dunning_pb2.GetDunningPolicyRequest(policy_id=policy_id)
        return self._unary(self.dunning_service.GetDunningPolicy, request, timeout_seconds)

    def set_dunning_contact(
        self,
        customer_id: str,
        *,
        email: str = "",
        phone: str = "",
        postal_address: str = "",
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> dunning_pb2.DunningContact:
        """Replaces where the customer's notices go (empty: that channel cannot reach them)."""
        request = dunning_pb2.SetDunningContactRequest(
            contact=dunning_pb2.DunningContact(
                customer_id=customer_id, email=email, phone=phone, postal_address=postal_address
            ),
            request_id=request_id_or_new(request_id),
        )
        return self._unary(self.dunning_service.SetDunningContact, request, timeout_seconds)

    def promise_to_pay(
        self,
        customer_id: str,
        *,
        promised_date: str,
        note: str,
        currency_code: str = "",
        actor: str = "",
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> dunning_pb2.DunningHold:
        """No notice to the customer (in currency_code, or any) until promised_date has passed."""
        request = dunning_pb2.PromiseToPayRequest(
            customer_id=customer_id,
            currency_code=currency_code,
            promised_date=promised_date,
            actor=actor,
            note=note,
            request_id=request_id_or_new(request_id),
        )
        return self._unary(self.dunning_service.PromiseToPay, request, timeout_seconds)

    def exclude_customer(
        self,
        customer_id: str,
        *,
        note: str,
        until_date: str = "",
        actor: str = "",
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> dunning_pb2.DunningHold:
        """No notice to the customer at all, until until_date (empty: without end)."""
        request = dunning_pb2.ExcludeCustomerRequest(
            customer_id=customer_id,
            until_date=until_date,
            actor=actor,
            note=note,
            request_id=request_id_or_new(request_id),
        )
        return self._unary(self.dunning_service.ExcludeCustomer, request, timeout_seconds)

    def run_dunning(
        self,
        policy_id: str,
        *,
        as_of_date: str,
        dry_run: bool = False,
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> dunning_pb2.RunDunningResponse:
        """Runs the policy as of the date: its notices and skips (a dry run stores nothing)."""
        request = dunning_pb2.RunDunningRequest(
            policy_id=policy_id,
            as_of_date=as_of_date,
            dry_run=dry_run,
            request_id=request_id_or_new(request_id),
        )
        return self._unary(self.dunning_service.RunDunning, request, timeout_seconds)

    def deliver_dunning_outbox(
        self, *, max_deliveries: int = 0, timeout_seconds: float | None = None
    ) -> dunning_pb2.DeliverDunningOutboxResponse:
        """Sends the deliveries that are due (safe to repeat: nothing is sent twice)."""
        request = dunning_pb2.DeliverDunningOutboxRequest(max_deliveries=max_deliveries)
        return self._unary(self.dunning_service.DeliverDunningOutbox, request, timeout_seconds)

    def retry_dunning_delivery(
        self,
        notice_id: str,
        *,
        channel: dunning_pb2.DunningChannel.ValueType,
        request_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> dunning_pb2.DunningDelivery:
        """Puts a FAILED delivery back in line, due now."""
        request = dunning_pb2.RetryDunningDeliveryRequest(
            notice_id=notice_id, channel=channel, request_id=request_id_or_new(request_id)
        )
        return self._unary(self.dunning_service.RetryDunningDelivery, request, timeout_seconds)

    def list_dunning_policies(
        self,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        timeout_seconds: float | None = None,
    ) -> Iterator[dunning_pb2.DunningPolicy]:
        """The tenant's dunning policies."""
        request = dunning_pb2.ListDunningPoliciesRequest(page_size=check_page_size(page_size))
        items: Iterator[dunning_pb2.DunningPolicy] = self._pages(
            self.dunning_service.ListDunningPolicies,
            request,
            lambda response: response.policies,
            timeout_seconds,
        )
        return items

    def list_dunning_notices(
        self,
        *,
        customer_id: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        timeout_seconds: float | None = None,
    ) -> Iterator[dunning_pb2.DunningNotice]:
        """The stored notices, optionally of one customer."""
        request = dunning_pb2.ListDunningNoticesRequest(
            customer_id=customer_id or "", page_size=check_page_size(page_size)
        )
        items: Iterator[dunning_pb2.DunningNotice] = self._pages(
            self.dunning_service.ListDunningNotices,
            request,
            lambda response: response.notices,
            timeout_seconds,
        )
        return items

    def list_dunning_deliveries(
        self,
        *,
        state: dunning_pb2.DunningDeliveryState.ValueType | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        timeout_seconds: float | None = None,
    ) -> Iterator[dunning_pb2.DunningDelivery]:
        """The outbox, optionally in one state (FAILED: what needs a person)."""
        request = dunning_pb2.ListDunningDeliveriesRequest(
            state=state or dunning_pb2.DUNNING_DELIVERY_STATE_UNSPECIFIED,
            page_size=check_page_size(page_size),
        )
        items: Iterator[dunning_pb2.DunningDelivery] = self._pages(
            self.dunning_service.ListDunningDeliveries,
            request,
            lambda response: response.deliveries,
            timeout_seconds,
        )
        return items


def dunning_level(
    day_offset: int,
    channels: Sequence[dunning_pb2.DunningChannel.ValueType],
    *,
    currency_code: str,
    min_amount: str | None = None,
    fee: str | None = None,
    interest_basis_points: int = 0,
) -> dunning_pb2.DunningLevel:
    """A policy level; amounts are decimal text in currency_code ("25.00")."""
    level = dunning_pb2.DunningLevel(
        day_offset=day_offset, channels=channels, interest_basis_points=interest_basis_points
    )
    if min_amount is not None:
        level.min_amount.CopyFrom(money(min_amount, currency_code))
    if fee is not None:
        level.fee.CopyFrom(money(fee, currency_code))
    return level
