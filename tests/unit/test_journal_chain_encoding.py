"""The chain's hash is the sha256 of its canonical encoding, json.dumps(content,
ensure_ascii=True, separators=(",", ":")), whatever encoder entry_hash uses to make it: stored
hashes are computed with this encoding forever. Every shape of entry (memo cut to the column, text
beyond ASCII, reversals, untagged and several lines), from the genesis and from a later head."""

from __future__ import annotations

import hashlib
import json

import pytest

from engine import journal_chain as chain
from engine.ledger import JournalEntry, Line
from engine.model import Account


def _entries() -> list[JournalEntry]:
    return [
        JournalEntry(
            "e1", "PAYMENT_RECEIVED", "payment P1 \u00e9 \u20ac",
            (Line(Account.CASH, "EUR", 1250, "C1", None, "P1"),
             Line(Account.UNAPPLIED_CASH, "EUR", -1250, "C1", None, "P1")),
            1_764_600_000_000_000,
        ),
        JournalEntry("e2", "RETURN", "x" * (chain.MEMO_MAX_CHARS + 40),
                     (Line(Account.UNAPPLIED_CASH, "JPY", 7), Line(Account.CASH, "JPY", -7)), 2, "e1"),
        JournalEntry(
            "e3", "APPLIED", "",
            (Line(Account.UNAPPLIED_CASH, "EUR", 900, None, "INV-1", "P1"),
             Line(Account.DISCOUNTS, "EUR", 100, None, "INV-1", "P1"),
             Line(Account.AR, "EUR", -1000, None, "INV-1", "P1")),
            3,
        ),
    ]  # fmt: skip


@pytest.mark.parametrize("head", [chain.Head(0, chain.GENESIS_HASH), chain.Head(41, "ab" * 32)])
def test_each_hash_is_that_of_the_canonical_json(head: chain.Head) -> None:
    chained = list(chain.extend("tenant-\u00e9", head, map(chain.stored, _entries() * 3)))
    assert [c.seq for c in chained] == list(range(head.seq + 1, head.seq + 10))
    prev = head.entry_hash
    for c in chained:
        e = c.entry
        lines = [
            [x.line_no, x.account, x.currency, x.amount_minor, x.customer_id, x.invoice_id, x.payment_id]
            for x in e.lines
        ]
        content = [
            chain.CHAIN_ENCODING, "tenant-\u00e9", c.seq, prev,
            e.entry_id, e.kind, e.reverses_entry_id, e.memo, e.create_us, lines,
        ]  # fmt: skip
        encoded = json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")
        assert (c.prev_hash, c.entry_hash) == (prev, hashlib.sha256(encoded).hexdigest())
        prev = c.entry_hash
    assert len(chained[1].entry.memo) == chain.MEMO_MAX_CHARS


def test_an_appended_chain_verifies() -> None:
    chained = list(chain.extend("t", chain.Head(0, chain.GENESIS_HASH), map(chain.stored, _entries())))
    verdict = chain.verify("t", chained, chain.Head(chained[-1].seq, chained[-1].entry_hash), limit=10)
    assert (verdict.entry_count, verdict.violations) == (3, ())
