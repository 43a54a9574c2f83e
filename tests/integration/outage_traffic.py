"""Bounded client traffic for outage tests, with every call's outcome counted by status code.

Probe workers use a client without retries, so each call's code is what the server answered
(the "outage calls by code"). Riding workers use a client with generous retries and must never
see an error across a short outage. Every worker loops over one small cash cycle with fresh
ids -- create an invoice, create a payment, apply 4.00 of it, read the payment back -- and
remembers how each ApplyPayment ended, so the test can prove afterwards that no write was doubled.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import grpc

from cashapp_client import Allocation, CashappError, Client, money

T = TypeVar("T")

CUSTOMER_ID = "OUTAGE-CUSTOMER"
INVOICE_AMOUNT = "10.00"
APPLIED_AMOUNT = "4.00"
CURRENCY = "EUR"
# Bounds on the traffic: iterations per worker and a pause between calls (2 cores are shared).
MAX_ITERATIONS_PER_WORKER = 2_000
PAUSE_SECONDS = 0.02
PROBE_TIMEOUT_SECONDS = 5.0
RIDING_TIMEOUT_SECONDS = 30.0
RIDING_MAX_ATTEMPTS = 30
OK = "OK"


@dataclass
class Tally:
    """Calls by (phase, code); the phase is the test's phase when the call started."""

    phase: str = "before"
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    # payment_id -> code of its ApplyPayment (OK, or the error the caller saw).
    applies: dict[str, str] = field(default_factory=dict)
    riding_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, phase: str, code: str) -> None:
        with self.lock:
            self.counts[(phase, code)] += 1

    def by_code(self, phase: str) -> dict[str, int]:
        with self.lock:
            return {code: n for (p, code), n in sorted(self.counts.items()) if p == phase}

    def ok_calls(self, phase: str) -> int:
        return self.by_code(phase).get(OK, 0)


class Traffic:
    """Worker threads against one server until `stop` is set (or their iteration bound)."""

    def __init__(self, target: str, tally: Tally) -> None:
        self.target = target
        self.tally = tally
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self, probes: int, riders: int) -> None:
        for index in range(probes):
            self._spawn(f"probe{index}", riding=False)
        for index in range(riders):
            self._spawn(f"rider{index}", riding=True)

    def join(self, timeout_seconds: float) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout_seconds)
            assert not thread.is_alive(), f"traffic worker {thread.name} did not stop"

    def _spawn(self, name: str, *, riding: bool) -> None:
        thread = threading.Thread(target=self._work, args=(name, riding), name=name, daemon=True)
        self.threads.append(thread)
        thread.start()

    def _work(self, name: str, riding: bool) -> None:
        if riding:
            client = Client(
                self.target, timeout_seconds=RIDING_TIMEOUT_SECONDS, max_attempts=RIDING_MAX_ATTEMPTS
            )
        else:
            client = Client(self.target, timeout_seconds=PROBE_TIMEOUT_SECONDS, max_attempts=1)
        with client:
            for iteration in range(MAX_ITERATIONS_PER_WORKER):
                if self.stop.is_set():
                    return
                self._cycle(client, f"{name}-{iteration}-{uuid.uuid4().hex[:6]}", riding)

    def _cycle(self, client: Client, key: str, riding: bool) -> None:
        """One cash cycle; a failed step ends it (later steps need the earlier ones)."""
        invoice_id, payment_id = f"I-{key}", f"P-{key}"
        steps: list[tuple[str, Callable[[], object]]] = [
            (
                "CreateInvoice",
                lambda: client.create_invoice(
                    invoice_id,
                    customer_id=CUSTOMER_ID,
                    amount=money(INVOICE_AMOUNT, CURRENCY),
                    issue_date="2026-11-01",
                ),
            ),
            (
                "CreatePayment",
                lambda: client.create_payment(
                    payment_id, amount=money(INVOICE_AMOUNT, CURRENCY), value_date="2026-11-02"
                ),
            ),
            (
                "ApplyPayment",
                lambda: client.apply_payment(
                    payment_id, [Allocation(invoice_id=invoice_id, amount=money(APPLIED_AMOUNT, CURRENCY))]
                ),
            ),
            ("GetPayment", lambda: client.get_payment(payment_id)),
        ]
        for method, step in steps:
            code = self._call(step, method, riding)
            if method == "ApplyPayment":
                with self.tally.lock:
                    self.tally.applies[payment_id] = code
            self.stop.wait(PAUSE_SECONDS)
            if code != OK:
                return

    def _call(self, step: Callable[[], object], method: str, riding: bool) -> str:
        phase = self.tally.phase
        try:
            step()
            code = OK
        except CashappError as error:
            code = error.code.name
        except grpc.RpcError as error:  # the client maps every RpcError; this would be a bug
            code = f"RAW_{error.__class__.__name__}"
        if riding:
            if code != OK:
                with self.tally.lock:
                    self.tally.riding_errors.append(f"{method} in phase {phase}: {code}")
        else:
            self.tally.record(phase, code)
        return code
