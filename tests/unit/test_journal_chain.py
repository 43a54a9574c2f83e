"""The journal chain's encoding is frozen (stored hashes depend on it) and its verification names
each break once."""

from __future__ import annotations

import hashlib

from engine import journal_chain as chain
from engine.ledger import JournalEntry, Line
from engine.model import Account

LINES = (
    chain.StoredLine(0, "CASH", "EUR", 1250, "C1", None, "P1"),
    chain.StoredLine(1, "UNAPPLIED_CASH", "EUR", -1250, "C1", None, "P1"),
)
ENTRY = chain.StoredEntry("e1", "PAYMENT_RECEIVED", None, "payment P1 \u00e9", 1_764_600_000_000_000, LINES)


def _chained(n: int) -> list[chain.ChainedEntry]:
    entries = [ENTRY._replace(entry_id=f"e{i}") for i in range(n)]
    return list(chain.extend("t", chain.Head(0, chain.GENESIS_HASH), entries))


def test_the_hash_is_sha256_of_the_documented_canonical_encoding() -> None:
    encoded = (
        '["cashapp.journal.v1","t",1,"' + chain.GENESIS_HASH + '","e1","PAYMENT_RECEIVED",null,'
        '"payment P1 \\u00e9",1764600000000000,'
        '[[0,"CASH","EUR",1250,"C1",null,"P1"],[1,"UNAPPLIED_CASH","EUR",-1250,"C1",null,"P1"]]]'
    )
    assert chain.entry_hash("t", 1, chain.GENESIS_HASH, ENTRY) == hashlib.sha256(encoded.encode()).hexdigest()


def test_line_order_as_read_does_not_change_the_hash_but_every_field_does() -> None:
    base = chain.entry_hash("t", 1, chain.GENESIS_HASH, ENTRY)
    assert chain.entry_hash("t", 1, chain.GENESIS_HASH, ENTRY._replace(lines=LINES[::-1])) == base
    changed = [
        chain.entry_hash("u", 1, chain.GENESIS_HASH, ENTRY),
        chain.entry_hash("t", 2, chain.GENESIS_HASH, ENTRY),
        chain.entry_hash("t", 1, "1" * 64, ENTRY),
        chain.entry_hash("t", 1, chain.GENESIS_HASH, ENTRY._replace(memo="payment P1")),
        chain.entry_hash("t", 1, chain.GENESIS_HASH, ENTRY._replace(create_us=1)),
        chain.entry_hash("t", 1, chain.GENESIS_HASH, ENTRY._replace(lines=LINES[:1])),
        chain.entry_hash(
            "t",
            1,
            chain.GENESIS_HASH,
            ENTRY._replace(lines=(LINES[0]._replace(amount_minor=1251), LINES[1])),
        ),
    ]
    assert base not in changed and len(set(changed)) == len(changed)


def test_an_entry_is_hashed_with_its_memo_as_the_column_stores_it() -> None:
    entry = JournalEntry("e1", "X", "m" * 600, (Line(Account.CASH, "EUR", 1), Line(Account.AR, "EUR", -1)), 5)
    assert chain.stored(entry).memo == "m" * chain.MEMO_MAX_CHARS


def test_an_intact_chain_verifies_to_its_last_hash() -> None:
    rows = _chained(5)
    verdict = chain.verify("t", rows, chain.Head(5, rows[-1].entry_hash), limit=10)
    assert verdict == chain.Verdict(rows[-1].entry_hash, 5, ())
    assert chain.verify("t", [], None, limit=10) == chain.Verdict(chain.GENESIS_HASH, 0, ())


def test_one_changed_entry_is_one_violation_and_moves_the_digest() -> None:
    rows = _chained(5)
    rows[2] = rows[2]._replace(entry=rows[2].entry._replace(memo="changed"))
    verdict = chain.verify("t", rows, chain.Head(5, rows[-1].entry_hash), limit=10)
    assert len(verdict.violations) == 1 and "e2 (seq 3)" in verdict.violations[0]
    assert verdict.head_digest != rows[-1].entry_hash


def test_a_removed_entry_breaks_the_links_of_the_next_one() -> None:
    rows = _chained(5)
    verdict = chain.verify("t", rows[:2] + rows[3:], chain.Head(5, rows[-1].entry_hash), limit=10)
    assert [v.split(":")[0] for v in verdict.violations] == ["entry e3 (seq 4)", "entry e3 (seq 4)"]


def test_a_shortened_chain_disagrees_with_the_recorded_head() -> None:
    rows = _chained(5)
    verdict = chain.verify("t", rows[:4], chain.Head(5, rows[-1].entry_hash), limit=10)
    assert verdict.violations == (
        "recorded head is seq 5 but the chain ends at seq 4 (entries were removed or added)",
    )
    assert chain.verify("t", rows, None, limit=10).violations == (
        "5 journal entries but no recorded chain head",
    )


def test_violations_stop_at_the_limit() -> None:
    rows = [r._replace(entry_hash="x") for r in _chained(50)]
    assert len(chain.verify("t", rows, None, limit=7).violations) == 7


def test_rows_store_what_extend_chains_from_the_stored_entries() -> None:
    """The insert path's rows carry the same links, hashes and line values as extend over stored:
    lines of several accounts and tags, a reversal, a memo longer than kept, a head past genesis."""
    entries = [
        JournalEntry("e1", "PAYMENT_RECEIVED", "payment P1 \u00e9",
                     (Line(Account.CASH, "EUR", 1250, None, None, "P1"),
                      Line(Account.UNAPPLIED_CASH, "EUR", -1250, None, None, "P1")), 10),
        JournalEntry("e2", "APPLIED", "m" * 600,
                     (Line(Account.UNAPPLIED_CASH, "EUR", 1000, "C1", "I1", "P1"),
                      Line(Account.DISCOUNTS, "EUR", 20, "C1", "I1", "P1"),
                      Line(Account.AR, "EUR", -1020, "C1", "I1", "P1")), 11),
        JournalEntry("e3", "UNAPPLIED", "undo",
                     (Line(Account.AR, "JPY", 7), Line(Account.CASH, "JPY", -7)), 12, "e2"),
    ]  # fmt: skip
    head = chain.Head(41, "a" * 64)
    expected = list(chain.extend("t", head, map(chain.stored, entries)))
    entry_rows, line_rows, last = chain.rows("t", head, entries)
    assert entry_rows == [
        (c.entry.entry_id, c.entry.kind, c.entry.reverses_entry_id, c.entry.memo, c.entry.create_us,
         c.seq, c.prev_hash, c.entry_hash)
        for c in expected
    ]  # fmt: skip
    assert line_rows == [
        (c.entry.entry_id, x.line_no, x.account, x.currency, x.amount_minor, x.customer_id, x.invoice_id,
         x.payment_id)
        for c in expected
        for x in c.entry.lines
    ]  # fmt: skip
    assert last == chain.Head(44, expected[-1].entry_hash) and entry_rows[1][3] == "m" * chain.MEMO_MAX_CHARS
