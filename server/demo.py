"""`cashapp demo`: a real server on the embedded default (SQLite), a small generated book loaded
through the Python client, AutoApply, the exception queue, a returned payment, and the
reconciliation report, printed for a person to read."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from cashapp_client import Client, Payment, PaymentTerms, money
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb
from engine.money import Money
from server.app import run_in_thread
from server.config import Settings, mask_url

DEMO_SEED = 20261122
ISSUE = "2026-11-01"
PAID = "2026-11-08"


def _eur(text: str) -> pb.Money:
    return money(text, "EUR")


def load_book(client: Client) -> None:
    client.create_customer(
        "C-ACME",
        display_name="ACME GmbH",
        payer_accounts=["DE89 3704 0044 0532 0130 00"],
        payment_terms=PaymentTerms(net_days=30, discount_days=10, discount_basis_points=200),
        tolerance_minor=500,
    )
    client.create_customer(
        "C-GLOBEX",
        display_name="Globex Corporation",
        name_aliases=["GLOBEX CORP"],
        payer_accounts=["123456789"],
    )
    client.create_customer(
        "C-INITECH", display_name="Initech LLC", payer_accounts=["GB82 WEST 1234 5698 7654 32"]
    )
    client.create_customer("C-UMBRELLA", display_name="Umbrella Holdings")
    client.create_customer(
        "C-STARK", display_name="Stark Industries Inc.", payer_accounts=["FR7630006000011234567890189"]
    )
    named = {
        "INV-1001": ("C-ACME", "1200.00"),
        "INV-1002": ("C-ACME", "850.00"),
        "INV-1003": ("C-ACME", "499.90"),
        "INV-2001": ("C-GLOBEX", "2310.45"),
        "INV-2002": ("C-GLOBEX", "689.55"),
        "INV-2003": ("C-GLOBEX", "410.00"),
        "INV-3001": ("C-INITECH", "1500.00"),
        "INV-3002": ("C-INITECH", "1500.00"),
        "INV-3003": ("C-INITECH", "3275.20"),
        "INV-4001": ("C-UMBRELLA", "918.37"),
        "INV-4002": ("C-UMBRELLA", "600.00"),
        "INV-4003": ("C-UMBRELLA", "400.00"),
        "INV-5001": ("C-STARK", "2400.00"),
        "INV-5002": ("C-STARK", "1100.00"),
    }
    rng = random.Random(DEMO_SEED)
    invoices = [
        pb.Invoice(invoice_id=iid, customer_id=cust, amount=_eur(amount), issue_date=ISSUE)
        for iid, (cust, amount) in named.items()
    ]
    for n, cust in enumerate(["C-ACME", "C-GLOBEX", "C-INITECH", "C-UMBRELLA"] * 6):
        cents = int(10 ** rng.uniform(3, 6))  # 10.00 .. 10,000.00
        invoices.append(
            pb.Invoice(
                invoice_id=f"INV-9{n:03d}",
                customer_id=cust,
                amount=money(cents, "EUR"),
                issue_date="2026-10-15",
            )
        )
    client.batch_create_invoices(invoices)
    payments = [
        Payment(
            payment_id="BANK-01",
            amount=_eur("1200.00"),
            value_date=PAID,
            payer_account="DE89370400440532013000",
            references=["INV-1001"],
        ),
        Payment(
            payment_id="BANK-02",
            amount=_eur("833.00"),
            value_date=PAID,
            payer_name="ACME GMBH",
            remittance_info="Payment inv 1OO2 less 2% skonto",
        ),
        Payment(
            payment_id="BANK-03",
            amount=_eur("496.40"),
            value_date="2026-11-20",
            payer_account="DE89370400440532013000",
            remittance_info="INV-1003",
        ),
        Payment(payment_id="BANK-04", amount=_eur("3000.00"), value_date=PAID, payer_account="123-456-789"),
        Payment(
            payment_id="BANK-05",
            amount=_eur("510.00"),
            value_date=PAID,
            payer_account="123456789",
            references=["INV-2003"],
        ),
        Payment(
            payment_id="BANK-06",
            amount=_eur("1500.00"),
            value_date=PAID,
            payer_account="GB82WEST12345698765432",
        ),
        Payment(
            payment_id="BANK-07",
            amount=_eur("3075.20"),
            value_date=PAID,
            payer_account="GB82WEST12345698765432",
            remittance_info="re INV-3003, disputed freight",
        ),
        Payment(payment_id="BANK-08", amount=_eur("918.37"), value_date=PAID, payer_name="UMBRELLA HOLDINGS"),
        Payment(payment_id="BANK-09", amount=_eur("75.00"), value_date=PAID, payer_name="John Doe"),
        Payment(payment_id="BANK-10", amount=_eur("1.23"), value_date=PAID, payer_account="123456789"),
        Payment(
            payment_id="BANK-11",
            amount=money("640.00", "USD"),
            value_date=PAID,
            payer_account="DE89370400440532013000",
        ),
        # Two transfers that only together settle two invoices (many-to-many).
        Payment(payment_id="BANK-12", amount=_eur("700.00"), value_date=PAID, payer_name="Umbrella Holdings"),
        Payment(payment_id="BANK-13", amount=_eur("300.00"), value_date=PAID, payer_name="Umbrella Holdings"),
        # A split payment with references: each transfer alone would be short.
        Payment(
            payment_id="BANK-14",
            amount=_eur("1750.00"),
            value_date=PAID,
            payer_account="FR7630006000011234567890189",
            remittance_info="INV-5001 / 5002 part 1 of 2",
        ),
        Payment(
            payment_id="BANK-15",
            amount=_eur("1750.00"),
            value_date="2026-11-09",
            payer_name="STARK INDUSTRIES INC",
            remittance_info="INV-5001/INV-5002 part 2 of 2",
        ),
        # The same money again, days later: a possible duplicate of BANK-01.
        Payment(
            payment_id="BANK-16",
            amount=_eur("1200.00"),
            value_date="2026-11-12",
            payer_account="DE89370400440532013000",
            references=["INV-1001"],
        ),
    ]
    imported = client.import_payments(payments)
    print(f"Loaded 5 customers, {len(invoices)} invoices, {imported.created_count} payments.\n")


def _fmt(m: pb.Money) -> str:
    return Money(m.amount_minor, m.currency_code).format()


def print_decisions(client: Client) -> None:
    result = client.auto_apply(all_payments=True)
    print(
        f"AutoApply: {result.auto_applied_count} applied, {result.suggested_count} suggested, "
        f"{result.unmatched_count} unmatched\n"
    )
    for outcome, title in (
        (pb.DECISION_OUTCOME_AUTO_APPLIED, "APPLIED"),
        (pb.DECISION_OUTCOME_SUGGESTED, "SUGGESTED"),
        (pb.DECISION_OUTCOME_UNMATCHED, "UNMATCHED"),
    ):
        print(f"{title}:")
        for d in result.decisions:
            if d.outcome == outcome:
                print(f"  {d.payment_id:8} {d.reason:34} {d.explanation.summary}")
        print()


def resolve_queue(client: Client) -> None:
    for exc in client.list_exceptions():
        print(f"Exception {exc.payment_id} ({exc.reason}): {len(exc.suggestions)} ranked suggestions")
        for rank, s in enumerate(exc.suggestions, 1):
            print(f"  #{rank} score {s.score:3} {', '.join(s.invoice_ids)}")
        if exc.reason == "POSSIBLE_DUPLICATE":
            client.resolve_exception(exc.exception_id, on_account=True)
            print(f"  -> a person kept {exc.payment_id} on account (it repeats an applied payment)\n")
            continue
        if not exc.suggestions:
            # Unidentified or unexplained cash is queued too; here it waits for a person.
            print(f"  -> no suggestion: {exc.payment_id} stays in the queue for a person\n")
            continue
        client.resolve_exception(exc.exception_id, rank=1)
        print(f"  -> a person accepted suggestion #1 for {exc.payment_id}\n")


def return_one(client: Client) -> None:
    ret = client.return_payment("RET-01", payment_id="BANK-01", reason_code="R01")
    print(
        "Payment BANK-01 returned (R01 insufficient funds): "
        f"re-opened {', '.join(ret.reopened_invoice_ids)}; "
        f"INV-1001 open again: {_fmt(client.get_invoice('INV-1001').open_amount)}\n"
    )


def print_report(client: Client) -> bool:
    report = client.get_reconciliation_report()
    print("Reconciliation report")
    print(f"  {'account':16} {'ccy':4} {'debits':>14} {'credits':>14} {'balance':>14}")
    for b in report.balances:
        row = [
            Money(x, b.currency_code).format()[4:] for x in (b.debit_minor, b.credit_minor, b.balance_minor)
        ]
        print(f"  {b.account:16} {b.currency_code:4} {row[0]:>14} {row[1]:>14} {row[2]:>14}")
    print()
    for check in report.invariants:
        print(f"  [{'PASS' if check.passed else 'FAIL'}] {check.name}: {check.description}")
        for violation in check.violations:
            print(f"         {violation}")
    print(f"\nAll invariants hold: {report.all_passed}")
    return report.all_passed


def serve_console(target: str, listen: str) -> None:
    """Hands the queue to a person: one demo clerk with a fresh password, printed once."""
    import secrets

    from console.cli import serve
    from console.users import Clerk, hash_password

    password = secrets.token_urlsafe(12)
    clerks = {"clerk": Clerk("clerk", hash_password(password), token="")}
    print(f"Sign in to the console as 'clerk' with password {password}; Ctrl-C ends the demo.")
    serve(target, clerks, listen)


def run_demo(database_url: str | None, console_listen: str | None = None) -> int:
    with tempfile.TemporaryDirectory(prefix="cashapp-demo-") as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'cashapp.db'}"
        print(f"cashapp demo on {mask_url(url)}\n")
        with (
            run_in_thread(Settings(database_url=url, listen="127.0.0.1:0")) as running,
            Client(f"127.0.0.1:{running.port}") as client,
        ):
            load_book(client)
            print_decisions(client)
            if console_listen is not None:
                serve_console(f"127.0.0.1:{running.port}", console_listen)
                return 0 if print_report(client) else 1
            resolve_queue(client)
            return_one(client)
            return 0 if print_report(client) else 1
