"""Deductions and disputes through the real server on SQLite and PostgreSQL: a short pay beyond
tolerance opens a deduction case when it is applied; each resolution posts its entry and keeps
every invariant; amounts add up; approvals above the limit take a second person; a disputed
invoice leaves amount matching but is settled when the remittance names it."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cashapp_client import (
    Allocation,
    AsyncClient,
    CaseKind,
    CaseResolution,
    CaseState,
    Client,
    FailedPreconditionError,
    Payment,
    money,
)
from cashapp_client import Case as CaseMsg
from cashapp_client._proto.cashapp.v1 import case_service_pb2 as cs
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb

IBAN = "DE89370400440532013000"


def _book(client: Client) -> None:
    client.create_customer("C1", display_name="ACME GmbH", payer_accounts=[IBAN], tolerance_minor=100)
    for iid, amount in (("INV-1", "100.00"), ("INV-2", "250.00"), ("INV-3", "73.00")):
        client.create_invoice(iid, customer_id="C1", amount=money(amount, "EUR"), issue_date="2026-11-01")


def _short_pay(client: Client, reason: str = "") -> CaseMsg:
    """P1 pays INV-2 (250.00) with 230.00 and a 20.00 deduction: returns the case it opened."""
    client.create_payment("P1", amount=money("230.00", "EUR"), value_date="2026-11-20", customer_id="C1")
    client.apply_payment(
        "P1",
        [
            Allocation(
                invoice_id="INV-2",
                amount=money("230.00", "EUR"),
                deduction=money("20.00", "EUR"),
                deduction_reason=reason,
            )
        ],
    )
    (case,) = client.list_cases(kind=cs.CASE_KIND_DEDUCTION)
    return case


def _balances(client: Client) -> dict[str, int]:
    report = client.get_reconciliation_report()
    failed = {c.name: list(c.violations) for c in report.invariants if not c.passed}
    assert report.all_passed, failed
    return {b.account: b.balance_minor for b in report.balances if b.currency_code == "EUR"}


def _amounts(case: CaseMsg) -> dict[str, int]:
    names = ("open", "credited", "written_off", "rebilled", "collected", "cancelled")
    parts = {n: getattr(case, f"{n}_amount").amount_minor for n in names}
    assert sum(parts.values()) == case.original_amount.amount_minor, parts
    return {n: v for n, v in parts.items() if v}


def _research(client: Client, case_id: str) -> None:
    client.transition_case(case_id, target_state=cs.CASE_STATE_IN_RESEARCH, note="looking", actor="ann")


def test_a_short_pay_beyond_tolerance_auto_applied_opens_a_deduction_case(client: Client) -> None:
    _book(client)
    client.import_payments(
        [
            Payment(
                payment_id="P1",
                amount=money("230.00", "EUR"),
                value_date="2026-11-20",
                payer_account=IBAN,
                remittance_info="INV-2",
            )
        ]
    )
    client.auto_apply(all_payments=True)
    (case,) = client.list_cases()
    assert (case.kind, case.state, case.category) == (cs.CASE_KIND_DEDUCTION, cs.CASE_STATE_OPEN, "OTHER")
    assert (case.invoice_id, case.payment_id, case.customer_id) == ("INV-2", "P1", "C1")
    assert _amounts(case) == {"open": 2000}
    assert case.history[0].action == "OPENED" and case.history[0].actor == "system:auto-apply"
    assert _balances(client)["DEDUCTIONS"] == 2000


def test_a_payers_reason_code_chooses_the_category(client: Client) -> None:
    _book(client)
    case = _short_pay(client, reason="04")  # X12 426: Item Not Accepted - Damaged
    assert (case.category, case.reason_code) == ("DAMAGE", "04")
    assert client.get_payment("P1").applications[0].deduction.amount_minor == 2000


def test_each_resolution_posts_its_entry_and_the_amounts_add_up(client: Client) -> None:
    _book(client)
    client.update_case_settings(approval_limit_minor=None, write_off_limit_minor=500)
    case = _short_pay(client)
    _research(client, case.case_id)
    before = _balances(client)
    part = client.resolve_case(
        case.case_id,
        resolution=cs.CASE_RESOLUTION_CREDIT_MEMO,
        amount=money("8.00", "EUR"),
        note="price agreed",
        actor="ann",
    )
    after = _balances(client)
    assert after["DEDUCTIONS"] == before["DEDUCTIONS"] - 800
    assert after["CREDIT_MEMOS"] == before.get("CREDIT_MEMOS", 0) + 800
    assert part.state == cs.CASE_STATE_IN_RESEARCH and _amounts(part) == {"open": 1200, "credited": 800}
    client.resolve_case(
        case.case_id,
        resolution=cs.CASE_RESOLUTION_WRITE_OFF,
        amount=money("5.00", "EUR"),
        note="small",
        actor="ann",
    )
    assert _balances(client)["WRITE_OFFS"] == before.get("WRITE_OFFS", 0) + 500
    client.resolve_case(
        case.case_id,
        resolution=cs.CASE_RESOLUTION_COLLECT,
        amount=money("4.00", "EUR"),
        note="no proof of damage",
        actor="ann",
    )
    assert client.get_invoice("INV-2").open_amount.amount_minor == 400
    assert _balances(client)["AR"] == before["AR"] + 400
    done = client.resolve_case(
        case.case_id,
        resolution=cs.CASE_RESOLUTION_REBILL,
        rebill_invoice_id="INV-2-R",
        note="bill the freight again",
        actor="ann",
    )
    assert done.state == cs.CASE_STATE_INVALIDATED
    assert _amounts(done) == {"credited": 800, "written_off": 500, "collected": 400, "rebilled": 300}
    rebill = client.get_invoice("INV-2-R")
    assert (rebill.customer_id, rebill.amount.amount_minor, rebill.open_amount.amount_minor) == (
        "C1",
        300,
        300,
    )
    assert _balances(client)["DEDUCTIONS"] == 0
    actions = [(e.action, e.actor, e.note) for e in done.history]
    assert actions[1:3] == [("TRANSITIONED", "ann", "looking"), ("RESOLVED", "ann", "price agreed")]
    assert all(e.entry_id for e in done.history if e.action == "RESOLVED")


def test_a_dispute_credit_memo_lowers_the_invoice_and_a_cancel_moves_nothing(client: Client) -> None:
    _book(client)
    dispute = client.open_dispute(
        "DSP-1",
        invoice_id="INV-1",
        amount=money("30.00", "EUR"),
        note="customer says price was 70",
        reason_code="01",
        actor="bob",
    )
    assert (dispute.kind, dispute.category, dispute.customer_id) == (cs.CASE_KIND_DISPUTE, "PRICING", "C1")
    _research(client, "DSP-1")
    before = _balances(client)
    resolved = client.resolve_case(
        "DSP-1", resolution=cs.CASE_RESOLUTION_CREDIT_MEMO, note="right", actor="bob"
    )
    assert resolved.state == cs.CASE_STATE_VALIDATED and _amounts(resolved) == {"credited": 3000}
    assert client.get_invoice("INV-1").open_amount.amount_minor == 7000
    assert _balances(client)["AR"] == before["AR"] - 3000
    client.open_dispute("DSP-2", invoice_id="INV-3", amount=money("10.00", "EUR"), note="n", actor="bob")
    unchanged = _balances(client)
    cancelled = client.transition_case("DSP-2", target_state=cs.CASE_STATE_CANCELLED, note="withdrawn")
    assert cancelled.state == cs.CASE_STATE_CANCELLED and _amounts(cancelled) == {"cancelled": 1000}
    assert cancelled.history[-1].actor == "tenant:default"  # no actor given: the caller
    assert _balances(client) == unchanged


def test_a_resolution_above_the_limit_waits_for_a_second_person(client: Client) -> None:
    _book(client)
    client.update_case_settings(approval_limit_minor=1000)
    case = _short_pay(client)
    _research(client, case.case_id)
    before = _balances(client)
    waiting = client.resolve_case(
        case.case_id, resolution=cs.CASE_RESOLUTION_CREDIT_MEMO, note="ok", actor="ann"
    )
    assert waiting.pending.requested_by == "ann" and waiting.pending.amount.amount_minor == 2000
    assert _balances(client) == before and waiting.state == cs.CASE_STATE_IN_RESEARCH
    with pytest.raises(FailedPreconditionError) as same:
        client.approve_case(case.case_id, note="me too", actor="ann")
    assert (same.value.reason, [v.field for v in same.value.field_violations]) == (
        "APPROVER_MUST_DIFFER",
        ["actor"],
    )
    approved = client.approve_case(case.case_id, note="checked", actor="carl")
    assert approved.state == cs.CASE_STATE_VALIDATED and not approved.HasField("pending")
    assert [e.action for e in approved.history][-2:] == ["APPROVAL_REQUESTED", "APPROVED"]
    assert _balances(client)["CREDIT_MEMOS"] == before.get("CREDIT_MEMOS", 0) + 2000
    small = client.open_dispute(
        "DSP-1", invoice_id="INV-1", amount=money("9.00", "EUR"), note="n", actor="ann"
    )
    _research(client, small.case_id)
    alone = client.resolve_case("DSP-1", resolution=cs.CASE_RESOLUTION_COLLECT, note="owed", actor="ann")
    assert alone.state == cs.CASE_STATE_INVALIDATED  # at or under the limit: one person is enough


def test_a_rejected_approval_posts_nothing_and_leaves_the_case_open_to_another_resolution(
    client: Client,
) -> None:
    _book(client)
    client.update_case_settings(approval_limit_minor=1000)
    case = _short_pay(client)
    _research(client, case.case_id)
    before = _balances(client)
    client.resolve_case(case.case_id, resolution=cs.CASE_RESOLUTION_CREDIT_MEMO, note="ok", actor="ann")
    rejected = client.reject_case(case.case_id, note="proof of delivery is signed", actor="carl")
    assert rejected.state == cs.CASE_STATE_IN_RESEARCH and not rejected.HasField("pending")
    last = rejected.history[-1]
    assert (last.action, last.actor, last.note) == ("REJECTED", "carl", "proof of delivery is signed")
    assert (last.from_state, last.to_state) == (cs.CASE_STATE_IN_RESEARCH, cs.CASE_STATE_IN_RESEARCH)
    assert last.resolution == cs.CASE_RESOLUTION_CREDIT_MEMO and last.amount.amount_minor == 2000
    assert _balances(client) == before
    with pytest.raises(FailedPreconditionError) as none:
        client.reject_case(case.case_id, note="again", actor="carl")
    assert none.value.reason == "NO_PENDING_APPROVAL"
    # Open to another resolution, which again waits for a second person.
    collect = client.resolve_case(
        case.case_id, resolution=cs.CASE_RESOLUTION_COLLECT, note="owed", actor="ann"
    )
    approved = client.approve_case(collect.case_id, note="agreed", actor="carl")
    assert approved.state == cs.CASE_STATE_INVALIDATED


def test_reversing_an_application_cancels_its_untouched_case_and_refuses_a_resolved_one(
    client: Client,
) -> None:
    _book(client)
    case = _short_pay(client)
    client.unapply_payment("P1")
    assert client.get_case(case.case_id).state == cs.CASE_STATE_CANCELLED
    client.apply_payment(
        "P1", [Allocation(invoice_id="INV-2", amount=money("230.00", "EUR"), deduction=money("20.00", "EUR"))]
    )
    (second,) = client.list_cases(state=cs.CASE_STATE_OPEN)
    _research(client, second.case_id)
    client.resolve_case(
        second.case_id,
        resolution=cs.CASE_RESOLUTION_COLLECT,
        amount=money("1.00", "EUR"),
        note="part",
        actor="ann",
    )
    with pytest.raises(FailedPreconditionError) as refused:
        client.unapply_payment("P1")
    assert refused.value.reason == "DEDUCTION_CASE_RESOLVED"
    assert client.get_payment("P1").unapplied_amount.amount_minor == 0


def test_a_disputed_invoice_is_not_matched_by_amount_but_is_when_the_remittance_names_it(
    client: Client,
) -> None:
    _book(client)
    client.open_dispute("DSP-1", invoice_id="INV-3", amount=money("73.00", "EUR"), note="n", actor="bob")
    client.import_payments(
        [
            Payment(
                payment_id="P-AMT", amount=money("73.00", "EUR"), value_date="2026-11-20", payer_account=IBAN
            )
        ]
    )
    client.auto_apply(all_payments=True)
    assert client.get_invoice("INV-3").open_amount.amount_minor == 7300
    assert client.get_payment("P-AMT").state == pb.PAYMENT_STATE_UNAPPLIED
    client.import_payments(
        [
            Payment(
                payment_id="P-REF",
                amount=money("73.00", "EUR"),
                value_date="2026-11-21",
                payer_account=IBAN,
                remittance_info="INV-3",
            )
        ]
    )
    client.auto_apply(all_payments=True)
    assert client.get_invoice("INV-3").open_amount.amount_minor == 0
    assert client.get_payment("P-REF").state == pb.PAYMENT_STATE_APPLIED


def test_list_cases_filters_by_state_kind_customer_and_invoice(client: Client) -> None:
    _book(client)
    deduction = _short_pay(client)
    client.open_dispute("DSP-1", invoice_id="INV-1", amount=money("5.00", "EUR"), note="n", actor="bob")
    ids = lambda **kw: [c.case_id for c in client.list_cases(page_size=1, **kw)]  # noqa: E731
    assert ids() == sorted([deduction.case_id, "DSP-1"])
    assert ids(kind=cs.CASE_KIND_DISPUTE) == ["DSP-1"]
    assert ids(invoice_id="INV-2") == [deduction.case_id]
    assert ids(customer_id="C1", state=cs.CASE_STATE_OPEN) == sorted([deduction.case_id, "DSP-1"])
    assert ids(state=cs.CASE_STATE_IN_RESEARCH) == []
    _unused: Any = (CaseKind, CaseResolution, CaseState)


def test_health_reports_the_case_service_serving(target: str) -> None:
    with grpc.insecure_channel(target) as channel:
        status = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="cashapp.v1.CaseService"), timeout=10
        )
    assert status.status == health_pb2.HealthCheckResponse.SERVING


def test_the_async_client_opens_researches_and_lists_cases(client: Client, target: str) -> None:
    _book(client)

    async def scenario() -> list[str]:
        async with AsyncClient(target, timeout_seconds=30) as a:
            await a.open_dispute(
                "DSP-A", invoice_id="INV-1", amount=money("1.00", "EUR"), note="n", actor="x"
            )
            await a.transition_case("DSP-A", target_state=cs.CASE_STATE_IN_RESEARCH, note="n", actor="x")
            await a.resolve_case("DSP-A", resolution=cs.CASE_RESOLUTION_COLLECT, note="owed", actor="x")
            assert (await a.get_case("DSP-A")).state == cs.CASE_STATE_INVALIDATED
            assert (await a.get_case_settings()).write_off_limit_minor == 0
            return [k.case_id async for k in a.list_cases(state=cs.CASE_STATE_INVALIDATED)]

    assert asyncio.run(scenario()) == ["DSP-A"]
