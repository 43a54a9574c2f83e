"""The journal's hash chain: every journal entry of a tenant carries a gapless sequence number,
the hash of the entry before it, and its own hash over its content (all its lines included) and
that previous hash. Changing, removing, adding or reordering any stored entry or line breaks the
chain at that point, whoever did it; the hash of the last entry (the head) is a digest of the
whole journal, so a copy of it kept outside the database also exposes a journal that was
rewritten and re-chained from scratch.

The encoding is canonical and the same on SQLite and PostgreSQL: a JSON array (no objects, so
no key order), integers for money and timestamps, strings for dates and ids, ASCII escapes for
everything else. It is versioned by CHAIN_ENCODING: stored hashes are computed with it forever.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import NamedTuple

from engine.ledger import JournalEntry

CHAIN_ENCODING = "cashapp.journal.v1"
# The previous hash of a tenant's first entry.
GENESIS_HASH = "0" * 64
# The memo column's length: the hash covers the memo as stored.
MEMO_MAX_CHARS = 512
# The canonical encoder, made once: json.dumps with options builds a new JSONEncoder per call,
# which cost a bank file's thousands of receipts as much as their hashing. Same class and
# options as json.dumps(content, ensure_ascii=True, separators=(",", ":")): the same bytes.
_CANONICAL = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode
_LINE_NO = attrgetter("line_no")


# The stored forms are named tuples (immutable, built in C): the report builds one per journal
# line and entry, and a frozen dataclass cost it several times as much.
class StoredLine(NamedTuple):
    line_no: int
    account: str
    currency: str
    amount_minor: int
    customer_id: str | None
    invoice_id: str | None
    payment_id: str | None


class StoredEntry(NamedTuple):
    """A journal entry as its row and line rows hold it."""

    entry_id: str
    kind: str
    reverses_entry_id: str | None
    memo: str
    create_us: int
    lines: tuple[StoredLine, ...]


class ChainedEntry(NamedTuple):
    """A stored entry with the chain columns of its row."""

    seq: int
    prev_hash: str
    entry_hash: str
    entry: StoredEntry


@dataclass(frozen=True, slots=True)
class Head:
    """The last link a tenant's writers recorded: its sequence number and hash."""

    seq: int
    entry_hash: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """The chain recomputed from the stored content: its head digest, the number of entries,
    and where it is broken (at most the limit given to `verify`)."""

    head_digest: str
    entry_count: int
    violations: tuple[str, ...]


def stored(e: JournalEntry) -> StoredEntry:
    """The entry as it will be stored (memo cut to the column, accounts as their names)."""
    lines = tuple(
        StoredLine(n, line.account.value, line.currency, line.amount_minor, line.customer_id,
                   line.invoice_id, line.payment_id)
        for n, line in enumerate(e.lines)
    )  # fmt: skip
    return StoredEntry(e.entry_id, e.kind, e.reverses_entry_id, e.memo[:MEMO_MAX_CHARS], e.create_us, lines)


def entry_hash(tenant_id: str, seq: int, prev_hash: str, e: StoredEntry) -> str:
    """sha256 (hex) of the canonical encoding of the entry, its lines in line order, its place in
    the chain and the previous hash."""
    lines = [
        [x.line_no, x.account, x.currency, int(x.amount_minor), x.customer_id, x.invoice_id, x.payment_id]
        for x in sorted(e.lines, key=_LINE_NO)
    ]
    return _digest(
        tenant_id, seq, prev_hash, e.entry_id, e.kind, e.reverses_entry_id, e.memo, e.create_us, lines
    )


def _digest(
    tenant_id: str, seq: int, prev_hash: str, entry_id: str, kind: str, reverses_entry_id: str | None,
    memo: str, create_us: int, lines: Sequence[Sequence[object]],
) -> str:  # fmt: skip
    """The hash of one link: the single definition of the encoding `entry_hash` and `rows` share."""
    content = [
        CHAIN_ENCODING, tenant_id, int(seq), prev_hash,
        entry_id, kind, reverses_entry_id, memo, int(create_us), lines,
    ]  # fmt: skip
    return hashlib.sha256(_CANONICAL(content).encode("ascii")).hexdigest()


