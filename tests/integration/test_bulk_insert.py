"""The driver-level bulk insert (StoreBase._insert_rows): on PostgreSQL a batch of COPY_MIN_ROWS
rows or more goes through COPY, a smaller one through executemany; on SQLite always executemany.
Either way the rows read back exactly as written (text that COPY's text format must escape
included), a duplicate key is the IntegrityError Database.transact knows, and a refusal later
in the transaction leaves none of the rows. On both databases."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine import model as m
from engine import payments
from engine.app import CashApp
from engine.errors import InvalidArgument
from engine.invariants import reconciliation_report
from engine.money import Money
from engine.storage import store_base
from engine.storage import tables as t
from engine.storage.store import Store
from tests.span_capture import fresh_exporter

# Text COPY's text format escapes (tab, newline, carriage return, backslash, its \N for NULL),
# quotes, and characters beyond ASCII.
AWKWARD = ["tab\there", "line\nbreak", "cr\rhere", "back\\slash", "\\N", 'it\'s "quoted"', "Müller € ✓", ""]


def _drafts(count: int, prefix: str) -> list[payments.PaymentDraft]:
    return [
        payments.PaymentDraft(
            f"{prefix}{i:04}",
            Money(100 + i, "EUR"),
            "2026-11-02",
            payer_name=AWKWARD[i % len(AWKWARD)],
            remittance_info=f"{AWKWARD[(i + 3) % len(AWKWARD)]} INV-{i:05}",
            references=(f"INV-{i:05}", AWKWARD[i % len(AWKWARD)] or "x"),
            payer_account="DE89 3704 0044 0532 0130 00" if i % 2 else "",
            remittance_lines=(m.RemittanceLine(f"INV-{i:05}", paid_minor=100 + i),) if i % 3 else (),
            end_to_end_id=AWKWARD[(i + 1) % len(AWKWARD)],
        )
        for i in range(count)
    ]


@pytest.mark.parametrize("count", [3, store_base.COPY_MIN_ROWS + 5])
def test_bulk_rows_read_back_as_written(app: CashApp, count: int) -> None:
    created = app.write("T", lambda s: payments.create_new(s, _drafts(count, "P")))
    stored = app.read("T", lambda s: s.get_payments([p.payment_id for p in created], with_applications=False))
    assert [stored[p.payment_id] for p in created] == created
    # The journal lines (written by the same helper) balance, and every receipt has its entry.
    report = app.read("T", reconciliation_report)
    assert all(check.passed for check in report.invariants), [c for c in report.invariants if not c.passed]
    assert report.journal_entry_count == count
    k = t.payment_reference_keys.c
    naming = app.read(
        "T", lambda s: list(s.conn.execute(select(k.payment_id).where(k.key == "1NV00002")).scalars())
    )
    assert naming == ["P0002"]


def test_a_duplicate_key_in_a_bulk_insert_is_an_integrity_error_and_keeps_nothing(app: CashApp) -> None:
    drafts = _drafts(store_base.COPY_MIN_ROWS + 5, "D")
    built = [payments.build(d, 1, set()) for d in drafts]
    # On the transaction's connection itself: Database.transact would re-run the conflict (a
    # concurrent insert of the same key) and answer ABORTED after its last attempt.
    with pytest.raises(IntegrityError), app.db.engine.begin() as conn:
        Store(conn, "T").insert_payments([*built, built[0]])
    assert app.read("T", lambda s: s.get_payments([d.payment_id for d in drafts])) == {}


def test_a_refusal_after_a_bulk_insert_rolls_it_back(app: CashApp) -> None:
    drafts = _drafts(store_base.COPY_MIN_ROWS + 5, "R")

    def work(s: Store) -> None:
        payments.create_new(s, drafts)
        raise InvalidArgument("LATER_REFUSAL", "refused after the insert", "file")

    with pytest.raises(InvalidArgument):
        app.write("T", work)
    assert app.read("T", lambda s: s.get_payments([d.payment_id for d in drafts])) == {}
    assert app.read("T", lambda s: s.journal_head()) is None


def test_a_copy_is_traced_as_a_sql_statement(app: CashApp) -> None:
    """COPY goes past SQLAlchemy's cursor events (and so past its SQL instrumentation): its own
    CLIENT span names the statement and the rows it carried, as a statement's span would."""
    if app.db.engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's bulk path; SQLite inserts are traced by the instrumentation")
    spans = fresh_exporter()
    count = store_base.COPY_MIN_ROWS + 1
    app.write("T", lambda s: payments.create_new(s, _drafts(count, "P")))
    copies = [
        s
        for s in spans.get_finished_spans()
        if s.kind is trace.SpanKind.CLIENT
        and str((s.attributes or {}).get("db.statement", "")).startswith("COPY payments ")
    ]
    assert len(copies) == 1, [s.name for s in spans.get_finished_spans()]
    attributes = copies[0].attributes or {}
    assert attributes["db.system"] == "postgresql" and attributes["cashapp.rows"] == count
    assert copies[0].name.startswith("COPY")
