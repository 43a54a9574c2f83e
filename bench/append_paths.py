"""Side by side in one process: the journal's append path as SQLAlchemy Core executemany (the
code before bench/RESULTS.md's "what each change bought" row) and as the driver's executemany
(StoreBase._insert_many, today's code), on the same database, alternating rounds so both see the
same machine load. Prints CPU seconds per 1,000 entries (3 lines each, as an auto-application).

    python -m bench.append_paths --rounds 20 --entries 500 [--database postgres]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from functools import partial
from pathlib import Path

from sqlalchemy import Connection, insert

from bench.quality.server import fresh_database
from engine import journal_chain as chain
from engine import ledger
from engine.model import Account
from engine.storage import tables as t
from engine.storage.db import Database
from engine.storage.store import Store


def _entries(n: int, now: int) -> list[ledger.JournalEntry]:
    made = []
    for i in range(n):
        tags = {"customer_id": f"C{i % 97}", "invoice_id": f"INV-{i}", "payment_id": f"P-{i}"}
        lines = [
            ledger.Line(Account.UNAPPLIED_CASH, "EUR", 1000 + i, **tags),
            ledger.Line(Account.DISCOUNTS, "EUR", 20, **tags),
            ledger.Line(Account.AR, "EUR", -(1020 + i), **tags),
        ]
        made.append(ledger.entry("APPLICATION", f"application of payment P-{i}", lines, now))
    return made


def _core_insert(store: Store, entries: list[ledger.JournalEntry]) -> None:
    """The append as it was: one dict per row through SQLAlchemy Core."""
    head = store._lock_head()
    chained = list(chain.extend(store.tenant_id, head, map(chain.stored, entries)))
    store.conn.execute(
        insert(t.journal_entries),
        [
            {"tenant_id": store.tenant_id, "entry_id": c.entry.entry_id, "kind": c.entry.kind,
             "reverses_entry_id": c.entry.reverses_entry_id, "memo": c.entry.memo,
             "create_us": c.entry.create_us, "seq": c.seq, "prev_hash": c.prev_hash,
             "entry_hash": c.entry_hash}
            for c in chained
        ],
    )  # fmt: skip
    store.conn.execute(
        insert(t.journal_lines),
        [
            {"tenant_id": store.tenant_id, "entry_id": c.entry.entry_id, "line_no": x.line_no,
             "account": x.account, "currency": x.currency, "amount_minor": x.amount_minor,
             "customer_id": x.customer_id, "invoice_id": x.invoice_id, "payment_id": x.payment_id}
            for c in chained
            for x in c.entry.lines
        ],
    )  # fmt: skip
    last = chained[-1]
    store.conn.execute(
        t.journal_heads.update()
        .where(t.journal_heads.c.tenant_id == store.tenant_id)
        .values(seq=last.seq, entry_hash=last.entry_hash)
    )


def _append(name: str, entries: list[ledger.JournalEntry], conn: Connection) -> None:
    store = Store(conn, "t1")
    if name == "core":
        _core_insert(store, entries)
    else:
        store.insert_journal(entries)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--entries", type=int, default=500)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args(argv)
    cpu = {"core": 0.0, "driver": 0.0}
    with (
        tempfile.TemporaryDirectory(prefix="cashapp-append-") as tmp,
        fresh_database(args.database, Path(tmp)) as url,
    ):
        db = Database(url)
        db.migrate()
        for n in range(args.rounds):
            for name in ("core", "driver") if n % 2 == 0 else ("driver", "core"):
                entries = _entries(args.entries, time.time_ns() // 1000)
                started = time.process_time()
                db.transact(partial(_append, name, entries))
                cpu[name] += time.process_time() - started
        with db.reading() as conn:
            store = Store(conn, "t1")
            verdict = chain.verify("t1", store.journal_chain(), store.journal_head(), 5)
        db.dispose()
    total = args.rounds * args.entries / 1000
    print(f"{args.database}: {args.rounds} rounds of {args.entries} entries each way, chain intact: "
          f"{not verdict.violations} ({verdict.entry_count:,} entries)")  # fmt: skip
    for name, seconds in cpu.items():
        print(f"  {name:6} executemany: {seconds / total:.3f} CPU s per 1,000 entries")
    return 0 if not verdict.violations else 1


if __name__ == "__main__":
    raise SystemExit(main())
