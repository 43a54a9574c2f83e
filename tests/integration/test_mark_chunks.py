"""Marking payments for a decision by more ids and keys than one statement may bind (a bank file
marks every payment it created): chunked, with the same payments marked as in one statement,
on both databases."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from engine import payments
from engine.app import CashApp
from engine.money import Money
from engine.storage import decision_store
from engine.storage.db import Database
from engine.storage.store import Store
from tests.databases import BACKENDS, database

COUNT = 23
WANTED = [f"P{i:03}" for i in range(0, COUNT, 2)]  # 12 ids: three chunks of 5


def _book(s: Store) -> None:
    for i in range(COUNT):
        draft = payments.PaymentDraft(
            f"P{i:03}", Money(100 + i, "EUR"), "2026-11-02", payer_name=f"Payer {i}"
        )
        payments.create_payment(s, draft)
    s.mark_decided(s.input_versions(f"P{i:03}" for i in range(COUNT)))


def _capture_mark_updates(
    into: list[Any], _c: Any, _cur: Any, statement: str, parameters: Any, _ctx: Any, _many: bool
) -> None:
    if statement.lstrip().upper().startswith("UPDATE DECISION_MARKS"):
        into.append(parameters)


@pytest.mark.parametrize("backend", BACKENDS)
def test_marks_in_chunks_reach_every_payment_once(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for url in database(backend, tmp_path):
        db = Database(url)
        db.migrate()
        app = CashApp(db)
        try:
            app.write("T", lambda s: _book(s))
            assert app.read("T", lambda s: s.payments_needing_decision(limit=100)) == []
            before = app.read("T", lambda s: s.input_versions(f"P{i:03}" for i in range(COUNT)))
            monkeypatch.setattr(decision_store, "MARK_CHUNK", 5)
            wanted = WANTED
            updates: list[Any] = []
            capture = functools.partial(_capture_mark_updates, updates)

            event.listen(db.engine, "before_cursor_execute", capture)
            marked = app.write(
                "T", lambda s: s.mark_needs_decision(payment_ids=WANTED, except_payment_ids=["P000"])
            )
            event.remove(db.engine, "before_cursor_execute", capture)
            # 12 ids in chunks of 5: three UPDATEs, each binding at most 5 of the wanted ids.
            values = [list(p.values()) if isinstance(p, dict) else list(p) for p in updates]
            bound = [{x for x in p if x in WANTED} - {"P000"} for p in values]  # P000: excluded
            assert len(bound) == 3 and all(len(ids) <= 5 for ids in bound)
            assert set().union(*bound) == set(wanted[1:])
            assert marked == len(wanted) - 1
            needing = app.read("T", lambda s: s.payments_needing_decision(limit=100))
            assert sorted(needing) == wanted[1:]
            after = app.read("T", lambda s: s.input_versions(f"P{i:03}" for i in range(COUNT)))
            assert {p for p in after if after[p] != before[p]} == set(wanted[1:])
        finally:
            db.dispose()
