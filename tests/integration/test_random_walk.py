"""A seeded random walk through every mutating operation, against the real server on both
backends. After each step the five ledger invariants must hold; a refused step must be refused
for a business reason (never INTERNAL) and must change nothing."""

from __future__ import annotations

import random

import pytest

from cashapp_client import (
    Allocation,
    CashappError,
    Client,
    FailedPreconditionError,
    NotFoundError,
    Payment,
    PaymentTerms,
    money,
)

STEPS = 60
CUSTOMERS = ("C1", "C2", "C3")


def _setup(client: Client) -> None:
    terms = PaymentTerms(net_days=30, discount_days=10, discount_basis_points=200)
    for n, cid in enumerate(CUSTOMERS):
        client.create_customer(
            cid,
            display_name=f"Customer {cid} Ltd",
            payer_accounts=[f"ACCT{n}0000"],
            payment_terms=terms,
            tolerance_minor=100,
        )


class Walk:
    def __init__(self, client: Client, rng: random.Random) -> None:
        self.client, self.rng = client, rng
        self.invoices: list[str] = []
        self.payments: list[str] = []
        self.n = 0

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{self.n}"

    def new_invoice(self) -> None:
        iid = self._id("INV")
        cents = self.rng.choice([1000, 2500, 5000, 7300, self.rng.randint(100, 20000)])
        self.client.create_invoice(
            iid, customer_id=self.rng.choice(CUSTOMERS), amount=money(cents, "EUR"), issue_date="2026-11-01"
        )
        self.invoices.append(iid)

    def new_payment(self) -> None:
        pid = self._id("PAY")
        n = self.rng.randrange(len(CUSTOMERS))
        refs = [self.rng.choice(self.invoices)] if self.invoices and self.rng.random() < 0.4 else []
        cents = self.rng.choice([1000, 2500, 3500, 7300, 7500, self.rng.randint(100, 20000)])
        self.client.import_payments(
            [
                Payment(
                    payment_id=pid,
                    amount=money(cents, "EUR"),
                    value_date="2026-11-05",
                    payer_account=f"ACCT{n}0000",
                    references=refs,
                )
            ]
        )
        self.payments.append(pid)

    def apply(self) -> None:
        pid, iid = self.rng.choice(self.payments), self.rng.choice(self.invoices)
        self.client.apply_payment(
            pid, [Allocation(invoice_id=iid, amount=money(self.rng.randint(1, 5000), "EUR"))]
        )

    def unapply(self) -> None:
        self.client.unapply_payment(self.rng.choice(self.payments))

    def return_payment(self) -> None:
        self.client.return_payment(
            self._id("RET"), payment_id=self.rng.choice(self.payments), reason_code="R01"
        )

    def return_goods(self) -> None:
        self.client.return_goods(
            self._id("CM"),
            invoice_id=self.rng.choice(self.invoices),
            amount=money(self.rng.randint(1, 3000), "EUR"),
            reason_code="DAMAGED",
        )

    def void(self) -> None:
        self.client.void_invoice(self.rng.choice(self.invoices), reason="test")

    def auto_apply(self) -> None:
        self.client.auto_apply(all_payments=True)

    def resolve(self) -> None:
        # Unmatched cash is queued too, without suggestions: a person puts it on account.
        for exc in self.client.list_exceptions():
            if exc.suggestions:
                self.client.resolve_exception(exc.exception_id, rank=1)
                return
            if exc.customer_id:
                self.client.resolve_exception(exc.exception_id, on_account=True)
                return


@pytest.mark.parametrize("seed", [1, 2])
def test_every_step_of_a_random_walk_keeps_the_books_reconciled(client: Client, seed: int) -> None:
    rng = random.Random(seed)
    _setup(client)
    walk = Walk(client, rng)
    for _ in range(3):
        walk.new_invoice()
        walk.new_payment()
    actions = [
        walk.new_invoice,
        walk.new_payment,
        walk.apply,
        walk.apply,
        walk.unapply,
        walk.return_payment,
        walk.return_goods,
        walk.void,
        walk.auto_apply,
        walk.auto_apply,
        walk.resolve,
    ]
    refused = 0
    for step in range(STEPS):
        action = rng.choice(actions)
        before = client.get_reconciliation_report().balances
        try:
            action()
        except (FailedPreconditionError, NotFoundError):
            refused += 1
            assert client.get_reconciliation_report().balances == before, (
                f"refused {action.__name__} changed state"
            )
        except CashappError as error:
            pytest.fail(f"step {step} {action.__name__}: unexpected {error.code} {error.reason}: {error}")
        report = client.get_reconciliation_report()
        broken = {c.name: list(c.violations) for c in report.invariants if not c.passed}
        assert not broken, f"step {step} {action.__name__} broke {broken}"
    assert refused < STEPS  # the walk did real work, not only refusals
