"""Ids of journal entries, applications and decisions: version-4 UUIDs as 32 hex digits."""

from __future__ import annotations

import uuid

from engine import ledger


def test_new_id_is_a_version_4_uuid_in_hex() -> None:
    for _ in range(1000):
        raw = ledger.new_id()
        parsed = uuid.UUID(hex=raw)
        assert parsed.hex == raw
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_new_ids_differ() -> None:
    assert len({ledger.new_id() for _ in range(10_000)}) == 10_000
