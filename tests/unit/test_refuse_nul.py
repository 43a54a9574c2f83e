"""server/convert.refuse_nul answers as a walk over every field would: the same refusal, naming
the same field, for random messages with or without NUL in any string and with numbers and empty
messages that put zero bytes in the wire form (its fast path reads that wire form)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cashapp_client._proto.cashapp.v1 import payment_service_pb2 as ps
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb
from engine.errors import InvalidArgument
from server import convert

_text = st.text(alphabet=st.sampled_from(["a", "Z", "7", " ", "\u00e9", "\x00", "\x01"]), max_size=6)
_numbers = st.sampled_from([0, 1, 255, 256, 65536, -1, 2**40])


@st.composite
def _payments(draw: st.DrawFn) -> pb.Payment:
    references = draw(st.lists(_text, max_size=3))
    p = pb.Payment(payment_id=draw(_text), payer_name=draw(_text), references=references)
    if draw(st.booleans()):
        p.amount.CopyFrom(pb.Money(currency_code=draw(_text), amount_minor=draw(_numbers)))
        if draw(st.booleans()):
            p.amount.scale = draw(st.sampled_from([0, 2]))  # explicit presence: 0 is on the wire
    if draw(st.booleans()):
        p.applied_amount.SetInParent()  # an empty message: a zero length on the wire
    return p


def _walked(msg: ps.ImportPaymentsRequest, skip: frozenset[str]) -> str | None:
    try:
        convert._refuse_nul_in_fields(msg, "", skip)
    except InvalidArgument as e:
        return e.violations[0].field
    return None


def _refused(msg: ps.ImportPaymentsRequest, skip: frozenset[str]) -> str | None:
    try:
        convert.refuse_nul(msg, skip=skip)
    except InvalidArgument as e:
        assert e.reason == "NUL_CHARACTER"
        return e.violations[0].field
    return None


@settings(max_examples=400, deadline=None)
@given(payments=st.lists(_payments(), max_size=4), request_id=_text, skip=st.booleans())
def test_the_fast_path_refuses_exactly_what_the_walk_refuses(
    payments: list[pb.Payment], request_id: str, skip: bool
) -> None:
    msg = ps.ImportPaymentsRequest(payments=payments, request_id=request_id)
    skipped = frozenset({"payments"}) if skip else frozenset()
    assert _refused(msg, skipped) == _walked(msg, skipped)


def test_a_nul_deep_in_a_repeated_message_is_named() -> None:
    payments = [pb.Payment(payment_id="P1"), pb.Payment(references=["a", "b\x00"])]
    msg = ps.ImportPaymentsRequest(payments=payments)
    assert _refused(msg, frozenset()) == "payments[1].references[1]"
    assert _refused(msg, frozenset({"payments"})) is None
