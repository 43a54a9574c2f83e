"""DunningService messages <-> engine.dunning values, in one place."""

from __future__ import annotations

import datetime as dt

from cashapp_client._proto.cashapp.v1 import dunning_service_pb2 as ds
from engine.dunning import model as d
from engine.dunning.outbox import OutboxReport
from engine.errors import InvalidArgument
from server.convert import enum_in, money_in, money_out, timestamp

CHANNELS = {ch: ds.DunningChannel.Value(f"DUNNING_CHANNEL_{ch.value}") for ch in d.Channel}
SKIP_REASONS = {r: ds.DunningSkipReason.Value(f"DUNNING_SKIP_REASON_{r.value}") for r in d.SkipReason}
DELIVERY_STATES = {
    s: ds.DunningDeliveryState.Value(f"DUNNING_DELIVERY_STATE_{s.value}") for s in d.DeliveryState
}


def channel_in(value: int, field: str) -> d.Channel:
    channel = enum_in(CHANNELS, value, field)
    if channel is None:
        raise InvalidArgument("MISSING_CHANNEL", f"{field} is required", field)
    return channel


def delivery_state_in(value: int) -> d.DeliveryState | None:
    return enum_in(DELIVERY_STATES, value, "state")


def _amount_in(level: ds.DunningLevel, name: str, currency: str, field: str) -> int:
    """An optional Money of a level: absent is zero; present, it must be in the policy's currency."""
    if not level.HasField(name):  # type: ignore[arg-type]
        return 0
    msg = getattr(level, name)
    if msg.currency_code != currency:
        raise InvalidArgument(
            "CURRENCY_MISMATCH",
            f"must be in the policy's currency {currency}",
            f"{field}.{name}.currency_code",
        )
    return money_in(msg, f"{field}.{name}", positive=False).amount_minor


def levels_in(policy: ds.DunningPolicy) -> tuple[d.Level, ...]:
    if not policy.currency_code:
        raise InvalidArgument("MISSING_CURRENCY", "currency_code is required", "policy.currency_code")
    out = []
    for index, level in enumerate(policy.levels):
        field = f"policy.levels[{index}]"
        channels = tuple(channel_in(c, f"{field}.channels") for c in level.channels)
        out.append(
            d.Level(
                index + 1,
                level.day_offset,
                channels,
                _amount_in(level, "min_amount", policy.currency_code, field),
                _amount_in(level, "fee", policy.currency_code, field),
                level.interest_basis_points,
            )
        )
    return tuple(out)


def policy_out(p: d.Policy) -> ds.DunningPolicy:
    return ds.DunningPolicy(
        policy_id=p.policy_id,
        display_name=p.display_name,
        currency_code=p.currency,
        levels=[
            ds.DunningLevel(
                level=lv.level,
                day_offset=lv.day_offset,
                channels=[CHANNELS[c] for c in lv.channels],
                min_amount=money_out(lv.min_amount_minor, p.currency),
                fee=money_out(lv.fee_minor, p.currency),
                interest_basis_points=lv.interest_basis_points,
            )
            for lv in p.levels
        ],
        create_time=timestamp(p.create_us),
    )


def contact_out(c: d.Contact) -> ds.DunningContact:
    return ds.DunningContact(
        customer_id=c.customer_id,
        email=c.email,
        phone=c.phone,
        postal_address=c.postal_address,
        update_time=timestamp(c.update_us),
    )


def hold_out(h: d.Hold) -> ds.DunningHold:
    return ds.DunningHold(
        customer_id=h.customer_id,
        kind=h.kind,
        currency_code=h.currency,
        until_date=h.until.isoformat() if h.until else "",
        actor=h.actor,
        note=h.note,
        create_time=timestamp(h.create_us),
    )


def _date(day: dt.date) -> str:
    return day.isoformat()


def notice_out(n: d.Notice) -> ds.DunningNotice:
    return ds.DunningNotice(
        notice_id=n.notice_id,
        policy_id=n.policy_id,
        customer_id=n.customer_id,
        level=n.level,
        as_of_date=_date(n.as_of),
        items=[
            ds.DunningNoticeItem(
                invoice_id=i.invoice_id,
                due_date=_date(i.due_date),
                open_amount=money_out(i.open_minor, n.currency),
                days_past_due=i.days_past_due,
            )
            for i in n.items
        ],
        total=money_out(n.total_minor, n.currency),
        fee=money_out(n.fee_minor, n.currency),
        interest=money_out(n.interest_minor, n.currency),
        channels=[CHANNELS[c] for c in n.channels],
        create_time=timestamp(n.create_us),
    )


def skip_out(s: d.Skip) -> ds.DunningSkip:
    return ds.DunningSkip(
        customer_id=s.customer_id,
        currency_code=s.currency,
        invoice_id=s.invoice_id,
        reason=SKIP_REASONS[s.reason],
        detail=s.detail,
    )


def run_out(r: d.RunResult) -> ds.RunDunningResponse:
    return ds.RunDunningResponse(
        as_of_date=_date(r.as_of),
        dry_run=r.dry_run,
        notices=[notice_out(n) for n in r.notices],
        skips=[skip_out(s) for s in r.skips],
    )


def delivery_out(x: d.Delivery) -> ds.DunningDelivery:
    message = ds.DunningDelivery(
        notice_id=x.notice_id,
        channel=CHANNELS[x.channel],
        customer_id=x.customer_id,
        recipient=x.recipient,
        state=DELIVERY_STATES[x.state],
        attempts=x.attempts,
        last_error=x.last_error,
    )
    if x.state is d.DeliveryState.PENDING:
        message.next_attempt_time.CopyFrom(timestamp(x.next_attempt_us))
    if x.sent_us is not None:
        message.send_time.CopyFrom(timestamp(x.sent_us))
    return message


def outbox_out(r: OutboxReport) -> ds.DeliverDunningOutboxResponse:
    return ds.DeliverDunningOutboxResponse(sent=r.sent, retrying=r.retrying, failed=r.failed)