EntryRow = tuple[str, str, str | None, str, int, int, str, str]
LineRow = tuple[object, ...]


def rows(
    tenant_id: str, head: Head, entries: Iterable[JournalEntry]
) -> tuple[list[EntryRow], list[LineRow], Head]:
    """New entries chained after `head`, in the given order, as the rows journal_entries
    (entry_id, kind, reverses_entry_id, memo, create_us, seq, prev_hash, entry_hash) and
    journal_lines (entry_id, line_no, account, currency, amount_minor, customer_id, invoice_id,
    payment_id) store, and the new head: the hashes of `extend` over `stored`, without a
    StoredEntry, StoredLine and ChainedEntry per entry (they cost a bank file's receipts as much
    as their hashing)."""
    seq, prev = head.seq, head.entry_hash
    entry_rows: list[EntryRow] = []
    line_rows: list[LineRow] = []
    for e in entries:
        seq += 1
        memo = e.memo[:MEMO_MAX_CHARS]
        lines: list[list[object]] = [
            [n, x.account.value, x.currency, int(x.amount_minor), x.customer_id, x.invoice_id, x.payment_id]
            for n, x in enumerate(e.lines)
        ]
        digest = _digest(
            tenant_id, seq, prev, e.entry_id, e.kind, e.reverses_entry_id, memo, e.create_us, lines
        )
        entry_rows.append((e.entry_id, e.kind, e.reverses_entry_id, memo, e.create_us, seq, prev, digest))
        line_rows += [(e.entry_id, *line) for line in lines]
        prev = digest
    return entry_rows, line_rows, Head(seq, prev)


def extend(tenant_id: str, head: Head, entries: Iterable[StoredEntry]) -> Iterator[ChainedEntry]:
    """Chains new entries after `head`, in the given order."""
    seq, prev = head.seq, head.entry_hash
    for e in entries:
        seq += 1
        digest = entry_hash(tenant_id, seq, prev, e)
        yield ChainedEntry(seq, prev, digest, e)
        prev = digest


def verify(tenant_id: str, rows: Iterable[ChainedEntry], head: Head | None, limit: int) -> Verdict:
    """Checks each stored link against its neighbour and its content, in sequence order, and the
    last one against the recorded head. Each break is reported once (the check continues from
    the stored values), so one changed entry is one violation, not one per later entry."""
    violations: list[str] = []
    expected = Head(0, GENESIS_HASH)
    digest, count = GENESIS_HASH, 0

    def report(message: str) -> None:
        if len(violations) < limit:
            violations.append(message)

    def name(row: ChainedEntry) -> str:
        return f"entry {row.entry.entry_id} (seq {row.seq})"

    for row in rows:
        count += 1
        if row.seq != expected.seq + 1:
            report(
                f"{name(row)}: expected seq {expected.seq + 1} (an entry was removed, inserted or renumbered)"
            )
        if row.prev_hash != expected.entry_hash:
            report(f"{name(row)}: previous hash does not match the entry before it")
        recomputed = entry_hash(tenant_id, row.seq, row.prev_hash, row.entry)
        if recomputed != row.entry_hash:
            report(f"{name(row)}: content does not match its hash (the entry or its lines were changed)")
        # The digest folds the content in the order read; where the stored link is where the
        # fold is (always, in an intact chain), the hash just computed is the fold's next one.
        in_place = (row.seq, row.prev_hash) == (count, digest)
        digest = recomputed if in_place else entry_hash(tenant_id, count, digest, row.entry)
        expected = Head(row.seq, row.entry_hash)
    if head is None and count:
        report(f"{count} journal entries but no recorded chain head")
    elif head is not None and head.seq != expected.seq:
        report(
            f"recorded head is seq {head.seq} but the chain ends at seq {expected.seq} "
            "(entries were removed or added)"
        )
    elif head is not None and head.entry_hash != expected.entry_hash:
        report(f"recorded head hash does not match the last entry (seq {head.seq}): the chain was rewritten")
    return Verdict(digest, count, tuple(violations))
