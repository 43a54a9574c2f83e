"""A journal no one can quietly rewrite, on SQLite and PostgreSQL.

Through the app's connection the database refuses UPDATE, DELETE (and on PostgreSQL TRUNCATE) of
money rows; on PostgreSQL a role with only SELECT and INSERT on them is refused by the grants
themselves. An owner can drop the triggers, so each tamper case below lifts them and rewrites the
book directly: the JOURNAL_CHAIN_INTACT invariant must fail, or, where the tamperer re-computed
the chain with the public algorithm, the head digest published before the tamper must no longer
be the report's. The module prints how many cases were detected on each database.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from engine import customers, invoices, journal_chain, payments, returns
from engine import model as m
from engine.app import CashApp
from engine.applying import ApplyRequest, apply_allocations
from engine.invariants import reconciliation_report
from engine.invoices import InvoiceDraft
from engine.money import Money
from engine.payments import PaymentDraft
from engine.storage.append_only import APPEND_ONLY_TABLES, REFUSED, app_role_grants
from engine.storage.db import Database
from engine.storage.store import Store
from tests.databases import BACKENDS, REQUIRE_POSTGRES, database
from tests.tamper import guards_lifted

CHAIN = "JOURNAL_CHAIN_INTACT"
# Caught by: the invariant, or only by the digest published before (the chain was re-computed).
BY_INVARIANT, BY_DIGEST = CHAIN, "the head digest published before"


@dataclass
class Book:
    """One tenant's journal as written: entry ids by label ("PAYMENT_RECEIVED P1"), hashes by seq."""

    app: CashApp
    tenant: str
    seq: dict[str, int] = field(default_factory=dict)
    entry_id: dict[str, str] = field(default_factory=dict)
    hash_at: dict[int, str] = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        return self.app.db.engine.dialect.name

    @property
    def mine(self) -> str:
        """The SQL condition selecting this book's rows."""
        return f"tenant_id = '{self.tenant}'"


def _write_book(store: Store) -> None:
    customers.create_customer(store, m.Customer("C1", "ACME"))
    invoices.create_invoices(
        store,
        [
            InvoiceDraft("I1", "C1", Money(1000, "EUR"), "2026-11-01"),
            InvoiceDraft("I2", "C1", Money(500, "EUR"), "2026-11-01"),
        ],
    )
    for pid, amount, invoice in (("P1", 600, "I1"), ("P2", 500, "I2")):
        payments.create_payment(
            store, PaymentDraft(pid, Money(amount, "EUR"), "2026-11-02", customer_id="C1")
        )
        apply_allocations(
            store, ApplyRequest(pid, (m.Allocation(invoice, amount),), m.ApplicationSource.MANUAL)
        )
    returns.return_goods(store, "R1", "I1", Money(100, "EUR"), "DAMAGED")


