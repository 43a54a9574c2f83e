"""Concurrent clients against one real server never over-apply an invoice or a payment: many
threads applying overlapping payments to the same invoices, AutoApply racing a manual apply of the
same payment, a payment return racing its application; on SQLite and PostgreSQL. The fixture
checks the five ledger invariants afterwards.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc

from cashapp_client import (
    AbortedError,
    Allocation,
    CashappError,
    Client,
    FailedPreconditionError,
    Payment,
    money,
)
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb

THREADS = 8
ATTEMPTS_PER_THREAD = 16
INVOICE_MINOR = 10_000
REFUSALS = {"INVOICE_OVER_APPLIED", "PAYMENT_OVER_APPLIED", "NOTHING_TO_UNAPPLY"}


def _active(payment: pb.Payment) -> list[pb.Application]:
    return [
        a for a in payment.applications if not a.reversed_by_application_id and not a.reverses_application_id
    ]


def _outcome(call: Callable[[], object]) -> str:
    """'ok', the reason of an expected refusal, or 'ABORTED'; anything else fails the test."""
    try:
        call()
    except FailedPreconditionError as error:
        assert error.reason in REFUSALS, error
        return error.reason
    except AbortedError:
        return "ABORTED"
    return "ok"


def _check_books(client: Client, invoice_ids: list[str], payment_ids: list[str]) -> None:
    applied_to: Counter[str] = Counter()
    for pid in payment_ids:
        payment = client.get_payment(pid)
        active = sum(a.amount.amount_minor for a in _active(payment))
        assert active <= payment.amount.amount_minor, pid
        assert active == payment.applied_amount.amount_minor, pid
        assert (
            payment.applied_amount.amount_minor
            + payment.unapplied_amount.amount_minor
            + payment.returned_amount.amount_minor
            == payment.amount.amount_minor
        ), pid
        for a in _active(payment):
            applied_to[a.invoice_id] += a.amount.amount_minor
    for iid in invoice_ids:
        invoice = client.get_invoice(iid)
        amount, open_ = invoice.amount.amount_minor, invoice.open_amount.amount_minor
        assert 0 <= open_ <= amount, iid
        assert applied_to[iid] == amount - open_, iid


def test_eight_clients_applying_overlapping_payments_never_over_apply(client: Client, target: str) -> None:
    rng = random.Random(20261120)
    client.create_customer("C1", display_name="ACME GmbH", tolerance_minor=0)
    invoice_ids = ["INV-A", "INV-B", "INV-C"]
    for iid in invoice_ids:
        client.create_invoice(
            iid, customer_id="C1", amount=money(INVOICE_MINOR, "EUR"), issue_date="2026-11-01"
        )
    payment_ids = [f"P-{i:02d}" for i in range(16)]
    for pid in payment_ids:
        client.create_payment(
            pid, amount=money(rng.randrange(3000, 7001, 50), "EUR"), value_date="2026-11-20", customer_id="C1"
        )
    plans = [
        [
            (
                rng.choice(payment_ids),
                [
                    (iid, rng.randrange(500, 6001, 50))
                    for iid in rng.sample(invoice_ids, rng.choice((1, 1, 2)))
                ],
                rng.random() < 0.1,  # now and then un-apply instead, so invoices re-open under load
            )
            for _ in range(ATTEMPTS_PER_THREAD)
        ]
        for _ in range(THREADS)
    ]
    barrier = threading.Barrier(THREADS)

    def worker(plan: list[tuple[str, list[tuple[str, int]], bool]]) -> Counter[str]:
        outcomes: Counter[str] = Counter()
        with Client(target, timeout_seconds=30) as c:
            barrier.wait()
            for pid, allocations, unapply in plan:
                if unapply:
                    outcomes["unapply:" + _outcome(lambda c=c, pid=pid: c.unapply_payment(pid))] += 1
                    continue
                allocs = [Allocation(invoice_id=i, amount=money(a, "EUR")) for i, a in allocations]
                outcomes[_outcome(lambda c=c, pid=pid, allocs=allocs: c.apply_payment(pid, allocs))] += 1
        return outcomes

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = sum(pool.map(worker, plans), Counter())
    assert sum(outcomes.values()) == THREADS * ATTEMPTS_PER_THREAD
    assert outcomes["ok"] > 0, outcomes
    # 300.00 of invoices against ~800.00 of payments: the invoices fill up and refuse the rest.
    assert outcomes["INVOICE_OVER_APPLIED"] > 0, outcomes
    print(f"outcomes: {dict(outcomes)}")
    _check_books(client, invoice_ids, payment_ids)
    report = client.get_reconciliation_report()
    ar = [b for b in report.balances if b.account == "AR"]
    open_total = sum(client.get_invoice(i).open_amount.amount_minor for i in invoice_ids)
    assert abs(sum(b.balance_minor for b in ar)) == open_total


def _together(*calls: Callable[[], Any]) -> list[Any]:
    """Runs the calls in threads released at once; an error is returned as the call's result."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait()
        try:
            return call()
        except CashappError as error:
            return error

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


