"""Ids of journal entries, applications and decisions: time-ordered (version 7) UUIDs as 32 hex
digits, so each round's new rows sort together in the primary-key indexes."""

from __future__ import annotations

import time
import uuid

from engine import ledger


def test_new_id_is_a_version_7_uuid_in_hex() -> None:
    for _ in range(1000):
        raw = ledger.new_id()
        parsed = uuid.UUID(hex=raw)
        assert parsed.hex == raw
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122


def test_an_id_begins_with_its_unix_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    made = int(ledger.new_id()[:12], 16)
    after = time.time_ns() // 1_000_000
    assert before <= made <= after


def test_ids_made_a_millisecond_apart_sort_in_the_order_made() -> None:
    first = ledger.new_id()
    time.sleep(0.002)
    assert ledger.new_id() > first


def test_new_ids_differ() -> None:
    assert len({ledger.new_id() for _ in range(10_000)}) == 10_000