@pytest.fixture(scope="module", params=BACKENDS)
def database_of_books(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One migrated database per backend for the whole module: each test writes its book under a
    tenant of its own (tenants share nothing), which keeps the module fast on PostgreSQL."""
    for url in database(request.param, tmp_path_factory.mktemp("books")):
        Database(url).migrate()
        yield url


@pytest.fixture
def book(database_of_books: str) -> Iterator[Book]:
    db = Database(database_of_books)
    app = CashApp(db)
    written = Book(app, f"t-{uuid.uuid4().hex[:12]}")
    app.mutate(written.tenant, "", "setup", "", _write_book, lambda _: b"")
    query = text(
        "SELECT e.seq, e.entry_id, e.kind, e.entry_hash, l.payment_id, l.invoice_id "
        "FROM journal_entries e JOIN journal_lines l ON l.tenant_id = e.tenant_id "
        "AND l.entry_id = e.entry_id AND l.line_no = 0 WHERE e.tenant_id = :t ORDER BY e.seq"
    )
    with db.engine.connect() as conn:
        for row in conn.execute(query, {"t": written.tenant}):
            label = f"{row.kind} {row.payment_id or row.invoice_id}"
            written.seq[label], written.entry_id[label] = row.seq, row.entry_id
            written.hash_at[row.seq] = row.entry_hash
    assert len(written.seq) == 7, written.seq
    yield written
    db.dispose()


def _report(b: Book) -> m.ReconciliationReport:
    return b.app.read(b.tenant, reconciliation_report)


def _failed(report: m.ReconciliationReport) -> set[str]:
    return {c.name for c in report.invariants if not c.passed}


# --- the tamper cases -------------------------------------------------------------------------

LINE_COLUMNS = (
    "tenant_id, entry_id, line_no, account, currency, amount_minor, customer_id, invoice_id, payment_id"
)
ENTRY_COLUMNS = "tenant_id, entry_id, kind, reverses_entry_id, memo, create_us, seq, prev_hash, entry_hash"


def _shift_seq(b: Book, from_seq: int, by: int) -> list[str]:
    """Moves entries from `from_seq` on by `by`, in two steps (PostgreSQL checks the unique
    (tenant, seq) index row by row)."""
    return [
        f"UPDATE journal_entries SET seq = seq + 1000000 WHERE {b.mine} AND seq >= {from_seq}",
        f"UPDATE journal_entries SET seq = seq - 1000000 + {by} WHERE {b.mine} AND seq >= 1000000",
    ]


def _forged_entry(b: Book, seq: int, prev_hash: str) -> list[str]:
    """A balanced entry hashed correctly for its place, as a tamperer who knows the algorithm
    would write it (cash appears from nowhere)."""
    lines = (
        journal_chain.StoredLine(0, "CASH", "EUR", 50, "C1", None, "P1"),
        journal_chain.StoredLine(1, "UNAPPLIED_CASH", "EUR", -50, "C1", None, "P1"),
    )
    forged = journal_chain.StoredEntry("forged", "PAYMENT_RECEIVED", None, "forged", 1, lines)
    digest = journal_chain.entry_hash(b.tenant, seq, prev_hash, forged)
    values = ", ".join(
        f"('{b.tenant}', 'forged', {x.line_no}, '{x.account}', 'EUR', {x.amount_minor}, 'C1', NULL, 'P1')"
        for x in lines
    )
    return [
        f"INSERT INTO journal_entries ({ENTRY_COLUMNS}) VALUES ('{b.tenant}', 'forged', 'PAYMENT_RECEIVED', "
        f"NULL, 'forged', 1, {seq}, '{prev_hash}', '{digest}')",
        f"INSERT INTO journal_lines ({LINE_COLUMNS}) VALUES {values}",
    ]


def _entry(b: Book, label: str) -> str:
    return f"{b.mine} AND entry_id = '{b.entry_id[label]}'"


def _delete_entry(b: Book, label: str) -> list[str]:
    return [
        f"DELETE FROM journal_lines WHERE {_entry(b, label)}",
        f"DELETE FROM journal_entries WHERE {_entry(b, label)}",
    ]


def _rewrite_payment(b: Book) -> list[str]:
    """P1 600 -> 700: the row, its cached unapplied balance and both receipt lines, consistently."""
    receipt = _entry(b, "PAYMENT_RECEIVED P1")
    return [
        "UPDATE payments SET amount_minor = 700, unapplied_minor = unapplied_minor + 100 "
        f"WHERE {b.mine} AND payment_id = 'P1'",
        f"UPDATE journal_lines SET amount_minor = 700 WHERE {receipt} AND amount_minor = 600",
        f"UPDATE journal_lines SET amount_minor = -700 WHERE {receipt} AND amount_minor = -600",
    ]


def _erase_payment(b: Book) -> list[str]:
    """Every trace of P2: its applications, both of its journal entries, its row, its marks and
    keys, and the open amount of the invoice it paid restored."""
    return [
        *_delete_entry(b, "PAYMENT_RECEIVED P2"),
        *_delete_entry(b, "APPLICATION P2"),
        *[f"DELETE FROM {table} WHERE {b.mine} AND payment_id = 'P2'"
          for table in ("applications", "decision_marks", "payment_reference_keys", "payments")],
        f"UPDATE invoices SET open_minor = 500 WHERE {b.mine} AND invoice_id = 'I2'",
    ]  # fmt: skip


def _truncate(b: Book) -> list[str]:
    """The whole journal of every tenant (other tests' books are written before they tamper)."""
    verb = "TRUNCATE" if b.dialect == "postgresql" else "DELETE FROM"
    return [f"{verb} journal_lines", f"{verb} journal_entries"]


def _erase_book(b: Book) -> list[str]:
    tables = (
        "journal_lines", "journal_entries", "journal_heads", "applications", "returns",
        "decision_marks", "payment_reference_keys", "payments", "invoices", "payer_accounts", "customers",
    )  # fmt: skip
    return [f"DELETE FROM {table} WHERE {b.mine}" for table in tables]


@dataclass(frozen=True)
class Case:
    name: str
    statements: Callable[[Book], list[str]]
    caught_by: str = BY_INVARIANT
    # The five ledger invariants before the chain pass anyway (what the chain is for).
    five_pass: bool = False
    # The tamperer then re-computes every stored hash and the head with the public algorithm.
    rechain: bool = False


def _head(b: Book, assignment: str) -> str:
    return f"UPDATE journal_heads SET {assignment} WHERE {b.mine}"


CASES = [
    Case("update_amount_in_a_line", lambda b: [
        f"UPDATE journal_lines SET amount_minor = amount_minor + 1 WHERE {_entry(b, 'PAYMENT_RECEIVED P1')} "
        "AND line_no = 0"]),
    Case("update_memo_of_an_entry", lambda b: [
        f"UPDATE journal_entries SET memo = 'nothing here' WHERE {_entry(b, 'INVOICE_ISSUED I1')}"],
        five_pass=True),
    Case("move_a_line_to_another_invoice", lambda b: [
        f"UPDATE journal_lines SET invoice_id = 'I2' WHERE {_entry(b, 'APPLICATION P1')}"]),
    Case("delete_a_line", lambda b: [
        f"DELETE FROM journal_lines WHERE {_entry(b, 'APPLICATION P1')} AND line_no = 1"]),
    Case("delete_an_entry_with_its_lines", lambda b: _delete_entry(b, "APPLICATION P1")),
    Case("delete_the_last_entry_with_its_lines", lambda b: _delete_entry(b, "CREDIT_MEMO I1")),
    Case("delete_the_last_entry_and_rewind_the_head", lambda b: [
        *_delete_entry(b, "CREDIT_MEMO I1"),
        _head(b, f"seq = 6, entry_hash = '{b.hash_at[6]}'"),
        f"DELETE FROM returns WHERE {b.mine} AND return_id = 'R1'",
        f"UPDATE invoices SET open_minor = open_minor + 100 WHERE {b.mine} AND invoice_id = 'I1'"],
        caught_by=BY_DIGEST, five_pass=True),
    Case("insert_a_forged_entry_in_the_middle", lambda b: [
        *_shift_seq(b, 4, 1), *_forged_entry(b, 4, b.hash_at[3]), _head(b, "seq = seq + 1")]),
    Case("append_a_forged_entry_behind_the_head", lambda b: _forged_entry(b, 8, b.hash_at[7])),
    Case("reorder_two_entries", lambda b: [
        f"UPDATE journal_entries SET seq = -1 WHERE {_entry(b, 'PAYMENT_RECEIVED P1')}",
        f"UPDATE journal_entries SET seq = 3 WHERE {_entry(b, 'PAYMENT_RECEIVED P2')}",
        f"UPDATE journal_entries SET seq = 5 WHERE {_entry(b, 'PAYMENT_RECEIVED P1')}"],
        five_pass=True),
    Case("renumber_every_entry", lambda b: [*_shift_seq(b, 1, 10), _head(b, "seq = seq + 10")],
         five_pass=True),
    Case("move_an_entry_to_another_tenant", lambda b: [
        f"UPDATE {table} SET tenant_id = '{b.tenant}-other' WHERE {_entry(b, 'INVOICE_ISSUED I2')}"
        for table in ("journal_lines", "journal_entries")]),
    Case("orphan_lines_without_an_entry", lambda b: [
        f"INSERT INTO journal_lines ({LINE_COLUMNS}) "
        f"VALUES ('{b.tenant}', 'ghost', 0, 'CASH', 'EUR', 0, NULL, NULL, NULL)"], five_pass=True),
    Case("rewrite_a_payment_consistently", _rewrite_payment, five_pass=True),
    Case("rewrite_a_payment_and_rechain", _rewrite_payment, BY_DIGEST, five_pass=True, rechain=True),
    Case("erase_a_payments_whole_history", _erase_payment, five_pass=True),
    Case("truncate_the_journal", _truncate),
    Case("erase_the_whole_book", _erase_book, caught_by=BY_DIGEST, five_pass=True),
]  # fmt: skip


def _rechain(b: Book, conn: Connection) -> None:
    """What a tamperer who read engine/journal_chain.py does: re-hash every entry and the head."""
    rows = list(Store(conn, b.tenant).journal_chain())
    head = journal_chain.Head(0, journal_chain.GENESIS_HASH)
    update = text(
        "UPDATE journal_entries SET prev_hash = :p, entry_hash = :h WHERE tenant_id = :t AND entry_id = :e"
    )
    for c in journal_chain.extend(b.tenant, head, (r.entry for r in rows)):
        conn.execute(update, {"p": c.prev_hash, "h": c.entry_hash, "t": b.tenant, "e": c.entry.entry_id})
        head = journal_chain.Head(c.seq, c.entry_hash)
    conn.execute(text(_head(b, f"seq = {head.seq}, entry_hash = '{head.entry_hash}'")))


@pytest.fixture(scope="module")
def detected(request: pytest.FixtureRequest) -> Iterator[dict[str, list[str]]]:
    """Tamper cases detected per database, printed when the module is done."""
    found: dict[str, list[str]] = {}
    yield found
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():  # the report is for the person running the tests
        for backend, names in sorted(found.items()):
            reporter.write_line(f"\ntamper cases detected on {backend}: {len(names)}/{len(CASES)}")
            for name in names:
                reporter.write_line(f"  {name}")


def test_an_untouched_book_has_an_intact_chain_whose_head_is_the_last_entry(book: Book) -> None:
    report = _report(book)
    assert _failed(report) == set()
    assert report.journal_entry_count == 7
    assert report.journal_chain_head == book.hash_at[7]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_tampering_as_the_owner_is_detected(case: Case, book: Book, detected: dict[str, list[str]]) -> None:
    published = _report(book)
    with guards_lifted(book.app.db.engine) as conn:
        for sql in case.statements(book):
            conn.execute(text(sql))
        if case.rechain:
            _rechain(book, conn)
    report = _report(book)
    failed = _failed(report)
    digest_moved = (report.journal_chain_head, report.journal_entry_count) != (
        published.journal_chain_head,
        published.journal_entry_count,
    )
    if case.caught_by == BY_INVARIANT:
        assert CHAIN in failed, f"{case.name} went unnoticed by the chain"
    else:
        assert failed == set() and digest_moved, f"{case.name}: {failed}, digest moved: {digest_moved}"
    if case.five_pass:
        assert failed <= {CHAIN}, f"{case.name} was meant to fool the five older invariants: {failed}"
    detected.setdefault(book.dialect, []).append(f"{case.name} (by {case.caught_by})")


# --- the guards, through the app's own connection ---------------------------------------------


def _guarded_statements(b: Book) -> list[str]:
    statements = [
        sql
        for table in APPEND_ONLY_TABLES
        for sql in (f"UPDATE {table} SET tenant_id = tenant_id", f"DELETE FROM {table}")
    ]
    statements += ["UPDATE journal_heads SET seq = seq - 1", "DELETE FROM journal_heads"]
    if b.dialect == "postgresql":
        statements += [f"TRUNCATE {table}" for table in (*APPEND_ONLY_TABLES, "journal_heads")]
    else:
        copy = (
            "SELECT tenant_id, entry_id, line_no, account, currency, 1, NULL, NULL, NULL FROM journal_lines"
        )
        statements += [f"INSERT OR REPLACE INTO journal_lines {copy} WHERE {b.mine} AND line_no = 0"]
    return statements


def test_the_database_refuses_changes_to_money_rows(book: Book) -> None:
    before = _report(book)
    refused = []
    for sql in _guarded_statements(book):
        with pytest.raises(DBAPIError, match=REFUSED), book.app.db.engine.begin() as conn:
            conn.execute(text(sql))
        refused.append(sql)
    after = _report(book)
    assert (after.journal_chain_head, after.journal_entry_count) == (
        before.journal_chain_head,
        before.journal_entry_count,
    )
    assert _failed(after) == set()
    assert len(refused) >= 10


def test_a_refused_change_fails_at_once_instead_of_being_retried(book: Book) -> None:
    attempts = []

    def rewrite(conn: Connection) -> None:
        attempts.append(1)
        conn.execute(text(f"UPDATE journal_lines SET amount_minor = 0 WHERE {book.mine}"))

    with pytest.raises(DBAPIError, match=REFUSED):
        book.app.db.transact(rewrite)
    assert len(attempts) == 1


# --- PostgreSQL: a role without UPDATE and DELETE ---------------------------------------------


@pytest.fixture
def app_role_url(book: Book) -> Iterator[str]:
    """A login role with the app's grants (engine.storage.append_only.app_role_grants) on the
    book's database, whose schema the test's (migration) role owns."""
    if book.dialect != "postgresql":
        pytest.skip("roles and grants are PostgreSQL's")
    role, password = f"cashapp_app_{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
    owner = book.app.db.engine
    with owner.begin() as conn:
        may = conn.execute(text("SELECT rolcreaterole FROM pg_roles WHERE rolname = current_user")).scalar()
        if not may:
            if REQUIRE_POSTGRES:
                pytest.fail("the test role needs CREATEROLE: run `make postgres`")
            pytest.skip("the test role may not create roles: run `make postgres`")
        conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
        for sql in app_role_grants(role):
            conn.execute(text(sql))
    try:
        yield owner.url.set(username=role, password=password).render_as_string(hide_password=False)
    finally:
        with owner.begin() as conn:
            conn.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}"))
            conn.execute(text(f"REVOKE ALL ON SCHEMA public FROM {role}"))
            conn.execute(text(f"DROP ROLE {role}"))


def test_the_app_runs_as_a_role_that_may_not_update_or_delete_money_rows(
    book: Book, app_role_url: str
) -> None:
    db = Database(app_role_url)
    try:
        db.migrate()  # as the server does at start: at head already, so nothing to do
        as_role = Book(CashApp(db), book.tenant)

        def more(store: Store) -> None:
            payments.create_payment(
                store, PaymentDraft("P3", Money(200, "EUR"), "2026-11-03", customer_id="C1")
            )
            apply_allocations(
                store, ApplyRequest("P3", (m.Allocation("I1", 200),), m.ApplicationSource.MANUAL)
            )

        as_role.app.mutate(book.tenant, "", "more", "", more, lambda _: b"")
        report = _report(as_role)
        assert _failed(report) == set() and report.journal_entry_count == 9
        denied = []
        for table in APPEND_ONLY_TABLES:
            for sql in (
                f"UPDATE {table} SET tenant_id = tenant_id",
                f"DELETE FROM {table}",
                f"TRUNCATE {table}",
            ):
                with pytest.raises(DBAPIError, match="permission denied"), db.engine.begin() as conn:
                    conn.execute(text(sql))
                denied.append(sql)
        assert len(denied) == 3 * len(APPEND_ONLY_TABLES)
    finally:
        db.dispose()