ROUNDS = 4


def test_auto_apply_racing_a_manual_apply_of_the_same_payment_applies_it_once(
    client: Client, target: str
) -> None:
    client.create_customer("C1", display_name="ACME GmbH", tolerance_minor=0)
    client.create_invoice("MAN", customer_id="C1", amount=money("1000.00", "EUR"), issue_date="2026-11-01")
    for r in range(ROUNDS):
        # Distinct amounts: each payment matches exactly its own invoice, unambiguously.
        client.create_invoice(
            f"AUTO-{r}", customer_id="C1", amount=money(10_100 + 100 * r, "EUR"), issue_date="2026-11-01"
        )
        client.create_payment(
            f"P-{r}", amount=money(10_100 + 100 * r, "EUR"), value_date="2026-11-20", customer_id="C1"
        )
    winners: Counter[str] = Counter()
    with Client(target, timeout_seconds=30) as auto_client, Client(target, timeout_seconds=30) as manual:
        for r in range(ROUNDS):
            pid, amount = f"P-{r}", 10_100 + 100 * r
            auto, applied = _together(
                lambda pid=pid: auto_client.auto_apply(payment_ids=[pid]),
                lambda pid=pid, amount=amount: manual.apply_payment(
                    pid, [Allocation(invoice_id="MAN", amount=money(amount, "EUR"))]
                ),
            )
            if isinstance(applied, CashappError):
                assert isinstance(applied, FailedPreconditionError), applied
                assert applied.reason == "PAYMENT_OVER_APPLIED", applied
            if isinstance(auto, CashappError):
                assert isinstance(auto, AbortedError), auto
            payment = client.get_payment(pid)
            (application,) = _active(payment)  # exactly one of the two took the payment
            assert application.amount.amount_minor == amount
            assert payment.unapplied_amount.amount_minor == 0
            winners[application.invoice_id.split("-")[0]] += 1
            manual_won = not isinstance(applied, CashappError)
            assert manual_won == (application.invoice_id == "MAN")
            if manual_won and not isinstance(auto, CashappError):
                # AutoApply saw the payment applied (nothing to decide) or lost at commit time.
                assert auto.auto_applied_count == 0
                assert all(d.reason == "STATE_CHANGED" for d in auto.decisions)
    _check_books(client, ["MAN", *[f"AUTO-{r}" for r in range(ROUNDS)]], [f"P-{r}" for r in range(ROUNDS)])
    man = client.get_invoice("MAN")
    paid_to_man = [client.get_payment(f"P-{r}").applications[0].invoice_id == "MAN" for r in range(ROUNDS)]
    assert man.amount.amount_minor - man.open_amount.amount_minor == sum(
        10_100 + 100 * r for r in range(ROUNDS) if paid_to_man[r]
    )
    assert sum(winners.values()) == ROUNDS


