"""The importer on hand-built ParsedFiles (what any reader yields), against a real SQLite store:
batches itemized by later advice, returns in the same file as their payment, repeats inside one
file, control totals and warnings carried into the summary, and refusals that store nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from engine import payments
from engine.app import CashApp
from engine.errors import InvalidArgument
from engine.ingest import importer
from engine.ingest.records import ControlTotal, Entry, EntryKind, ParsedFile, entry_identity
from engine.ingest.summary import ImportSummary
from engine.invariants import reconciliation_report
from engine.model import RemittanceLine
from engine.storage.db import Database
from engine.storage.payment_store import PaymentStore

DAY = dt.date(2026, 11, 20)
ACCOUNT = "DE02120300000000202051"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[CashApp]:
    db = Database(f"sqlite:///{tmp_path / 'importer.db'}")
    db.migrate()
    yield CashApp(db)
    report = CashApp(db).read("T", reconciliation_report)
    assert report.all_passed, [c.name for c in report.invariants if not c.passed]
    db.dispose()


def _entry(amount: int, reference: str, kind: EntryKind = EntryKind.PAYMENT, **extra: object) -> Entry:
    values: dict[str, object] = {
        "kind": kind, "currency": "EUR", "amount_minor": amount, "value_date": DAY,
        "location": f"Ntry[{reference}]", "account": ACCOUNT, "bank_reference": reference,
    }  # fmt: skip
    values.update(extra)
    return Entry(**values)  # type: ignore[arg-type]


def _upload(parsed: ParsedFile) -> importer.Upload:
    """Bytes of its own for each parsed file (its repr), so each is a new file."""
    return importer.Upload(repr(parsed).encode(), "file.xml", parsed.format)


def _import(app: CashApp, parsed: ParsedFile) -> importer.Imported:
    upload = _upload(parsed)
    return app.write("T", lambda s: importer.import_parsed(s, upload, parsed))


def test_advice_itemizing_a_batch_adds_every_line_to_the_batch_payment(app: CashApp) -> None:
    batch = _entry(30000, "BATCH-1")
    _import(app, ParsedFile("camt.053", entries=[batch]))
    items = [
        _entry(10000, "", EntryKind.ADVICE, batch_id=batch.identity, end_to_end_id="E1",
               remittance=(RemittanceLine("INV-1", paid_minor=10000),), location="TxDtls[1]"),
        _entry(20000, "", EntryKind.ADVICE, batch_id=batch.identity, end_to_end_id="E2",
               remittance=(RemittanceLine("INV-2", paid_minor=20000),), location="TxDtls[2]"),
    ]  # fmt: skip
    result = _import(app, ParsedFile("camt.054", entries=items))
    assert (result.summary.counts.advice_linked, result.summary.counts.advice_held) == (2, 0)
    assert result.changed_payment_ids == [batch.identity]
    payment = app.read("T", lambda s: s.get_payment(batch.identity))
    assert payment is not None
    assert [line.reference for line in payment.remittance_lines] == ["INV-1", "INV-2"]
    assert payment.references == ("INV-1", "INV-2")


def test_a_return_in_the_same_file_as_its_payment_returns_it(app: CashApp) -> None:
    parsed = ParsedFile(
        "nacha",
        entries=[
            _entry(5000, "RET-1", EntryKind.RETURN, original_reference="TRACE-1", return_reason="R01"),
            _entry(5000, "TRACE-1"),
        ],
    )
    summary = _import(app, parsed).summary
    assert (summary.counts.created, summary.counts.returns) == (1, 1)
    payment = app.read("T", lambda s: s.get_payment(f"{ACCOUNT}/TRACE-1"))
    assert payment is not None and payment.returned_minor == 5000


def test_a_return_of_a_different_amount_is_kept_unmatched(app: CashApp) -> None:
    _import(app, ParsedFile("bai2", entries=[_entry(5000, "P-1")]))
    back = _import(
        app, ParsedFile("bai2", entries=[_entry(4000, "R-1", EntryKind.RETURN, original_reference="P-1")])
    )
    assert back.summary.counts.unmatched_returns == 1
    assert "partial return" in back.summary.exceptions[0].message
    kept = app.read("T", lambda s: s.unmatched_returns())
    assert [(r.return_id, r.amount_minor, r.original_reference) for r in kept] == [
        (f"{ACCOUNT}/R-1/return", 4000, "P-1")  # a return's identity carries its kind
    ]


def test_two_identical_transfers_in_one_file_are_two_payments(app: CashApp) -> None:
    twin = _entry(700, "", payer_name="Jane Doe", remittance_text="rent")
    summary = _import(app, ParsedFile("mt940", entries=[twin, twin])).summary
    assert summary.counts.created == 2
    ids = sorted(
        app.read("T", lambda s: list(s.get_payments([entry_identity(twin), entry_identity(twin) + "#2"])))
    )
    assert len(ids) == 2


def test_advice_naming_payments_of_two_accounts_is_held_not_guessed(app: CashApp) -> None:
    _import(
        app,
        ParsedFile("bai2", entries=[_entry(100, "SAME", account="A1"), _entry(200, "SAME", account="A2")]),
    )
    advice = _entry(100, "SAME", EntryKind.ADVICE, account="", remittance=(RemittanceLine("INV-9"),))
    summary = _import(app, ParsedFile("edi820", entries=[advice])).summary
    assert (summary.counts.advice_linked, summary.counts.advice_held) == (0, 1)
    assert "2 payments match" in summary.exceptions[0].message


def test_controls_and_warnings_reach_the_summary_and_long_text_is_cut_with_a_warning(app: CashApp) -> None:
    controls = [ControlTotal("file", 1, 100, declared_count=2, declared_sum_minor=100)]
    parsed = ParsedFile(
        "bai2",
        entries=[_entry(100, "LONG", payer_name="N" * 600)],
        warnings=["file: 1 entries counted, 2 declared"],
        controls=controls,
    )
    summary = _import(app, parsed).summary
    assert summary.controls == controls and not summary.controls[0].agrees
    assert summary.warnings[0] == "file: 1 entries counted, 2 declared"
    assert "payer_name cut to 512" in summary.warnings[1]


def test_the_stored_summary_answers_the_same_file_again(app: CashApp) -> None:
    parsed = ParsedFile("csv", entries=[_entry(100, "X-1")], controls=[ControlTotal("file", 1, 100)])
    upload = importer.Upload(b"same bytes", "a.csv", "csv")
    first = app.write("T", lambda s: importer.import_parsed(s, upload, parsed)).summary
    again = app.read("T", lambda s: importer.imported_before(s, upload))
    assert isinstance(again, ImportSummary) and again.already_imported
    assert (again.counts, again.controls, again.sha256) == (first.counts, first.controls, first.sha256)


def test_an_entry_the_engine_refuses_refuses_the_file_and_stores_nothing(app: CashApp) -> None:
    parsed = ParsedFile("csv", entries=[_entry(100, "OK-1"), _entry(100, "BAD", currency="EUX")])
    with pytest.raises(InvalidArgument) as refused:
        _import(app, parsed)
    assert refused.value.message.startswith("Ntry[BAD]: ")
    assert refused.value.violations[0].field == "file"
    assert app.read("T", lambda s: s.list_payments(100, "").items) == []
    assert app.read("T", lambda s: s.statement_file(_upload(parsed).sha256)) is None


def test_advice_in_another_currency_than_its_payment_is_held(app: CashApp) -> None:
    _import(app, ParsedFile("bai2", entries=[_entry(100, "FX-1")]))
    advice = _entry(100, "FX-1", EntryKind.ADVICE, currency="USD", remittance=(RemittanceLine("INV-1"),))
    summary = _import(app, ParsedFile("edi820", entries=[advice])).summary
    assert (summary.counts.advice_linked, summary.counts.advice_held) == (0, 1)
    assert "in EUR, the advice in USD" in summary.exceptions[0].message


@pytest.mark.parametrize(
    ("kind", "extra", "detail"),
    [
        (EntryKind.RETURN, {"original_reference": "R" * 257}, "original_reference"),
        (EntryKind.ADVICE, {"batch_id": "B" * 257}, "batch_id"),
        (EntryKind.ADVICE, {"remittance_text": "a\x00b"}, "NUL"),
        (EntryKind.RETURN, {"currency": "EURO"}, "currency"),
    ],
)
def test_an_entry_of_any_kind_that_cannot_be_stored_refuses_the_file(
    app: CashApp, kind: EntryKind, extra: dict[str, object], detail: str
) -> None:
    with pytest.raises(InvalidArgument) as refused:
        _import(app, ParsedFile("csv", entries=[_entry(100, "OK-1"), _entry(100, "BAD", kind, **extra)]))
    assert refused.value.message.startswith("Ntry[BAD]: ") and detail in refused.value.message
    assert app.read("T", lambda s: s.list_payments(100, "").items) == []


def test_every_id_is_looked_up_before_the_first_payment_is_inserted(
    app: CashApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Looked up between the inserts, PostgreSQL planned each look-up on the statistics of the
    table the import started from and scanned what the import had added (quadratic: a 100,000
    entry file took minutes). Three chunks; half the entries were imported before."""
    entries = [_entry(100 + i, f"REF-{i}") for i in range(2 * importer.CHUNK + 10)]
    _import(app, ParsedFile("camt.053", entries=entries[::2]))
    calls: list[str] = []
    monkeypatch.setattr(payments, "create_new", _recording(payments.create_new, "insert", calls))
    monkeypatch.setattr(PaymentStore, "get_payments", _recording(PaymentStore.get_payments, "lookup", calls))
    result = _import(app, ParsedFile("camt.053", entries=entries))
    assert (result.summary.counts.created, result.summary.counts.already_imported) == (
        len(entries) - len(entries[::2]),
        len(entries[::2]),
    )
    assert calls.count("insert") == 3
    assert "lookup" not in calls[calls.index("insert") :]


def _recording(function: Callable[..., Any], name: str, calls: list[str]) -> Callable[..., Any]:
    def recorded(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return function(*args, **kwargs)

    return recorded
