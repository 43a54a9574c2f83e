"""chain_many (the bulk append a bank file's receipts take) chains exactly as extend over
stored() does: the same sequence numbers, links, hashes and stored content, for every shape of
entry (memo cut to the column, text beyond ASCII, reversals, untagged and several lines), from
the genesis and from a later head."""

from __future__ import annotations

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
def test_chain_many_chains_as_extend_over_stored_does(head: chain.Head) -> None:
    entries = _entries() * 3
    expected = list(chain.extend("tenant-\u00e9", head, map(chain.stored, entries)))
    assert chain.chain_many("tenant-\u00e9", head, entries) == expected
    assert [c.seq for c in expected] == list(range(head.seq + 1, head.seq + 10))


def test_chain_many_of_nothing_is_empty() -> None:
    assert chain.chain_many("t", chain.Head(3, "c" * 64), []) == []


def test_a_bulk_appended_chain_verifies() -> None:
    chained = chain.chain_many("t", chain.Head(0, chain.GENESIS_HASH), _entries())
    verdict = chain.verify("t", chained, chain.Head(chained[-1].seq, chained[-1].entry_hash), limit=10)
    assert (verdict.entry_count, verdict.violations) == (3, ())