def test_auto_apply_while_payments_are_being_applied_never_fails_internally(
    client: Client, target: str
) -> None:
    count, appliers = 150, 4
    client.create_customer("C1", display_name="ACME GmbH", tolerance_minor=0)
    client.create_invoice("MAN", customer_id="C1", amount=money(10**9, "EUR"), issue_date="2026-11-01")
    ids = [f"P-{i:03d}" for i in range(count)]
    client.import_payments(
        [
            Payment(payment_id=pid, amount=money(100 + i, "EUR"), value_date="2026-11-20", customer_id="C1")
            for i, pid in enumerate(ids)
        ]
    )
    stop = threading.Event()
    auto_errors: list[CashappError] = []

    def apply_slice(k: int) -> None:
        with Client(target, timeout_seconds=30) as c:
            for i in range(k, count, appliers):
                c.apply_payment(ids[i], [Allocation(invoice_id="MAN", amount=money(100 + i, "EUR"))])

    def auto_apply_until_stopped() -> None:
        with Client(target, timeout_seconds=30) as c:
            while not stop.is_set():
                try:
                    c.auto_apply(customer_id="C1")
                except CashappError as error:
                    auto_errors.append(error)

    auto = threading.Thread(target=auto_apply_until_stopped)
    auto.start()
    try:
        with ThreadPoolExecutor(appliers) as pool:
            list(pool.map(apply_slice, range(appliers)))
    finally:
        stop.set()
        auto.join()
    assert not [e for e in auto_errors if not isinstance(e, AbortedError)], auto_errors
    _check_books(client, ["MAN"], ids)


def test_a_payment_return_racing_its_application_leaves_it_returned_and_the_invoice_open(
    client: Client, target: str
) -> None:
    client.create_customer("C1", display_name="ACME GmbH")
    outcomes: Counter[str] = Counter()
    with Client(target, timeout_seconds=30) as returner, Client(target, timeout_seconds=30) as applier:
        for r in range(ROUNDS):
            iid, pid = f"INV-{r}", f"P-{r}"
            client.create_invoice(
                iid, customer_id="C1", amount=money("100.00", "EUR"), issue_date="2026-11-01"
            )
            client.create_payment(
                pid, amount=money("100.00", "EUR"), value_date="2026-11-20", customer_id="C1"
            )
            ret, applied = _together(
                lambda pid=pid, r=r: returner.return_payment(f"R-{r}", payment_id=pid, reason_code="R01"),
                lambda pid=pid, iid=iid: applier.apply_payment(
                    pid, [Allocation(invoice_id=iid, amount=money("100.00", "EUR"))]
                ),
            )
            assert not isinstance(ret, CashappError), ret
            if isinstance(applied, CashappError):
                assert isinstance(applied, FailedPreconditionError), applied
                assert applied.reason == "PAYMENT_RETURNED", applied
                assert list(ret.reopened_invoice_ids) == []
                outcomes["return first"] += 1
            else:
                assert list(ret.reopened_invoice_ids) == [iid]
                outcomes["apply first"] += 1
            payment = client.get_payment(pid)
            assert payment.state == pb.PAYMENT_STATE_RETURNED
            assert payment.returned_amount.amount_minor == 10_000
            assert payment.applied_amount.amount_minor == 0
            assert _active(payment) == []
            assert client.get_invoice(iid).open_amount.amount_minor == 10_000
    assert sum(outcomes.values()) == ROUNDS
    _check_books(client, [f"INV-{r}" for r in range(ROUNDS)], [f"P-{r}" for r in range(ROUNDS)])


def test_no_concurrent_call_ever_fails_with_an_internal_error(client: Client, target: str) -> None:
    """Many writers at once on one invoice: refusals and aborts only, never INTERNAL/UNKNOWN."""
    client.create_customer("C1", display_name="ACME GmbH")
    client.create_invoice("INV-1", customer_id="C1", amount=money("50.00", "EUR"), issue_date="2026-11-01")
    for i in range(THREADS):
        client.create_payment(
            f"P-{i}", amount=money("10.00", "EUR"), value_date="2026-11-20", customer_id="C1"
        )
    clients = [Client(target, timeout_seconds=30) for _ in range(THREADS)]
    try:
        results = _together(
            *[
                (
                    lambda c=c, i=i: c.apply_payment(
                        f"P-{i}", [Allocation(invoice_id="INV-1", amount=money("10.00", "EUR"))]
                    )
                )
                for i, c in enumerate(clients)
            ]
        )
    finally:
        for c in clients:
            c.close()
    errors = [r for r in results if isinstance(r, CashappError)]
    expected = (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.ABORTED)
    assert all(e.code in expected for e in errors), errors
    ok = len(results) - len(errors)
    # Five 10.00 payments fit a 50.00 invoice; unless a conflict aborted one, exactly five win.
    aborted = sum(e.code == grpc.StatusCode.ABORTED for e in errors)
    assert 5 - aborted <= ok <= 5
    assert client.get_invoice("INV-1").open_amount.amount_minor == 5_000 - 1_000 * ok
