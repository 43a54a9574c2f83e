"""Sending what the outbox holds: each due delivery is claimed (a guarded update with a lease),
sent outside any transaction, then recorded as SENT, or as a failure with its error and the
time of the next attempt (exponential backoff). After MAX_ATTEMPTS, or a failure retrying cannot
help, it is FAILED and listed with its error; retry_delivery puts it back in line.

A SENT delivery is never claimed again, so running the outbox any number of times, from any
number of replicas, sends each notice once per channel.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass

from engine import validate as v
from engine.app import CashApp
from engine.dunning.channels import PermanentFailure, Sender, TransientFailure
from engine.dunning.model import Channel, Contact, Delivery, DeliveryState, Notice
from engine.dunning.render import render
from engine.errors import FailedPrecondition, NotFound
from engine.storage.store import Store, now_us

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_BACKOFF_US = 30 * 1_000_000  # 30 s, doubling: 30 s, 1 min, 2 min ... at most an hour
MAX_BACKOFF_US = 3600 * 1_000_000
# How long a claim holds: longer than any send takes (SMTP and HTTP time out after 30 s), so a
# claim lapses only when its process died, and the delivery is tried again.
LEASE_US = 5 * 60 * 1_000_000
DEFAULT_DELIVERIES_PER_CALL = 100
MAX_DELIVERIES_PER_CALL = 500
MAX_ERROR_CHARS = 1000


def backoff_us(attempts: int) -> int:
    """The wait after the `attempts`-th failed attempt."""
    wait: int = BASE_BACKOFF_US << max(attempts - 1, 0)
    return min(wait, MAX_BACKOFF_US)


@dataclass(frozen=True, slots=True)
class OutboxReport:
    sent: int
    retrying: int
    failed: int


def deliver_due(
    app: CashApp,
    tenant_id: str,
    senders: dict[Channel, Sender],
    *,
    limit: int = DEFAULT_DELIVERIES_PER_CALL,
    now: int | None = None,
) -> OutboxReport:
    """Sends up to `limit` deliveries that are due at `now` (default: the clock)."""
    at = now_us() if now is None else now
    due = app.read(tenant_id, lambda s: s.due_dunning_deliveries(at, min(limit, MAX_DELIVERIES_PER_CALL)))
    counts = {DeliveryState.SENT: 0, DeliveryState.PENDING: 0, DeliveryState.FAILED: 0}
    for delivery in due:
        outcome = _attempt(app, tenant_id, senders, delivery, at)
        if outcome is not None:
            counts[outcome] += 1
    return OutboxReport(
        counts[DeliveryState.SENT], counts[DeliveryState.PENDING], counts[DeliveryState.FAILED]
    )


def _attempt(
    app: CashApp, tenant_id: str, senders: dict[Channel, Sender], delivery: Delivery, at: int
) -> DeliveryState | None:
    notice_id, channel = delivery.notice_id, delivery.channel
    if not app.write(tenant_id, lambda s: s.claim_dunning_delivery(notice_id, channel, at, at + LEASE_US)):
        return None  # another sender has it, or it was sent meanwhile
    attempts = delivery.attempts + 1

    def load(store: Store) -> tuple[Notice, Contact, str]:
        notice = store.get_dunning_notices([notice_id])[notice_id]
        contact = store.dunning_contacts([notice.customer_id]).get(
            notice.customer_id, Contact(notice.customer_id)
        )
        customer = store.get_customer(notice.customer_id)
        return notice, contact, customer.display_name if customer else notice.customer_id

    notice, contact, name = app.read(tenant_id, load)
    state, error, recipient, next_at = DeliveryState.SENT, "", "", at
    try:
        recipient = senders[channel].send(notice, contact, render(notice, name))
    except PermanentFailure as exc:
        state, error = DeliveryState.FAILED, str(exc)
    except (TransientFailure, OSError, smtplib.SMTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"
        state = DeliveryState.FAILED if attempts >= MAX_ATTEMPTS else DeliveryState.PENDING
        next_at = at + backoff_us(attempts)
    except Exception as exc:
        # A sender's bug or a value no channel accepts (an address the SMTP library cannot
        # encode): recorded and retried like any failure, so it ends FAILED and listed instead
        # of leaving its claim to lapse and be retried forever.
        log.exception("dunning delivery %s/%s raised", notice_id, channel.value)
        error = f"{type(exc).__name__}: {exc}"
        state = DeliveryState.FAILED if attempts >= MAX_ATTEMPTS else DeliveryState.PENDING
        next_at = at + backoff_us(attempts)
    if state is not DeliveryState.SENT:
        log.warning("dunning delivery %s/%s attempt %d failed: %s", notice_id, channel.value, attempts, error)
    app.write(
        tenant_id,
        lambda s: s.finish_dunning_delivery(
            notice_id,
            channel,
            state,
            recipient=recipient,
            error=error[:MAX_ERROR_CHARS],
            next_attempt_us=next_at,
            sent_us=at if state is DeliveryState.SENT else None,
        ),
    )
    return state


def retry_delivery(store: Store, notice_id: str, channel: Channel) -> Delivery:
    """Puts a FAILED delivery back in line (after its address was fixed, say), due now."""
    v.require_id(notice_id, "notice_id")
    delivery = store.get_dunning_delivery(notice_id, channel)
    if delivery is None:
        raise NotFound(
            "DELIVERY_NOT_FOUND", f"notice {notice_id!r} has no {channel.value} delivery", "notice_id"
        )
    if delivery.state is not DeliveryState.FAILED:
        raise FailedPrecondition(
            "DELIVERY_NOT_FAILED",
            f"the delivery is {delivery.state.value}; only a FAILED one is retried",
            "notice_id",
        )
    store.requeue_dunning_delivery(notice_id, channel, now_us())
    again = store.get_dunning_delivery(notice_id, channel)
    assert again is not None
    return again
